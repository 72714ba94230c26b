// The replay of a btrbk snapshot + resume pair (engine/retention/btrbk-send.ts), step by step on a
// short run worked by hand: what each side creates, removes and holds after each run, the widest
// gap between held copies (live when it runs to the next run), and the refusals of either side's
// terms (issue #16's mutation run).
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { replayBtrbkSend } from '../../../engine/retention/btrbk-send';

const H = 3_600_000;
const policy = (raw: Record<string, unknown>): PolicyModel => ({ at: [], keep: raw.keep, raw }) as unknown as PolicyModel;
const from = Date.UTC(2026, 0, 1);

describe('btrbk send replay', () => {
  it('counts what each run creates, removes and holds, and the widest gap', () => {
    // snapshots at 0h, 1h, 2h and 3h, resumes at 1.5h and 3.5h;
    // fires outside [from, at] are ignored. The source keeps its latest (and the latest common
    // snapshot), the target everything.
    const r = replayBtrbkSend({
      snapshotFires: [from - H, from, from + H, from + 2 * H, from + 3 * H, from + 5 * H],
      sendFires: [from + 1.5 * H, from + 3.5 * H, from + 6 * H],
      snapshotPolicy: policy({ preserve_min: 'latest', preserve: 'no' }),
      targetPolicy: policy({ preserve_min: 'all' }),
      timezone: 'UTC',
      from,
      at: from + 4 * H,
    });
    // source: 0h goes at 1h; 1h is the latest common snapshot from 1.5h to 3.5h; 2h goes at 3h
    expect(r.source).toEqual({
      held: [{ time: from + 3 * H, name: 'subvolume.20260101T0300', reasons: ['preserve min: latest'] }],
      created: 4,
      removed: 3,
      counts: [1, 1, 1, 2, 2, 1],
      worstGap: { ms: 2 * H, from: from + H, to: from + 3 * H, live: false },
      lastRun: from + 3.5 * H,
    });
    // target: 1h sent at 1.5h, 3h at 3.5h; after the first resume nothing newer until the second
    expect(r.target).toEqual({
      held: [
        { time: from + 3 * H, name: 'subvolume.20260101T0300', reasons: ['preserve min: all'] },
        { time: from + H, name: 'subvolume.20260101T0100', reasons: ['preserve min: all'] },
      ],
      created: 2,
      removed: 0,
      counts: [1, 2],
      worstGap: { ms: 2.5 * H, from: from + H, to: from + 3.5 * H, live: true },
      lastRun: from + 3.5 * H,
    });
  });

  it('says which side has terms btrbk cannot take', () => {
    const input = {
      snapshotFires: [from],
      sendFires: [],
      snapshotPolicy: policy({}),
      targetPolicy: policy({}),
      timezone: 'UTC',
      from,
      at: from + H,
    };
    expect(() => replayBtrbkSend({ ...input, snapshotPolicy: policy({ preserve_min: 'no', preserve: '7x' }) })).toThrow(
      'snapshot_preserve: `7x` is not a btrbk preserve matrix (like `48h 14d 4w 6m *y`); ' +
        '`preserve_min` is all, latest or N (from 1) followed by h, d, w, m or y',
    );
    expect(() => replayBtrbkSend({ ...input, targetPolicy: policy({ preserve_min: 'never' }) })).toThrow(
      'target_preserve: `preserve_min` of a target is all, latest, no or N (0 allowed) followed by h, d, w, m or y',
    );
  });
});
