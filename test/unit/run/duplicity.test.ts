// The duplicity driver's argv and the readers of duplicity's output (collection-status, the
// listing of a remove command without --force), on output captured from duplicity 0.8.22.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { steps } from '../../../engine/run/drivers/duplicity';
import {
  duplicityGuardSnapshots,
  parseCollectionStatus,
  parseDuplicityRemove,
  setsOnTarget,
} from '../../../engine/run/inventory/duplicity';
import type { CommandStep } from '../../../engine/run/steps/step';
import { staleToolLockHint, toolUnlockStep } from '../../../engine/run/exec/tool-lock';

const NOW = Date.parse('2026-03-01T03:00:00Z');

function planOf(job: string) {
  const text = `version: 1
hosts:
  nas: { address: 10.0.0.5, user: backup, port: 2222, identity: /root/.ssh/id_nas }
storage:
  local: { path: /srv/backups, media: hdd }
  far: { host: nas, path: /tank/dup, media: hdd }
jobs:
  files:
    kind: duplicity
    paths: [/etc, /srv/www]
    schedule: "0 3 * * *"
${job}`;
  return buildModel(parsePlan(text).value);
}

const run = (job: string) => {
  const plan = planOf(job);
  return steps(plan.jobs.get('files')!, plan, { now: NOW });
};

describe('duplicity after an interrupted or failed backup', () => {
  it('a set collection-status lists from the local .manifest.part only (no manifest on the file:// target) is not a copy', async () => {
    // collection-status of duplicity 0.8.22 after a backup killed once its volume was copied.
    const sets = parseCollectionStatus(' full 20261207T150108Z 1 enc\n inc 20261207T150122Z 1 enc\n');
    const target = [
      'duplicity-full-signatures.20261207T150108Z.sigtar.gpg',
      'duplicity-full.20261207T150108Z.manifest.gpg',
      'duplicity-full.20261207T150108Z.vol1.difftar.gpg',
      'duplicity-inc.20261207T150108Z.to.20261207T150122Z.vol1.difftar.gpg',
    ];
    const dirs: string[] = [];
    const list = async (d: string) => (dirs.push(d), target.map((name) => ({ name })));
    expect((await setsOnTarget(sets, 'file:///srv/b/files', list)).map((x) => x.stamp)).toEqual(['20261207T150108Z']);
    expect(dirs).toEqual(['/srv/b/files']);
    // Its manifest copied (unencrypted here): a copy.
    target.push('duplicity-inc.20261207T150108Z.to.20261207T150122Z.manifest');
    expect((await setsOnTarget(sets, 'file:///srv/b/files', list)).map((x) => x.stamp)).toEqual(['20261207T150108Z', '20261207T150122Z']);
    // Other targets are taken as listed.
    expect(await setsOnTarget(sets, 'sftp://vault//srv/b', async () => [])).toEqual(sets);
  });

  it('`duplicity cleanup --force` with the backup\'s name, keys and target removes the partial set (not resumed, not listed)', () => {
    const r = run('    to: far\n    passphrase_env: DUP_PW\n    timeout: 5min\n    retention: { keep: { full: 2 } }\n');
    expect(r.errors).toEqual([]);
    const c = toolUnlockStep('duplicity', r.steps)!;
    // Bounded by the job's timeout like its other steps.
    expect(c).toMatchObject({ id: 'files/cleanup', phase: 'setup', env: { PASSPHRASE: { fromEnv: 'DUP_PW' } }, timeout: { stallMs: 300_000 } });
    const backup = r.steps.find((s) => s.phase === 'backup') as CommandStep;
    expect(c.argv.slice(0, 3)).toEqual(['duplicity', 'cleanup', '--force']);
    expect(c.argv[c.argv.length - 1]).toBe(backup.argv[backup.argv.length - 1]);
    expect(c.argv).toContain('--name=backplan-files');
    expect(c.argv.some((a) => a.startsWith('--include') || a.startsWith('--full-if'))).toBe(false);
    expect(staleToolLockHint('duplicity', r.steps)).toMatch(/partial backup set .*--break-stale-lock removes it first \(`duplicity cleanup --force`\)/);
  });
});

