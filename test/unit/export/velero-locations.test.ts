// `backplan export --to velero` writes the job's `to` as the Schedule's storage location: the
// storage's `location` (default its name) in spec.template.storageLocation and its
// `snapshot_location` in spec.template.volumeSnapshotLocations; no `to`, neither (Velero's defaults).
import { describe, expect, it } from 'vitest';
import { exportVelero } from '../../../engine/export/velero';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';

const PLAN = `version: 1
timezone: UTC
hosts:
  k8s: { address: k8s.example.net, site: dc-1 }
storage:
  minio-bucket: { host: k8s, media: hdd, url: "s3:http://minio:9000/velero" }
  offsite: { site: cloud, media: object, location: offsite-b2, snapshot_location: [aws-east, px-cloud] }
jobs:
  apps:
    kind: velero
    host: k8s
    namespaces: [shop, auth]
    to: minio-bucket
    schedule: "0 3 * * *"
    retention: { expiry: 30d }
  apps-offsite:
    kind: velero
    host: k8s
    namespaces: shop
    to: offsite
    schedule: "0 4 * * *"
    retention: { expiry: 90d }
  apps-default:
    kind: velero
    host: k8s
    namespaces: auth
    schedule: "0 5 * * *"
`;

describe('export --to velero: storage locations', () => {
  it('writes storageLocation and volumeSnapshotLocations from the job\'s `to`', () => {
    const plan = buildModel(parsePlan(PLAN).value);
    const r = exportVelero(plan, { planPath: '/srv/plan.yaml' }, [...plan.jobs.keys()]);
    expect(r.problems).toEqual([]);
    expect(r.files).toHaveLength(1);
    expect(r.files[0].host).toBe('k8s');
    expect(r.files[0].content).toBe(
      [
        '# job apps',
        'apiVersion: velero.io/v1',
        'kind: Schedule',
        'metadata:',
        '  name: apps',
        '  namespace: velero',
        '  labels:',
        '    app.kubernetes.io/managed-by: backplan',
        'spec:',
        '  schedule: 0 3 * * *',
        '  template:',
        '    includedNamespaces:',
        '      - shop',
        '      - auth',
        '    ttl: 720h0m0s',
        '    storageLocation: minio-bucket',
        '---',
        '# job apps-offsite',
        'apiVersion: velero.io/v1',
        'kind: Schedule',
        'metadata:',
        '  name: apps-offsite',
        '  namespace: velero',
        '  labels:',
        '    app.kubernetes.io/managed-by: backplan',
        'spec:',
        '  schedule: 0 4 * * *',
        '  template:',
        '    includedNamespaces:',
        '      - shop',
        '    ttl: 2160h0m0s',
        '    storageLocation: offsite-b2',
        '    volumeSnapshotLocations:',
        '      - aws-east',
        '      - px-cloud',
        '---',
        '# job apps-default',
        'apiVersion: velero.io/v1',
        'kind: Schedule',
        'metadata:',
        '  name: apps-default',
        '  namespace: velero',
        '  labels:',
        '    app.kubernetes.io/managed-by: backplan',
        'spec:',
        '  schedule: 0 5 * * *',
        '  template:',
        '    includedNamespaces:',
        '      - auth',
        '',
      ].join('\n'),
    );
  });

  it('names the job when the storage has no valid location name', () => {
    const plan = buildModel(parsePlan(PLAN.replace('location: offsite-b2', 'location: Offsite_B2')).value);
    const r = exportVelero(plan, { planPath: '/srv/plan.yaml' }, ['apps-offsite']);
    expect(r.files).toEqual([]);
    expect(r.problems).toEqual([
      {
        job: 'apps-offsite',
        message:
          "storage `offsite`: `location` must be the name of a Velero BackupStorageLocation (lowercase letters, " +
          "digits, '-' and '.')",
      },
    ]);
  });
});
