// An openstack-image job's `download: {to}` saves every image as a file outside the cloud: a
// second copy of the data, on that storage, for 3-2-1 — and a use of that storage.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule as unused } from '../../../engine/checks/unused';
import { computeChains } from '../../../engine/coverage/chains';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';

const PLAN = `version: 1
hosts:
  vault: { address: 10.9.0.5, site: office }
storage:
  volumes: { site: region-1, media: cloud-volume, replicated: 3 }
  glance: { site: region-1, media: object }
  tapes: { host: vault, media: hdd, path: /srv/images }
jobs:
  images:
    kind: openstack-image
    cloud: prod
    server: vm
    volume: data
    flavor: persistent
    force: true
    storage: volumes
    to: glance
    download: { to: tapes }
    schedule: "0 2 * * *"
`;

describe('openstack-image download', () => {
  it('counts the downloaded files as a copy on their storage, offsite here', () => {
    const [chain] = computeChains(buildModel(parsePlan(PLAN).value), {});
    expect(chain.copies.map((c) => c.location.key)).toEqual(['storage:volumes', 'storage:glance', 'storage:tapes']);
    expect(chain.counts).toMatchObject({ copies: 3, media: 3, offsite: 1 });
  });

  it('is a use of the download storage', () => {
    expect(checkText(PLAN, { rules: [unused] }).findings.map((f) => f.message)).toEqual([]);
  });
});
