// restic 0.14 itself is the oracle: every decision `restic forget --dry-run --json` made in
// test/fixtures/retention-real/restic.json (scripts/fixtures/gen-retention-fixtures.mjs) must come
// out of the restic engine unchanged — the same snapshots kept, with restic's reasons, and the
// same removed. Each group was made in one zone (restic keeps every snapshot's own offset), and
// that zone is the engine's timezone.
//
// The fixtures come from restic 0.14.0 (Debian 12). The restic engine follows newer restic
// (0.16+), which differs in exactly two ways: a rule that still has count left keeps the oldest
// snapshot ("oldest daily snapshot"; restic PR #4366), and a count of -1 means unlimited (0.14:
// that rule keeps nothing). While ALLOW_RESTIC_016 is true, a case may differ from 0.14 by those
// two things and nothing else — checked precisely: the engine's decision with the "oldest" reasons
// taken out, for the policy without its negative counts, must equal restic 0.14's. Set it to
// false to see every such difference fail.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resticEngine } from '../../../engine/retention/restic';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';
import { withoutNegativeCounts, withoutOldestRule } from '../../../scripts/fixtures/lib.mjs';

const ALLOW_RESTIC_016 = true;

interface ResticFixture {
  tool: string;
  now: string;
  groups: Record<string, { timezone: string; snapshots: { id: string; time: string; tags?: string[] }[] }>;
  cases: {
    policy: { keep: KeepModel };
    args: string;
    toolTimezone: string;
    /** A count below 0: restic 0.14 reads it as "keep none" (later restic: unlimited). */
    negativeCounts?: boolean;
    results: Record<string, { keep: [number, ...string[]][]; remove: number[] }>;
  }[];
}

const fx = JSON.parse(readFileSync(join(__dirname, '../../fixtures/retention-real/restic.json'), 'utf8')) as ResticFixture;
const now = Date.parse(fx.now);
const policy = (keep: KeepModel): PolicyModel => ({ at: [], keep, raw: { keep } });
const groups = Object.entries(fx.groups).map(([name, g]) => ({
  name,
  timezone: g.timezone,
  ids: g.snapshots.map((s) => s.id),
  snapshots: g.snapshots.map((s): SnapshotIn => ({ id: s.id, time: Date.parse(s.time), ...(s.tags ? { tags: s.tags } : {}) })),
}));

const rows = fx.cases.flatMap((c, i) => groups.map((g) => [i, c.args, g.name, c, g] as const));

describe(`restic engine vs ${fx.tool} (${fx.cases.length} recorded forgets × ${groups.length} groups)`, () => {
  it('the fixture is substantial', () => {
    expect(fx.cases.length).toBeGreaterThanOrEqual(200);
    for (const g of groups) expect(g.snapshots.length).toBeGreaterThanOrEqual(100);
    for (const c of fx.cases) {
      for (const g of groups) expect(c.results[g.name].keep.length + c.results[g.name].remove.length).toBe(g.snapshots.length);
    }
  });

  const differing: string[] = [];
  const show = (d: RetentionDecision) => ({ keep: d.keep.map((k) => [k.snapshot.id, ...k.reasons]), remove: d.remove.map((s) => s.id) });

  it.each(rows)('#%i restic forget %s (group %s)', (i, args, gname, c, g) => {
    const p = policy(c.policy.keep);
    const expected = {
      keep: c.results[g.name].keep.map(([i, ...why]) => [g.ids[i], ...why]),
      remove: c.results[g.name].remove.map((i) => g.ids[i]),
    };
    const ctx = { now, timezone: g.timezone };
    // An engine that cannot read -1 the way restic 0.14 does may refuse the policy instead.
    if (c.negativeCounts && resticEngine.unsupported(p).length > 0) return;
    expect(resticEngine.unsupported(p)).toEqual([]);
    const got = show(resticEngine.evaluate(g.snapshots, p, ctx));
    if (ALLOW_RESTIC_016 && JSON.stringify(got) !== JSON.stringify(expected)) {
      const rest = withoutNegativeCounts(c.policy.keep);
      // Only -1 counts: restic 0.14 still runs the policy, and it keeps nothing.
      const as014 =
        Object.keys(rest).length === 0
          ? { keep: [], remove: [...g.snapshots].reverse() }
          : withoutOldestRule(resticEngine.evaluate(g.snapshots, policy(rest), ctx));
      expect(show(as014), 'differs from restic 0.14 by more than the oldest rule and -1').toEqual(expected);
      differing.push(`#${i} ${args} (${gname})`);
      return;
    }
    expect(got).toEqual(expected);
  });

  it('reports the cases where restic 0.14 and the engine (restic 0.16+) differ', () => {
    if (differing.length > 0) {
      console.info(`${differing.length} of ${rows.length} decisions differ from restic 0.14 only by the oldest rule and/or -1 counts`);
    }
    expect(differing.length).toBeLessThan(rows.length / 2);
  });
});
