// restic `forget` conformance: the 40 policies of restic's own snapshot-policy test, with its
// golden output (test/fixtures/restic-forget, data from restic, see the README there). Every
// case must give the same kept snapshots, in the same order, with the same reasons and counters.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import {
  applyResticRules,
  isEmptyResticRules,
  NO_POLICY_REASON,
  resticEngine,
  resticRules,
} from '../../../engine/retention/restic';
import { sortNewestFirst } from '../../../engine/retention/common';
import type { SnapshotIn } from '../../../engine/retention/types';

const DIR = join(__dirname, '..', '..', 'fixtures', 'restic-forget');
const read = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

interface FixtureSnapshot {
  time: string;
  tags?: string[] | null;
  paths?: string[] | null;
}
interface ExpectedReason {
  snapshot: FixtureSnapshot;
  matches: string[];
  counters: Record<string, number>;
}
interface Expected {
  keep: FixtureSnapshot[] | null;
  reasons?: ExpectedReason[];
}

const fixtureSnapshots = read('snapshots.json') as FixtureSnapshot[];
const resticPolicies = read('policies.json') as Record<string, unknown>[];

// Input snapshots carry their index as id, so the paths (not part of SnapshotIn) can be found again.
const snapshots: SnapshotIn[] = fixtureSnapshots.map((s, i) => ({
  time: Date.parse(s.time),
  ...(s.tags ? { tags: s.tags } : {}),
  id: String(i),
}));

/** restic duration (`m` = months) → plan duration (`mo`). */
function fromResticDuration(s: string): string {
  return s.replace(/(\d+)m/g, '$1mo');
}

const WITHIN_KEYS: Record<string, string> = {
  within: 'within',
  withinHourly: 'within_hourly',
  withinDaily: 'within_daily',
  withinWeekly: 'within_weekly',
  withinMonthly: 'within_monthly',
  withinYearly: 'within_yearly',
};

/** restic ExpirePolicy (JSON) → Backplan policy. */
function toPolicy(p: Record<string, unknown>): PolicyModel {
  const keep: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    if (k in WITHIN_KEYS) keep[WITHIN_KEYS[k]] = fromResticDuration(String(v));
    else keep[k] = v;
  }
  return { at: ['policies', 'conformance'], keep, raw: { keep } };
}

/** A comparable identity of a snapshot: time, tags, paths. */
function identity(s: FixtureSnapshot): string {
  return JSON.stringify([Date.parse(s.time), s.tags ?? [], s.paths ?? []]);
}
const identityOf = (s: SnapshotIn): string => identity(fixtureSnapshots[Number(s.id)]);

/** restic omits zero counters from its JSON (omitempty). */
function nonZero(c: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(c).filter(([, v]) => v !== 0));
}

// Any "now" after the newest snapshot: restic measures `within*` from the newest snapshot.
const ctx = { now: Date.parse('2026-03-04T12:00:00Z'), timezone: 'UTC' };

describe('restic forget conformance (restic golden files)', () => {
  it('has the whole corpus', () => {
    expect(snapshots).toHaveLength(103);
    expect(resticPolicies).toHaveLength(40);
  });

  resticPolicies.forEach((p, i) => {
    const name = String(i).padStart(2, '0');
    it(`policy ${name} ${JSON.stringify(p)}`, () => {
      const expected = read(`expected/${name}.json`) as Expected;
      const policy = toPolicy(p);
      expect(resticEngine.unsupported(policy)).toEqual([]);

      const sorted = sortNewestFirst(snapshots);
      const rules = resticRules(policy, sorted, ctx);
      const core = applyResticRules(sorted, rules, ctx.timezone);

      // The core (restic's ApplyPolicy) reproduces the golden file exactly.
      const expectedKeep = expected.keep ?? [];
      expect(core.keep.map((k) => identityOf(k.snapshot))).toEqual(expectedKeep.map(identity));
      expect(core.keep.map((k) => k.reasons)).toEqual((expected.reasons ?? []).map((r) => r.matches));
      expect(core.keep.map((k) => nonZero({ ...k.counters }))).toEqual((expected.reasons ?? []).map((r) => r.counters));
      expect(core.keep.length + core.remove.length).toBe(snapshots.length);

      // Equal times keep input order (stable sort).
      const ids = core.keep.map((k) => k.snapshot);
      for (let j = 1; j < ids.length; j++) {
        if (ids[j].time === ids[j - 1].time) expect(Number(ids[j].id)).toBeGreaterThan(Number(ids[j - 1].id));
      }

      const decision = resticEngine.evaluate(snapshots, policy, ctx);
      if (expected.keep === null) {
        // Policy 0 is the empty policy: ApplyPolicy keeps nothing (`keep: null`), but
        // `restic forget` never calls it then: "no policy was specified, no snapshots will be
        // removed". The engine models the command, so it keeps everything.
        expect(isEmptyResticRules(rules)).toBe(true);
        expect(decision.remove).toEqual([]);
        expect(decision.keep.map((k) => k.snapshot)).toEqual(sorted);
        expect(decision.keep.every((k) => k.reasons.length === 1 && k.reasons[0] === NO_POLICY_REASON)).toBe(true);
      } else {
        expect(decision.keep.map((k) => k.snapshot)).toEqual(core.keep.map((k) => k.snapshot));
        expect(decision.keep.map((k) => k.reasons)).toEqual(expected.reasons!.map((r) => r.matches));
        expect(decision.remove).toEqual(core.remove);
      }
    });
  });

  it('does not depend on input order other than for equal times', () => {
    const policy = toPolicy({ daily: 7, weekly: 2, monthly: 3, yearly: 10 });
    const reversed = [...snapshots].reverse();
    const a = resticEngine.evaluate(snapshots, policy, ctx);
    const b = resticEngine.evaluate(reversed, policy, ctx);
    expect(b.keep.map((k) => k.snapshot.time)).toEqual(a.keep.map((k) => k.snapshot.time));
    expect(b.keep.map((k) => k.reasons)).toEqual(a.keep.map((k) => k.reasons));
  });
});
