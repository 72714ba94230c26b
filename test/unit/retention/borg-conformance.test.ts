// borg prune conformance: borg 1.2's own test cases (helpers.py prune_split / prune_within unit
// tests and archiver.py prune command tests), transcribed as data with their source named in
// test/fixtures/peer-prune/borg.json. Every case goes through the policy parser of
// `backplan retain` and the borg engine, and must give the archives, and the rules, the test
// asserts. A case Backplan cannot express says why in the data, and the reason is checked here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyArg } from '../../../cli/commands/retain';
import { getEngine } from '../../../engine/retention';
import { BORG_RULES } from '../../../engine/retention/borg';
import type { PolicyModel } from '../../../engine/plan/model';
import type { RetentionDecision, SnapshotIn } from '../../../engine/retention/types';

interface UnitCase {
  rule: string;
  n: number;
  kept: number[];
  reasons?: Record<string, string>;
  not_expressible?: string;
  command?: string;
}
interface Archive {
  name: string;
  time: string;
}
interface ArchiverCase {
  test: string;
  archives: Archive[];
  args: string;
  select?: { prefix?: string; suffix?: string };
  keep: [string, string | null][];
  remove: string[];
  untouched?: string[];
  complete: boolean;
}
interface BorgData {
  source: { repository: string; commit: string; licence: string; branch: string };
  unit: {
    prune_split: { archives: { id: number; time: string }[]; cases: UnitCase[] };
    prune_split_keep_oldest: { archives: { id: number; time: string }[]; cases: UnitCase[] };
    prune_split_no_archives: { archives: { id: number; time: string }[]; cases: UnitCase[] };
    prune_within: { archives_seconds_before_now: number[]; cases: { within: string; kept: number[] }[] };
  };
  archiver: ArchiverCase[];
  archiver_sequences: {
    test: string;
    args: string;
    initial: Archive[];
    each_then_prune: { from: string; days: number };
    after_36_prunes: { keep: [string, string][] };
    then: { add: Archive; keep: [string, string][]; absent: string[] };
  }[];
}

const data = JSON.parse(readFileSync(join(__dirname, '..', '..', 'fixtures', 'peer-prune', 'borg.json'), 'utf8')) as BorgData;
const engine = getEngine('borg');
const NOW = Date.parse('2026-01-02T00:00:00Z');
const ctx = { now: NOW, timezone: 'UTC' };
const usage = (m: string): never => {
  throw new Error(`usage: ${m}`);
};

/** borg's rule name → the plan's keep key. */
const KEY_OF: Record<string, string> = Object.fromEntries(BORG_RULES.map((r) => [r.rule, r.key]));
/** borg's flag → the plan's keep key (`--keep-last` is borg's alias of `--keep-secondly`). */
const KEY_OF_FLAG: Record<string, string> = { ...Object.fromEntries(BORG_RULES.map((r) => [r.flag, r.key])), '--keep-secondly': 'last' };

const retainPolicy = (keep: Record<string, unknown>): PolicyModel => parsePolicyArg(JSON.stringify({ keep }), usage);

/** `--keep-daily=14 --keep-monthly=6` → a plan policy (the selection options are not policy). */
function policyOfArgs(args: string): PolicyModel {
  const keep: Record<string, number> = {};
  for (const a of args.split(/\s+/)) {
    const m = /^(--keep-[a-z]+)=(\d+)$/.exec(a);
    if (m) {
      expect(KEY_OF_FLAG[m[1]], m[1]).toBeDefined();
      keep[KEY_OF_FLAG[m[1]]] = Number(m[2]);
    } else expect(a).toMatch(/^--(prefix|glob-archives)=/);
  }
  return retainPolicy(keep);
}

const byId = (list: { id: number; time: string }[]): SnapshotIn[] => list.map((a) => ({ id: String(a.id), time: Date.parse(a.time) }));
const ids = (d: readonly SnapshotIn[]): number[] => d.map((s) => Number(s.id)).sort((a, b) => a - b);
const sortNum = (l: number[]): number[] => [...l].sort((a, b) => a - b);
const named = (d: RetentionDecision): [string, string][] => d.keep.map((k) => [k.snapshot.id!, k.reasons.join(', ')]);

