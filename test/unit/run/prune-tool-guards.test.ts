// `backplan prune --dry-run` of a job with several guarded prune commands (duplicity: one remove
// command per rule, run in turn): every guard is checked on the same listing and the report
// shows the union of their removals, as the real prune removes them one after the other. Before,
// the dry run showed the first command's decision only. `sh -c` stubs stand for the tool.
import { describe, expect, it } from 'vitest';
import { LOCAL } from '../../../engine/run/exec/quote';
import { pruneWithTool } from '../../../engine/run/prune/tool-prune';
import type { CommandStep, PruneGuard } from '../../../engine/run/steps/step';
import { job, plan, policy } from './helpers';

const id = (c: string) => c.repeat(64);
const SNAPS = ['a', 'b', 'c'].map((c, i) => ({
  id: id(c),
  short_id: c.repeat(8),
  time: `2024-03-0${i + 1}T00:00:00Z`,
}));
const prints = (stdout: string) => ['sh', '-c', 'printf %s "$1"', 'sh', stdout];
const forget = (keep: string[], remove: string[]) =>
  prints(JSON.stringify([{ keep: keep.map((c) => ({ id: id(c) })), remove: remove.map((c) => ({ id: id(c) })) }]));

function guarded(sid: string, last: number, keep: string[], remove: string[]): CommandStep {
  const guard: PruneGuard = {
    argv: forget(keep, remove),
    parse: 'restic-forget-json',
    min: 1,
    list: { argv: prints(JSON.stringify(SNAPS)), parse: 'restic-snapshots-json' },
    engine: 'restic',
    policy: policy(undefined, { keep: { last } }),
    timezone: 'UTC',
  } as PruneGuard;
  return {
    type: 'command',
    id: sid,
    job: 'r',
    after: [],
    phase: 'prune',
    description: `${sid} of r`,
    host: LOCAL,
    argv: ['sh', '-c', 'exit 1', '--repo=/srv/repo'],
    guard,
  };
}

describe('pruneWithTool --dry-run with several guarded commands', () => {
  it('checks each one and reports the union of their removals', async () => {
    const steps = [guarded('r/rule-1', 2, ['b', 'c'], ['a']), guarded('r/rule-2', 1, ['c'], ['a', 'b'])];
    const opts = {
      plan: plan({ jobs: [job('r', { kind: 'restic' })] }),
      planPath: 'backplan.yaml',
      job: 'r',
      stateDir: 'state',
      now: Date.UTC(2024, 2, 4),
      dryRun: true,
    };
    const r = await pruneWithTool(opts, steps, () => {
      throw new Error('a dry run opens no session');
    });
    expect(r.failed).toEqual([]);
    expect(r.remove.map((x) => x.name)).toEqual(['aaaaaaaa', 'bbbbbbbb']);
    expect(r.keep.map((x) => x.name)).toEqual(['cccccccc']);
  });

  it("stops at the first guard that refuses, with that guard's reason", async () => {
    const steps = [guarded('r/rule-1', 2, ['c'], ['a', 'b']), guarded('r/rule-2', 1, ['c'], ['a', 'b'])];
    const opts = {
      plan: plan({ jobs: [job('r', { kind: 'restic' })] }),
      planPath: 'backplan.yaml',
      job: 'r',
      stateDir: 'state',
      now: Date.UTC(2024, 2, 4),
      dryRun: true,
    };
    const r = await pruneWithTool(opts, steps, () => {
      throw new Error('a dry run opens no session');
    });
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]).toMatch(/differs from Backplan's/);
    expect(r.remove.map((x) => x.name)).toEqual(['aaaaaaaa']);
  });
});
