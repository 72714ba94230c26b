// export --to btrbk of a btrbk pair (a pruner: btrbk btrfs-snapshot and its btrfs-send): one
// section with its target, whichever job is asked for, read back by btrbk 0.32.5's own
// `config print` (the dry run on real subvolumes is in simulate-vs-reality-btrbk.test.ts).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportBtrbk } from '../../../engine/export/btrbk';
import { requireTools } from '../../helpers/integration';
import { job, plan, policy, storage } from '../run/helpers';

const pairPlan = () =>
  plan({
    storage: [storage('bk', { path: '/mnt/backup' })],
    jobs: [
      job('vol', {
        kind: 'btrfs-snapshot',
        subvolume: '/mnt/pool/data',
        snapshot_dir: '/mnt/pool/snaps',
        pruner: 'btrbk',
        retention: policy(undefined, { keep: { hourly: 12, daily: 5 }, preserve_min: '2d' }),
      }),
      job('off', {
        kind: 'btrfs-send',
        from: 'vol',
        to: 'bk',
        pruner: 'btrbk',
        retention: policy(undefined, { preserve: '14d 4w *m', preserve_min: 'no', preserve_hour_of_day: 6 }),
      }),
    ],
  });

describe('export --to btrbk with a target', () => {
  it('writes one section with the target, for either job or both', () => {
    const p = pairPlan();
    const all = exportBtrbk(p, { planPath: '' }, ['vol', 'off']);
    expect(all.problems).toEqual([]);
    expect(all.files).toHaveLength(1);
    expect(all.files[0].jobs).toEqual(['vol', 'off']);
    for (const one of [['vol'], ['off']]) {
      expect(exportBtrbk(p, { planPath: '' }, one).files[0].content).toBe(all.files[0].content);
    }
    const body = all.files[0].content.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    expect(body).toEqual([
      'volume /mnt/pool',
      '  snapshot_dir snaps',
      '  subvolume data',
      '    timestamp_format long',
      '    snapshot_preserve_min 2d',
      '    snapshot_preserve 12h 5d',
      '    preserve_day_of_week sunday',
      '    preserve_hour_of_day 0',
      '    # job off',
      '    target send-receive /mnt/backup/off',
      '      target_preserve_min no',
      '      target_preserve 14d 4w *m',
      '      preserve_day_of_week sunday',
      '      preserve_hour_of_day 6',
    ]);
  });

  it.skipIf(!requireTools('btrbk'))('btrbk config print reads it as written', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-btrbk-export-'));
    try {
      const file = join(dir, 'btrbk.conf');
      writeFileSync(file, exportBtrbk(pairPlan(), { planPath: '' }, ['off']).files[0].content);
      const out = execFileSync('btrbk', ['-c', file, 'config', 'print'], { encoding: 'utf8' });
      expect(out).toMatch(/snapshot_preserve\s+12h 5d\n/);
      expect(out).toMatch(/snapshot_preserve_min\s+2d\n/);
      expect(out).toMatch(/target send-receive \/mnt\/backup\/off\n/);
      expect(out).toMatch(/target_preserve\s+14d 4w \*m\n/);
      expect(out).toMatch(/target_preserve_min\s+no\n/);
      expect(out).toMatch(/preserve_hour_of_day\s+6\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
