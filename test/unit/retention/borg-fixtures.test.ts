// borg 1.2.4 itself is the oracle: every decision `borg prune --dry-run --list` made in
// test/fixtures/retention-real/borg.json (scripts/fixtures/gen-retention-fixtures.mjs) must come
// out of the borg engine unchanged — the same archives kept, with the same rule and number, and
// the same archives pruned.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { borgEngine } from '../../../engine/retention/borg';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import type { SnapshotIn } from '../../../engine/retention/types';

interface BorgFixture {
  tool: string;
  now: string;
  /** borg's walking order: newest first, equal times by name descending. */
  snapshots: { name: string; time: string }[];
  cases: { policy: { keep: KeepModel }; args: string; timezone: string; keep: [number, string][]; remove: number[] }[];
}

const FIXTURE = join(__dirname, '../../fixtures/retention-real/borg.json');
const fx = JSON.parse(readFileSync(FIXTURE, 'utf8')) as BorgFixture;
const snapshots: SnapshotIn[] = fx.snapshots.map((s) => ({ id: s.name, time: Date.parse(s.time) }));
const now = Date.parse(fx.now);

const policy = (keep: KeepModel): PolicyModel => ({ at: [], keep, raw: { keep } });

describe(`borg engine vs ${fx.tool} (${fx.cases.length} recorded prunes of ${fx.snapshots.length} archives)`, () => {
  it('the fixture is substantial', () => {
    expect(fx.cases.length).toBeGreaterThanOrEqual(200);
    expect(fx.snapshots.length).toBeGreaterThanOrEqual(250);
    for (const c of fx.cases) expect(c.keep.length + c.remove.length).toBe(fx.snapshots.length);
  });

  it.each(fx.cases.map((c, i) => [i, c.args, c.timezone, c] as const))('#%i borg prune %s (TZ=%s)', (_i, _args, _tz, c) => {
    const p = policy(c.policy.keep);
    expect(borgEngine.unsupported(p)).toEqual([]);
    const got = borgEngine.evaluate(snapshots, p, { now, timezone: c.timezone });
    const name = (s: SnapshotIn): string => s.id ?? '?';
    expect({
      keep: got.keep.map((k) => [name(k.snapshot), ...k.reasons]),
      remove: got.remove.map(name),
    }).toEqual({
      keep: c.keep.map(([i, why]) => [fx.snapshots[i].name, why]),
      remove: c.remove.map((i) => fx.snapshots[i].name),
    });
  });
});
