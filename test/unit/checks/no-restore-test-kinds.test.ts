// A `verify` that `backplan verify` can never run must not count as a restore test: not for
// `no-restore-test`, not for the 3-2-1-1-0 `verified` count, and no exported timer for it.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/no-restore-test';
import { rule as coverage } from '../../../engine/checks/coverage-3-2-1';
import { KIND_NAMES, RESTORE_TEST_KINDS } from '../../../engine/kinds';
import { invocations } from '../../../engine/export/backplan-units';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';

const HEAD = `version: 1
hosts: { k8s: { site: a }, minio: { site: a } }
storage:
  disks: { host: k8s, media: ssd }
  bucket: { host: minio, media: hdd }
  offsite: { site: cloud, media: object }
`;
const VELERO = `${HEAD}jobs:
  apps:
    kind: velero
    namespaces: [shop]
    storage: disks
    to: bucket
    schedule: "0 */4 * * *"
    retention: { expiry: 30d }
    verify: { schedule: "0 7 * * 3", restore: latest }
`;

describe('verify on a kind without a restore test', () => {
  it('is reported on the verify key and does not count: the chain still has no restore test', () => {
    const f = checkText(VELERO, { rules: [rule] }).findings;
    const onVerify = f.find((x) => VELERO.slice(x.range.start, x.range.end) === 'verify');
    expect(onVerify?.message).toMatch(/^`verify` on a job of kind velero can never run: .* not counted as a restore test/);
    const onChain = f.find((x) => VELERO.slice(x.range.start, x.range.end) === 'apps');
    expect(onChain?.message).toMatch(/has no `verify`.*No job of it can be restore-tested/);
    expect(f).toHaveLength(2);
  });

  it('does not give 3-2-1-1-0 its "verified"', () => {
    const text = `${VELERO.replace('jobs:', 'checks: { coverage: { copies: 1, media: 1, offsite: 0, verified: true } }\njobs:')}`;
    const f = checkText(text, { rules: [coverage] }).findings;
    expect(f.map((x) => x.message).join('\n')).toMatch(/not verified/);
  });

  it('a copy of the chain that can be tested is what the finding suggests, and its verify counts', () => {
    const text = `${VELERO}  offsite-copy:
    kind: restic
    from: apps
    host: minio
    paths: [/srv/minio]
    to: offsite
    password_env: P
`;
    const f = checkText(text, { rules: [rule] }).findings;
    expect(f.find((x) => text.slice(x.range.start, x.range.end) === 'apps')?.message).toMatch(/Add a restore test to `offsite-copy`/);
    const verified = text.replace('password_env: P\n', 'password_env: P\n    verify: { schedule: "@weekly" }\n');
    const g = checkText(verified, { rules: [rule] }).findings;
    expect(g.map((x) => verified.slice(x.range.start, x.range.end))).toEqual(['verify']);
  });

  it('gets no exported verify timer, and the export says why', () => {
    const plan = buildModel(parsePlan(VELERO).value);
    const inv = invocations(plan, plan.jobs.get('apps')!, { planPath: 'p.yaml' });
    expect(inv.ok.map((i) => i.command)).toEqual(['run']);
    expect(inv.problems.join('\n')).toMatch(/no restore test for kind velero/);
  });

  it('the kinds with a restore test are exactly the ones backplan verify implements', async () => {
    // Every other kind is refused by verifyJob with "not implemented": read its own list.
    expect(RESTORE_TEST_KINDS).toEqual([
      'archive', 'restic', 'borg', 'rsync', 'pg-dump', 'mysql-dump', 'zfs-send', 'btrfs-send', 'incus-copy', 'duplicity',
    ]);
    expect(KIND_NAMES.filter((k) => !RESTORE_TEST_KINDS.includes(k))).toEqual(
      ['zfs-snapshot', 'btrfs-snapshot', 'incus-snapshot', 'velero', 'openstack-image', 'vzdump'],
    );
  });
});