describe('duplicity driver', () => {
  it('backs up / with one --include per path into file://, then each remove command with --force, guarded', () => {
    const r = run(
      '    to: local\n    full_every: 1mo\n    passphrase_env: DUP_PW\n    exclude: ["**/*.tmp"]\n' +
        '    retention: { keep: { within: 2mo, full: 3, incrementals_of: 1 } }\n',
    );
    expect(r.errors).toEqual([]);
    const [cleanup, backup, ...prunes] = r.steps as CommandStep[];
    // A partial set an interrupted backup left is removed first (never resumed).
    expect(cleanup.argv).toEqual(['duplicity', 'cleanup', '--force', '--name=backplan-files', 'file:///srv/backups/files']);
    expect(cleanup.phase).toBe('setup');
    expect(backup.argv).toEqual([
      'duplicity',
      '--name=backplan-files',
      '--full-if-older-than=1M',
      '--exclude=**/*.tmp',
      '--include=/etc',
      '--include=/srv/www',
      '--exclude=**',
      '/',
      'file:///srv/backups/files',
    ]);
    expect(backup.env).toEqual({ PASSPHRASE: { fromEnv: 'DUP_PW' } });
    expect(prunes.map((p) => p.argv.slice(1, 4))).toEqual([
      ['remove-older-than', '2M', '--force'],
      ['remove-all-but-n-full', '3', '--force'],
      ['remove-all-inc-of-but-n-full', '1', '--force'],
    ]);
    expect(prunes.map((p) => p.after)).toEqual([[backup.id], [prunes[0].id], [prunes[1].id]]);
    for (const p of prunes) {
      expect(p.guard?.argv).not.toContain('--force');
      expect(p.guard?.parse).toBe('duplicity-remove-list');
      expect(p.env?.TZ).toEqual({ value: 'UTC' });
    }
    expect(prunes.map((p) => p.guard?.policy?.keep)).toEqual([{ within: '2mo' }, { full: 3 }, { incrementals_of: 1 }]);
  });

  it('reaches another host over sftp with an absolute path, keys by --encrypt-key, no secret in argv', () => {
    const r = run(
      '    to: far\n    encrypt: { gpg: { recipient: [ABCD1234, EF567890] } }\n    passphrase_file: /etc/dup.pass\n',
    );
    expect(r.errors).toEqual([]);
    const backup = r.steps.find((x) => x.phase === 'backup') as CommandStep;
    expect(backup.argv.slice(1, 5)).toEqual([
      '--name=backplan-files',
      '--encrypt-key=ABCD1234',
      '--encrypt-key=EF567890',
      '--ssh-options=-oIdentityFile=/root/.ssh/id_nas',
    ]);
    expect(backup.argv.at(-1)).toBe('sftp://backup@10.0.0.5:2222//tank/dup/files');
    expect(backup.env).toEqual({ PASSPHRASE: { fromFile: '/etc/dup.pass' } });
    expect(r.steps.map((x) => x.phase)).toEqual(['setup', 'backup']);
  });

  it('without key or passphrase writes --no-encryption; refuses inline secrets and forms duplicity lacks', () => {
    const plain = run('    to: local\n');
    expect((plain.steps.find((x) => x.phase === 'backup') as CommandStep).argv).toContain('--no-encryption');
    expect(run('    to: local\n    passphrase: hunter2\n').errors[0]).toMatch(/`passphrase` is written in the plan/);
    expect(run('    to: local\n    retention: { keep: { daily: 7 } }\n').errors[0]).toMatch(
      /duplicity has no `keep.daily` rule/,
    );
    expect(run('    to: local\n    full_every: 1m\n').errors[0]).toMatch(/full_every/);
  });
});

// duplicity 0.8.22 `collection-status --log-fd=1` (machine-readable lines among the text).
const STATUS = `. Collection Status
chain-complete
 full 20260101T000000Z 1 enc
 inc 20260102T000000Z 1 enc
chain-complete
 full 20260105T000000Z 1 enc
 inc 20260106T000000Z 1 enc
chain-complete
 full 20260109T000000Z 1 enc
.                 Full         Fri Jan  9 00:00:00 2026                 1
orphaned-sets-num 0
`;

// Its `remove-all-but-n-full 1` without --force, TZ=UTC.
const LISTING = `Last full backup date: Fri Jan  9 00:00:00 2026
Found old backup chains at the following times:
Fri Jan  2 00:00:00 2026
Tue Jan  6 00:00:00 2026
Rerun command with --force option to actually delete.
`;

describe('reading duplicity', () => {
  it('reads the sets of collection-status, oldest first', () => {
    expect(parseCollectionStatus(STATUS).map((s) => `${s.stamp} ${s.type}`)).toEqual([
      '20260101T000000Z full',
      '20260102T000000Z incremental',
      '20260105T000000Z full',
      '20260106T000000Z incremental',
      '20260109T000000Z full',
    ]);
  });

  it('turns a remove listing (chain end times) into the sets it removes: whole chains, or their incrementals', () => {
    const sets = duplicityGuardSnapshots(STATUS);
    const whole = parseDuplicityRemove(LISTING, sets, false);
    expect([...whole.remove].sort()).toEqual([
      '20260101T000000Z',
      '20260102T000000Z',
      '20260105T000000Z',
      '20260106T000000Z',
    ]);
    expect([...whole.keep]).toEqual(['20260109T000000Z']);
    const inc = parseDuplicityRemove(LISTING, sets, true);
    expect([...inc.remove].sort()).toEqual(['20260102T000000Z', '20260106T000000Z']);
    expect(parseDuplicityRemove('No old backup sets found, nothing deleted.\n', sets, false).remove.size).toBe(0);
    expect(() => parseDuplicityRemove(LISTING.replace('Jan  6', 'Jan  7'), sets, false)).toThrow(/does not hold/);
  });
});
