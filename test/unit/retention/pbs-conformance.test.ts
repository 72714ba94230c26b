// Proxmox prune-backups conformance: the peers' own test cases, transcribed as data with their
// source named (test/fixtures/peer-prune/pbs.json from proxmox-backup's tests/prune.rs,
// pve.json from pve-storage's src/test/prune_backups_test.pm). Every case goes through the
// policy parser of `backplan retain` and the pbs engine, and must give exactly the kept and
// removed backups of the peer's test.
//
// PBS's tests call its marking function (compute_prune_info) directly; the engine models the
// prune command, which keeps everything when no count is above 0. The one case where the two
// differ (keep-last 0 alone) is checked on both: the marking function removes every backup, as
// in PBS's test, and the command keeps them all. PVE's test runs the command's own code path.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicyArg } from '../../../cli/commands/retain';
import { checkText } from '../../../engine/check';
import { rule as retentionInvalid } from '../../../engine/checks/retention-invalid';
import { sortNewestFirst } from '../../../engine/retention/common';
import { getEngine } from '../../../engine/retention';
import { PBS_NO_SELECTION_REASON, pbsKeepOptions, pbsKeepsSomething, pbsMarks } from '../../../engine/retention/pbs';
import type { SnapshotIn } from '../../../engine/retention/types';

const DIR = join(__dirname, '..', '..', 'fixtures', 'peer-prune');
const read = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T;

interface Backup {
  time: string;
  protected?: boolean;
}
interface PbsData {
  source: { repository: string; path: string; commit: string; licence: string };
  lists: Record<string, Backup[]>;
  cases: {
    test: string;
    list: string;
    options: Record<string, number>;
    asserts: 'keep' | 'remove';
    expected: string[];
    command?: { kept: 'all'; why: string };
  }[];
}
interface PveData {
  source: { repository: string; path: string; commit: string; licence: string };
  groups: Record<string, Backup[]>;
  cases: { description: string; keep: Record<string, number>; expected: Record<string, string[]>; not_expressible?: string }[];
}

const pbs = read<PbsData>('pbs.json');
const pve = read<PveData>('pve.json');
const engine = getEngine('pbs');
const ctx = { now: Date.parse('2030-01-01T00:00:00Z'), timezone: 'UTC' };
const usage = (m: string): never => {
  throw new Error(`usage: ${m}`);
};

const RULE_OF: Record<string, string> = {
  'keep-last': 'last',
  'keep-hourly': 'hourly',
  'keep-daily': 'daily',
  'keep-weekly': 'weekly',
  'keep-monthly': 'monthly',
  'keep-yearly': 'yearly',
};

/** Proxmox keep options → the `--policy` text of `backplan retain`. Unknown keys may only be 0 (a no-op). */
function policyText(options: Record<string, number>): string {
  const keep: Record<string, number> = {};
  for (const [k, v] of Object.entries(options)) {
    const rule = RULE_OF[k];
    if (rule) keep[rule] = v;
    else expect(v, `${k} is not a Proxmox option; only a 0 can be dropped`).toBe(0);
  }
  return JSON.stringify({ keep });
}

/** The list without protected backups (Backplan does not model them; see the data's notes), as retain reads it. */
const input = (list: Backup[]): SnapshotIn[] => list.filter((b) => !b.protected).map((b) => ({ time: Date.parse(b.time), id: b.time }));
const times = (list: readonly SnapshotIn[]): string[] => list.map((s) => s.id!).sort();

