// `backplan prune` of a job its tool prunes (prune/tool-prune.ts), with `sh -c` commands standing
// for restic: the dry run shows Backplan's decision and the guard's verdict and runs nothing; the
// real run journals each prune step, reports what the guard decided, stops at the first failure,
// and clears the tool's stale lock first when Backplan's own stale lock was broken.
import { describe, expect, it } from 'vitest';
import { Redactor } from '../../../engine/run/exec/redact';
import { Hosts } from '../../../engine/run/exec/hosts';
import { LOCAL } from '../../../engine/run/exec/quote';
import { pruneWithTool, type ToolPruneSession } from '../../../engine/run/prune/tool-prune';
import type { PruneJobOptions } from '../../../engine/run/ops/types';
import type { CommandStep, PruneGuard, PruneStep } from '../../../engine/run/steps/step';
import { job, plan, policy } from './helpers';

const id = (c: string) => c.repeat(64);
const SNAPS = [
  { id: id('a'), short_id: 'aaaaaaaa', time: '2024-03-01T00:00:00Z' },
  { id: id('b'), short_id: 'bbbbbbbb', time: '2024-03-02T00:00:00Z' },
];
const prints = (stdout: string, code = 0, stderr = '') => [
  'sh', '-c', 'printf %s "$1"; printf %s "$2" >&2; exit "$3"', 'sh', stdout, stderr, String(code),
];
const forget = (keep: string[], remove: string[]) =>
  prints(JSON.stringify([{ keep: keep.map((c) => ({ id: id(c) })), remove: remove.map((c) => ({ id: id(c) })) }]));

function cmd(sid: string, phase: CommandStep['phase'], argv: string[], guard?: Partial<PruneGuard>): CommandStep {
  return {
    type: 'command',
    id: sid,
    job: 'r',
    after: [],
    phase,
    description: `${sid} of r`,
    host: LOCAL,
    argv,
    ...(guard
      ? {
          guard: {
            argv: forget(['b'], ['a']),
            parse: 'restic-forget-json',
            min: 1,
            list: { argv: prints(JSON.stringify(SNAPS)), parse: 'restic-snapshots-json' },
            engine: 'restic',
            policy: policy(undefined, { keep: { last: 1 } }),
            timezone: 'UTC',
            ...guard,
          } as PruneGuard,
        }
      : {}),
  };
}

const P = plan({ jobs: [job('r', { kind: 'restic' })] });
const opts = (over: Partial<PruneJobOptions> = {}): PruneJobOptions => ({
  plan: P,
  planPath: 'backplan.yaml',
  job: 'r',
  stateDir: 'state',
  now: Date.UTC(2024, 2, 3),
  ...over,
});

/** A session that records the journal, the events and how it was closed. */
function session(brokeStale = false) {
  const journal: Record<string, unknown>[] = [];
  const events: Record<string, unknown>[] = [];
  const closed: string[] = [];
  const s = {
    journal: { append: (e: Record<string, unknown>) => journal.push(e), path: 'state/journal.jsonl' },
    hosts: new Hosts(P),
    redactor: new Redactor(),
    emit: (e: Record<string, unknown>) => events.push(e),
    close: async (status: string) => {
      closed.push(status);
    },
    ...(brokeStale ? { lock: { brokeStale: true } } : {}),
  } as unknown as ToolPruneSession;
  return { s, journal, events, closed };
}

const backup = cmd('r/backup', 'backup', ['sh', '-c', 'exit 0', 'backup', '--repo=/srv/repo']);
const guarded = cmd('r/forget', 'prune', ['sh', '-c', 'exit 0', '--repo=/srv/repo'], {});
const compact = cmd('r/compact', 'prune', ['sh', '-c', 'exit 0']);

