// restic 0.14 itself is the oracle: every decision `restic forget --dry-run --json` made in
// test/fixtures/retention-real/restic.json (scripts/fixtures/gen-retention-fixtures.mjs) must come
// out of the restic engine unchanged — the same snapshots kept, with restic's reasons, and the
// same removed. Each group was made in one zone (restic keeps every snapshot's own offset), and
// that zone is the engine's timezone.
//
// The fixtures come from restic 0.14.0 (Debian 12), so the oracle is the engine with the rules of
// that release (resticEngineFor('0.14.0')): exact, reasons included. A policy with a -1 count is
// refused by that engine (0.14 reads -1 as "keep none" and rejects `unlimited`; Backplan does not
// simulate a rule that silently keeps nothing). The current engine (restic ≥ 0.16, checked against
// restic's own golden files in restic-conformance.test.ts) must differ from 0.14 only by its "oldest"
// reasons: taking them out gives restic 0.14's decision.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resticEngine, resticEngineFor } from '../../../engine/retention/restic';
import type { KeepModel, PolicyModel } from '../../../engine/plan/model';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';
import { withoutOldestRule } from '../../../scripts/fixtures/lib.mjs';

const restic014 = resticEngineFor('0.14.0');

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
    if (c.negativeCounts) {
      expect(restic014.unsupported(p).map((u) => u.message).join()).toMatch(/restic before 0\.16 has no unlimited count/);
      return;
    }
    expect(restic014.unsupported(p)).toEqual([]);
    expect(show(restic014.evaluate(g.snapshots, p, ctx))).toEqual(expected);

    const current = resticEngine.evaluate(g.snapshots, p, ctx);
    expect(show(withoutOldestRule(current)), 'current restic differs from 0.14 by more than the oldest rule').toEqual(expected);
    if (JSON.stringify(show(current)) !== JSON.stringify(expected)) differing.push(`#${i} ${args} (${gname})`);
  });

  it('counts the decisions where restic 0.14 and current restic differ', () => {
    console.info(`${differing.length} of ${rows.length} decisions differ between restic 0.14 and restic ≥ 0.16 (the oldest rule)`);
    expect(differing.length).toBeGreaterThan(0);
    expect(differing.length).toBeLessThan(rows.length / 2);
  });
});