describe(`PBS prune conformance (${pbs.source.repository} ${pbs.source.path} @ ${pbs.source.commit.slice(0, 12)})`, () => {
  it('has every case of the source', () => {
    expect(pbs.cases).toHaveLength(22);
    expect(pbs.source.licence).toMatch(/AGPL/);
  });

  pbs.cases.forEach((c, i) => {
    it(`#${i} ${c.test} ${JSON.stringify(c.options)}`, () => {
      const list = pbs.lists[c.list];
      const all = list.map((b) => b.time).sort();
      const expected = [...c.expected].sort();
      const expectedKeep = c.asserts === 'keep' ? expected : all.filter((t) => !expected.includes(t));
      // Protected backups are never removed: the case must say so too.
      for (const b of list.filter((x) => x.protected)) expect(expectedKeep).toContain(b.time);
      const expectedKeepUnprotected = expectedKeep.filter((t) => !list.find((b) => b.time === t)!.protected);

      const policy = parsePolicyArg(policyText(c.options), usage);
      expect(engine.unsupported(policy)).toEqual([]);
      const snapshots = input(list);

      // PBS's marking function, as its test calls it.
      const sorted = sortNewestFirst(snapshots);
      const marks = pbsMarks(sorted, pbsKeepOptions(policy), ctx.timezone);
      expect(times(sorted.filter((_, j) => marks[j] !== undefined))).toEqual(expectedKeepUnprotected);

      // The engine `backplan retain --engine pbs` runs.
      const decision = engine.evaluate(snapshots, policy, ctx);
      expect(decision.keep.length + decision.remove.length).toBe(snapshots.length);
      if (c.command) {
        // keep-last 0 alone: PBS's function removes everything; its commands keep everything.
        expect(c.command.kept).toBe('all');
        expect(expectedKeepUnprotected).toEqual([]);
        expect(pbsKeepsSomething(pbsKeepOptions(policy))).toBe(false);
        expect(decision.remove).toEqual([]);
        expect(decision.keep.map((k) => k.reasons)).toEqual(snapshots.map(() => [PBS_NO_SELECTION_REASON]));
      } else {
        expect(times(decision.keep.map((k) => k.snapshot))).toEqual(expectedKeepUnprotected);
        expect(times(decision.remove)).toEqual(all.filter((t) => !expectedKeep.includes(t)));
        // Each kept backup names the option that kept it.
        for (const k of decision.keep) expect(Object.keys(c.options)).toContain(k.reasons[0]);
      }
    });
  });

  it('only the keep-last 0 case needs the command guard', () => {
    expect(pbs.cases.filter((c) => c.command).map((c) => c.options)).toEqual([{ 'keep-last': 0 }]);
  });
});

describe(`PVE prune-backups conformance (${pve.source.repository} ${pve.source.path} @ ${pve.source.commit.slice(0, 12)})`, () => {
  it('has every case of the source', () => {
    expect(pve.cases).toHaveLength(22);
  });

  pve.cases.forEach((c, i) => {
    it(`#${i} ${c.description}`, () => {
      if (c.not_expressible) {
        // The reason still holds: the case has no group a vzdump job would list.
        expect(c.expected).toEqual({});
        return;
      }
      const policy = parsePolicyArg(policyText(c.keep), usage);
      expect(engine.unsupported(policy)).toEqual([]);
      const groups = Object.keys(c.expected);
      expect(groups.length).toBeGreaterThan(0);
      for (const g of groups) {
        const list = pve.groups[g];
        const marks = c.expected[g];
        expect(marks).toHaveLength(list.length);
        list.forEach((b, j) => expect(marks[j] === 'protected').toBe(Boolean(b.protected)));
        const decision = engine.evaluate(input(list), policy, ctx);
        const keep = list.filter((_, j) => marks[j] === 'keep').map((b) => b.time);
        const remove = list.filter((_, j) => marks[j] === 'remove').map((b) => b.time);
        expect(times(decision.keep.map((k) => k.snapshot)), g).toEqual(keep.sort());
        expect(times(decision.remove), g).toEqual(remove.sort());
      }
    });
  });
});

describe('check: a vzdump policy that keeps nothing', () => {
  const plan = (retention: string) => `version: 1
hosts:
  pve: { address: pve.example }
storages:
  local: { host: pve, path: /var/lib/vz }
policies:
  nothing: { keep: { last: 0 } }
jobs:
  vms: { kind: vzdump, host: pve, vmid: ["101"], to: local, schedule: "0 2 * * *", retention: ${retention} }
`;

  it.each([['a named policy', 'nothing'], ['an inline policy', '{ keep: { last: 0 } }']])('%s gets a finding that says what Proxmox does', (_what, retention) => {
    const text = plan(retention);
    const f = checkText(text, { rules: [retentionInvalid], now: Date.parse('2026-01-15T00:00:00Z') }).findings;
    const mine = f.filter((x) => /vzdump/.test(x.message));
    expect(mine.length).toBeGreaterThanOrEqual(1);
    for (const x of mine) {
      expect(x.rule).toBe('retention-invalid');
      expect(x.message).toMatch(/^every rule of `keep` is 0/);
      expect(x.message).toContain('keep-all');
      expect(x.message).toContain('Backplan\'s `min` plays no part');
      expect(x.message).toContain('only its internal marking function, which its tests call, would remove them all');
    }
  });

  it('a restic job with the same policy gets the general message only', () => {
    const text = plan('nothing').replace('kind: vzdump', 'kind: restic');
    const f = checkText(text, { rules: [retentionInvalid], now: Date.parse('2026-01-15T00:00:00Z') }).findings;
    expect(f.map((x) => x.message.split(':')[0])).toEqual(['every rule of `keep` is 0, so this policy has no rule that keeps anything']);
    expect(f.some((x) => /vzdump/.test(x.message))).toBe(false);
  });
});
