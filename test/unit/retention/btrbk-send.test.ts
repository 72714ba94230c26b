// btrbk's target side (engine/retention/btrbk.ts with side target, btrbk-send.ts): target_preserve_min
// forms, the informative backups of the resume's pick, and the latest common pair kept on both sides.
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/retention-unsupported';
import {
  BTRBK_TARGET_RELEASE,
  btrbkPreserve,
  btrbkSchedule,
  btrbkTargetEngine,
  type BtrbkPreserve,
} from '../../../engine/retention/btrbk';
import { engineDocMarkdown } from '../../../server/retention-docs';
import { replayBtrbkSend } from '../../../engine/retention/btrbk-send';
import { engineFor } from '../../../engine/retention/index';

const H = 3_600_000;
const policy = (raw: Record<string, unknown>): PolicyModel => ({ at: [], keep: raw.keep, raw }) as unknown as PolicyModel;
const base: BtrbkPreserve = { min: 'latest', counts: {}, dayOfWeek: 'sunday', hourOfDay: 0 };

describe('btrbk target_preserve', () => {
  it('a target takes preserve_min no and 0d; a snapshot policy does not', () => {
    expect(btrbkPreserve(policy({ preserve_min: 'no' }), 'target')).toMatchObject({ ok: true, value: { min: 'no' } });
    expect(btrbkPreserve(policy({ preserve_min: '0d' }), 'target')).toMatchObject({ value: { min: { n: 0 } } });
    expect(btrbkPreserve(policy({ preserve_min: 'no' }), 'snapshot').ok).toBe(false);
    expect(btrbkTargetEngine.unsupported(policy({ preserve_min: '0d' }))).toEqual([]);
    expect(engineFor('btrfs-send', undefined, {}, 'btrbk').unsupported(policy({ preserve_min: 'no' }))).toEqual([]);
    expect(engineFor('btrfs-send', undefined, {}, 'btrbk').unsupported(policy({ keep: { last: 2 } }))).toHaveLength(1);
  });

  it('informative entries count in the calendar but are neither kept nor removed', () => {
    const t0 = Date.UTC(2026, 0, 10, 9, 0);
    const list = [
      { time: t0 + 10 * 60_000, id: 'b' },
      { time: t0 + 20 * 60_000, id: 'cand' },
    ];
    // The backup b is the first of 09:00, so the candidate is not that hour's hourly: it goes.
    const d = btrbkSchedule(list, { ...base, min: 'no', counts: { h: 5 } }, t0 + 2 * H, 'UTC', new Set(), {
      informative: new Set(['b']),
    });
    expect(d.keep).toEqual([]);
    expect(d.remove.map((s) => s.id)).toEqual(['cand']);
  });
});

describe('btrbk snapshot + resume replay', () => {
  it('the latest common pair stays on both sides whatever the policies say', () => {
    const from = Date.UTC(2026, 0, 1);
    const snapshotFires = Array.from({ length: 48 }, (_, i) => from + i * H);
    // The send runs once, at hour 2: afterwards the source keeps only its latest, but also the one sent.
    const r = replayBtrbkSend({
      snapshotFires,
      sendFires: [from + 2 * H],
      snapshotPolicy: policy({ preserve_min: 'latest', preserve: 'no' }),
      targetPolicy: policy({ preserve_min: 'latest', preserve: 'no' }),
      timezone: 'UTC',
      from,
      at: from + 47 * H,
    });
    expect(r.target.held.map((h) => h.time)).toEqual([from + 2 * H]);
    expect(r.target.held[0].reasons[0]).toBe('preserve min: latest');
    expect(r.source.held.map((h) => h.time)).toEqual([from + 47 * H, from + 2 * H]);
    expect(r.source.held[1].reasons[0]).toBe('preserve forced: latest common snapshot');
  });

  it('resume sends every missing snapshot target_preserve keeps, not only the newest', () => {
    const from = Date.UTC(2026, 0, 1);
    const r = replayBtrbkSend({
      snapshotFires: [0, 1, 2, 3].map((i) => from + i * H),
      sendFires: [from + 3 * H],
      snapshotPolicy: policy({ preserve_min: 'all' }),
      targetPolicy: policy({ preserve_min: 'no', preserve: '24h' }),
      timezone: 'UTC',
      from,
      at: from + 3 * H,
    });
    expect(r.target.held).toHaveLength(4);
    expect(r.target.created).toBe(4);
  });
});

describe('btrbk pairs in check and the hover', () => {
  const run = (text: string) =>
    checkText(text, { rules: [rule], now: Date.parse('2026-01-15T00:00:00Z') }).findings.map((f) => f.message);
  const pair = (src: string, send: string, to = 'bk') => `version: 1
storage:
  bk: { path: /mnt/bk }
  far: { path: /mnt/far, host: nas }
hosts:
  nas: { address: nas.example }
jobs:
  snaps:
    kind: btrfs-snapshot
    subvolume: /mnt/pool/data
    snapshot_dir: /mnt/pool/snaps
    schedule: "0 */6 * * *"
${src}    retention: { keep: { hourly: 6 } }
  off:
    kind: btrfs-send
    from: snaps
    to: ${to}
${send}    retention: { keep: { daily: 7 }, preserve_min: "no" }
`;
  it('a btrbk pair on one host checks clean; each half-pair is an error with its fix', () => {
    const both = '    pruner: btrbk\n';
    expect(run(pair(both, both))).toEqual([]);
    expect(run(pair('', both)).join()).toMatch(/give `snaps` `pruner: btrbk` too/);
    expect(run(pair(both, '')).join()).toMatch(/give the send job `pruner: btrbk` too/);
    // btrbk's own term on a job Backplan prunes would be dropped: refused.
    expect(run(pair(both, '')).join()).toMatch(/`preserve_min` is btrbk's/);
    expect(run(pair(both, both, 'far')).join()).toMatch(/another host/);
  });

  it('the hover of a btrbk send job says in two lines how its target retention differs', () => {
    const md = engineDocMarkdown('btrbk', BTRBK_TARGET_RELEASE, policy({ keep: { daily: 7 } }));
    const lines = md.split('\n').filter((l) => l.startsWith('- '));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/every\*\* missing snapshot/);
    expect(lines[1]).toMatch(/latest common snapshot\/backup pair on both sides/);
  });
});