describe('pruneWithTool --dry-run', () => {
  it("reports Backplan's decision and opens no session", async () => {
    const r = await pruneWithTool(opts({ dryRun: true }), [backup, guarded, compact], () => {
      throw new Error('a dry run opens no session');
    });
    expect(r).toEqual({
      job: 'r',
      dryRun: true,
      engine: 'restic',
      min: 1,
      dir: '/srv/repo',
      keep: [{ name: 'bbbbbbbb', time: '2024-03-02T00:00:00.000Z', reasons: ['last snapshot'] }],
      remove: [{ name: 'aaaaaaaa', time: '2024-03-01T00:00:00.000Z' }],
      removed: [],
      failed: [],
      ignored: [],
      partials: [],
    });
  });

  it("shows the guard's refusal, and names the repository by the last argument without --repo=", async () => {
    const g = cmd('r/forget', 'prune', ['restic', 'forget', '--', '/srv/other'], { argv: forget(['b', 'a'], []) });
    const r = await pruneWithTool(opts({ dryRun: true }), [g], () => session().s);
    expect(r.dir).toBe('/srv/other');
    expect(r.dryRun).toBe(true);
    expect(r.failed).toEqual([
      "restic's decision differs from Backplan's restic 0.16 or later rules: Backplan would remove aaaaaaaa " +
        '(2024-03-01T00:00:00Z), which restic keeps; prune refused, nothing was pruned',
    ]);
    expect(r.remove.map((x) => x.name)).toEqual(['aaaaaaaa']);
  });

  it('names the engine by the dry run parser when the step has none', async () => {
    const g = cmd('r/forget', 'prune', ['restic', 'forget'], { engine: undefined });
    const r = await pruneWithTool(opts({ dryRun: true }), [g], () => session().s);
    expect(r.engine).toBe('restic-forget-json');
    expect(r.keep).toEqual([]);
    expect(r.failed[0]).toMatch(/^this prune step has no listing/);
  });
});

describe('pruneWithTool', () => {
  it('runs the prune steps only, journals each, and reports the removals the guard checked', async () => {
    const { s, journal, events, closed } = session();
    const r = await pruneWithTool(opts(), [backup, guarded, compact], () => s);
    expect(r.dryRun).toBe(false);
    expect(r.keep).toEqual([{ name: 'bbbbbbbb', time: '2024-03-02T00:00:00Z', reasons: ['last snapshot'] }]);
    expect(r.remove).toEqual([{ name: 'aaaaaaaa', time: '2024-03-01T00:00:00Z' }]);
    expect(r.removed).toEqual(['aaaaaaaa']);
    expect(r.failed).toEqual([]);
    expect(r.journal).toBe('state/journal.jsonl');
    expect(journal.map((e) => [e.type, e.step, e.status])).toEqual([
      ['step-start', 'r/forget', undefined],
      ['step-end', 'r/forget', 'ok'],
      ['step-start', 'r/compact', undefined],
      ['step-end', 'r/compact', 'ok'],
    ]);
    const described = { job: 'r', phase: 'prune', description: 'r/forget of r' };
    expect(journal[0]).toMatchObject({ ...described, display: 'r/forget of r' });
    expect(journal[1]).toHaveProperty('detail');
    expect(journal[3]).not.toHaveProperty('message');
    expect(events.map((e) => [e.event, e.step, e.status])).toEqual([
      ['step-start', 'r/forget', undefined],
      ['step-end', 'r/forget', 'ok'],
      ['step-start', 'r/compact', undefined],
      ['step-end', 'r/compact', 'ok'],
    ]);
    expect(events[0]).toMatchObject({ job: 'r', phase: 'prune', description: 'r/forget of r' });
    expect(closed).toEqual(['ok']);
  });

  it('stops at a refused guard: nothing after it runs, the failure is reported and journalled', async () => {
    const { s, journal, closed } = session();
    const refused = cmd('r/forget', 'prune', ['sh', '-c', 'exit 0'], { argv: forget(['b', 'a'], []) });
    const r = await pruneWithTool(opts(), [refused, compact], () => s);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatch(/^restic's decision differs from Backplan's .*; prune refused, nothing was pruned$/);
    expect(r.removed).toEqual([]);
    expect(r.remove).toEqual([{ name: 'aaaaaaaa', time: '2024-03-01T00:00:00Z' }]);
    expect(journal.map((e) => [e.type, e.step, e.status])).toEqual([
      ['step-start', 'r/forget', undefined],
      ['step-end', 'r/forget', 'failed'],
    ]);
    expect(journal[1].message).toBe(r.failed[0]);
    expect(closed).toEqual(['failed']);
  });

  it('a failing step after the guard fails the prune with its message', async () => {
    const { s, closed, journal } = session();
    const broken = cmd('r/compact', 'prune', prints('', 2, 'Fatal: repository is damaged'));
    const r = await pruneWithTool(opts(), [guarded, broken], () => s);
    expect(r.removed).toEqual(['aaaaaaaa']);
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toContain('Fatal: repository is damaged');
    expect(journal[3]).toMatchObject({ type: 'step-end', step: 'r/compact', status: 'failed', message: r.failed[0] });
    expect(closed).toEqual(['failed']);
  });

  it("clears the tool's stale lock first when Backplan broke its own stale lock", async () => {
    const { s, journal } = session(true);
    await pruneWithTool(opts(), [backup, guarded], () => s);
    expect(journal.filter((e) => e.type === 'step-start').map((e) => e.step)).toEqual(['r/unlock', 'r/forget']);
    const plain = session();
    await pruneWithTool(opts(), [backup, guarded], () => plain.s);
    expect(plain.journal.filter((e) => e.type === 'step-start').map((e) => e.step)).toEqual(['r/forget']);
  });

  it('closes the session even when a step throws', async () => {
    const { s, closed } = session();
    (s as { emit: unknown }).emit = () => {
      throw new Error('listener gone');
    };
    await expect(pruneWithTool(opts(), [guarded], () => s)).rejects.toThrow('listener gone');
    expect(closed).toEqual(['failed']);
  });
});