describe(`borg prune conformance (${data.source.repository} ${data.source.branch} @ ${data.source.commit.slice(0, 12)})`, () => {
  it('has every case of the source', () => {
    expect(data.unit.prune_split.cases).toHaveLength(8);
    expect(data.unit.prune_split_keep_oldest.cases).toHaveLength(2);
    expect(data.unit.prune_split_no_archives.cases).toHaveLength(1);
    expect(data.unit.prune_within.cases).toHaveLength(11);
    expect(data.archiver).toHaveLength(6);
    expect(data.archiver_sequences).toHaveLength(1);
    expect(data.source.licence).toMatch(/BSD/);
  });

  describe('prune_split (helpers.py)', () => {
    const groups = [data.unit.prune_split, data.unit.prune_split_keep_oldest, data.unit.prune_split_no_archives];
    groups.forEach((g, gi) =>
      g.cases.forEach((c, i) => {
        it(`${['test_prune_split', 'test_prune_split_keep_oldest', 'test_prune_split_no_archives'][gi]} #${i} ${c.rule} ${c.n}`, () => {
          if (c.not_expressible) {
            // The reason still holds: no minutely rule in the engine, no `minutely` in a plan's keep.
            expect(c.rule).toBe('minutely');
            expect(BORG_RULES.map((r) => r.rule)).not.toContain('minutely');
            expect(() => retainPolicy({ minutely: c.n })).toThrow(/unknown keep rule `minutely`/);
            return;
          }
          const key = KEY_OF[c.rule];
          expect(key, c.rule).toBeDefined();
          const policy = retainPolicy({ [key]: c.n });
          if (c.command) {
            // A lone 0: the borg command refuses, and the decision keeps nothing (prune_split's answer).
            expect(engine.unsupported(policy).map((u) => u.message)).toEqual([expect.stringMatching(/borg prune needs at least one rule/)]);
          } else expect(engine.unsupported(policy)).toEqual([]);
          const d = engine.evaluate(byId(g.archives), policy, ctx);
          expect(ids(d.keep.map((k) => k.snapshot))).toEqual(sortNum(c.kept));
          for (const k of d.keep) {
            const rule = k.reasons[0].split(' ')[0];
            const want = c.reasons?.[k.snapshot.id!] ?? c.rule;
            expect(rule, `archive ${k.snapshot.id}`).toBe(want);
          }
        });
      }),
    );
  });

  describe('prune_within (helpers.py)', () => {
    const offsets = data.unit.prune_within.archives_seconds_before_now;
    const archives: SnapshotIn[] = offsets.map((s, i) => ({ id: String(i), time: NOW - s * 1000 }));
    /** borg's --keep-within unit → the plan's duration unit (`m` is borg's 31-day month). */
    const planDuration = (w: string): string => w.replace(/H$/, 'h').replace(/m$/, 'mo');
    data.unit.prune_within.cases.forEach((c) => {
      it(`--keep-within ${c.within}`, () => {
        const policy = retainPolicy({ within: planDuration(c.within) });
        expect(engine.unsupported(policy)).toEqual([]);
        for (const list of [archives, [...archives].reverse()]) {
          const d = engine.evaluate(list, policy, ctx);
          expect(ids(d.keep.map((k) => k.snapshot))).toEqual(c.kept);
          expect(d.keep.every((k) => k.reasons[0].startsWith('within #'))).toBe(true);
        }
      });
    });
  });

  describe('prune command (archiver.py)', () => {
    data.archiver.forEach((c) => {
      it(`${c.test}: borg prune ${c.args}`, () => {
        const policy = policyOfArgs(c.args);
        expect(engine.unsupported(policy)).toEqual([]);
        const selected = c.archives.filter(
          (a) => (!c.select?.prefix || a.name.startsWith(c.select.prefix)) && (!c.select?.suffix || a.name.endsWith(c.select.suffix)),
        );
        expect(c.archives.filter((a) => !selected.includes(a)).map((a) => a.name)).toEqual(c.untouched ?? []);
        const d = engine.evaluate(
          selected.map((a) => ({ id: a.name, time: Date.parse(a.time) })),
          policy,
          ctx,
        );
        const kept = new Map(named(d));
        const removed = d.remove.map((s) => s.id!);
        for (const [name, why] of c.keep) {
          expect(kept.has(name), `${name} kept`).toBe(true);
          if (why !== null) expect(kept.get(name), name).toBe(why);
        }
        for (const name of c.remove) expect(removed, `${name} pruned`).toContain(name);
        if (c.complete) {
          expect([...kept.keys()].sort()).toEqual(c.keep.map(([n]) => n).sort());
          expect([...removed].sort()).toEqual([...c.remove].sort());
        }
      });
    });

    data.archiver_sequences.forEach((s) => {
      it(`${s.test}: a prune after every archive, ${s.args}`, () => {
        const policy = policyOfArgs(s.args);
        const prune = (list: SnapshotIn[]): SnapshotIn[] => engine.evaluate(list, policy, ctx).keep.map((k) => k.snapshot);
        let list: SnapshotIn[] = s.initial.map((a) => ({ id: a.name, time: Date.parse(a.time) }));
        const from = Date.parse(s.each_then_prune.from);
        for (let day = 0; day < s.each_then_prune.days; day++) {
          const t = from + day * 86_400_000;
          const date = new Date(t);
          const name = `${date.getUTCMonth() === 8 ? 'september' : 'october'}${String(date.getUTCDate()).padStart(2, '0')}`;
          list = prune([...list, { id: name, time: t }]);
        }
        expect(list.map((a) => a.id)).toContain('october06');
        const dry = new Map(named(engine.evaluate(list, policy, ctx)));
        for (const [name, why] of s.after_36_prunes.keep) expect(dry.get(name), name).toBe(why);

        list = prune([...list, { id: s.then.add.name, time: Date.parse(s.then.add.time) }]);
        const after = engine.evaluate(list, policy, ctx);
        const afterKept = new Map(named(after));
        for (const [name, why] of s.then.keep) expect(afterKept.get(name), name).toBe(why);
        const present = [...after.keep.map((k) => k.snapshot.id), ...after.remove.map((r) => r.id)];
        for (const name of s.then.absent) expect(present).not.toContain(name);
      });
    });
  });
});