describe('pruneWithTool, more corners', () => {
  it('the dry run decides at the given time', async () => {
    const within = cmd('r/forget', 'prune', ['restic', 'forget'], {
      policy: policy(undefined, { keep: { within: '3d' } }),
      argv: forget(['b', 'a'], []),
    });
    const r = await pruneWithTool(opts({ dryRun: true }), [within], () => session().s);
    expect(r.failed).toEqual([]);
    expect(r.keep.map((k) => k.name)).toEqual(['bbbbbbbb', 'aaaaaaaa']);
  });

  it('journals sane step durations, and emits the failure message', async () => {
    const { s, journal, events } = session();
    const broken = cmd('r/compact', 'prune', prints('', 2, 'Fatal: repository is damaged'));
    await pruneWithTool(opts(), [guarded, broken], () => s);
    for (const e of [...journal, ...events].filter((x) => x.ms !== undefined)) {
      expect(e.ms).toBeGreaterThanOrEqual(0);
      expect(e.ms).toBeLessThan(60_000);
    }
    const end = events.find((e) => e.event === 'step-end' && e.step === 'r/compact')!;
    expect(end.message).toContain('Fatal: repository is damaged');
  });

  it('a broken stale lock of a job the plan no longer has clears no tool lock, and does not fail', async () => {
    const { s, journal } = session(true);
    const r = await pruneWithTool(opts({ job: 'gone' }), [backup, guarded], () => s);
    expect(r.failed).toEqual([]);
    expect(journal.filter((e) => e.type === 'step-start').map((e) => e.step)).toEqual(['r/forget']);
  });

  it("several guarded commands: every command's removals are reported", async () => {
    const { s } = session();
    const second = cmd('r/forget2', 'prune', ['sh', '-c', 'exit 0'], {});
    const r = await pruneWithTool(opts(), [guarded, second], () => s);
    expect(r.remove.map((x) => x.name)).toEqual(['aaaaaaaa', 'aaaaaaaa']);
    expect(r.removed).toEqual(['aaaaaaaa', 'aaaaaaaa']);
  });

  it('only command steps of the prune phase run', async () => {
    const { s, journal } = session();
    const native = { type: 'prune', id: 'r/native', job: 'r', after: [], phase: 'prune', host: LOCAL } as unknown;
    await pruneWithTool(opts(), [native as PruneStep, guarded], () => s);
    expect(journal.filter((e) => e.type === 'step-start').map((e) => e.step)).toEqual(['r/forget']);
  });
});
