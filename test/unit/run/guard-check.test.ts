// The guard of tool prunes (SPEC §8.3) end to end on this machine: the listing, the version and
// the dry run are `sh -c` commands printing canned restic/borg output, so every verdict of
// checkGuard is checked with its message: agreement, each way of disagreeing, min, the newest
// snapshot, a failing or missing tool, an undeclared restic release.
import { describe, expect, it } from 'vitest';
import { checkGuard, runTool } from '../../../engine/run/exec/guard';
import { Hosts } from '../../../engine/run/exec/hosts';
import { LOCAL } from '../../../engine/run/exec/quote';
import { Redactor } from '../../../engine/run/exec/redact';
import type { CommandStep, PruneGuard } from '../../../engine/run/steps/step';
import { plan, policy } from './helpers';

const id = (c: string) => c.repeat(64);
const day = (d: number) => `2024-03-0${d}T00:00:00Z`;
const SNAPS = [
  { id: id('a'), short_id: 'aaaaaaaa', time: day(1), tags: ['x'] },
  { id: id('b'), short_id: 'bbbbbbbb', time: day(2), tags: ['x'] },
  { id: id('c'), short_id: 'cccccccc', time: day(3), tags: [] },
];

/** A command printing `stdout` (and `stderr`), exiting with `code`. */
function prints(stdout: string, code = 0, stderr = ''): string[] {
  return ['sh', '-c', 'printf %s "$1"; printf %s "$2" >&2; exit "$3"', 'sh', stdout, stderr, String(code)];
}
const forget = (keep: string[], remove: string[]) =>
  prints(JSON.stringify([{ keep: keep.map((c) => ({ id: id(c) })), remove: remove.map((c) => ({ id: id(c) })) }]));

function step(guard: Partial<PruneGuard>): CommandStep {
  const g: PruneGuard = {
    argv: forget(['c', 'b'], ['a']),
    parse: 'restic-forget-json',
    min: 1,
    list: { argv: prints(JSON.stringify(SNAPS)), parse: 'restic-snapshots-json' },
    engine: 'restic',
    policy: policy(undefined, { keep: { last: 2 } }),
    timezone: 'UTC',
    ...guard,
  };
  const base = { type: 'command' as const, id: 'prune', job: 'j', after: [], phase: 'prune' as const, description: 'p' };
  return { ...base, host: LOCAL, argv: g.argv, guard: g };
}

const NOW = Date.UTC(2024, 2, 4);
const env = () => ({ hosts: new Hosts(plan({ jobs: [] })), redactor: new Redactor() });
const check = (s: CommandStep) => checkGuard(s, env(), NOW);
const refusal = (why: string) => `${why}; prune refused, nothing was pruned`;

describe('checkGuard', () => {
  it("passes when restic's dry run removes exactly what Backplan removes; returns Backplan's decision", async () => {
    const r = await check(step({}));
    expect(r.ok).toBe(true);
    expect(r.message).toBeUndefined();
    expect(r.decision!.keep.map((k) => [k.snapshot.name, k.reasons])).toEqual([
      ['cccccccc', ['last snapshot']],
      ['bbbbbbbb', ['last snapshot']],
    ]);
    expect(r.decision!.remove.map((s) => s.name)).toEqual(['aaaaaaaa']);
    expect(r.detail).toEqual({
      engine: 'restic',
      kept: [
        { name: 'cccccccc', time: '2024-03-03T00:00:00Z', reasons: ['last snapshot'] },
        { name: 'bbbbbbbb', time: '2024-03-02T00:00:00Z', reasons: ['last snapshot'] },
      ],
      removes: [{ name: 'aaaaaaaa', time: '2024-03-01T00:00:00Z' }],
    });
  });

  it('refuses when the tool would remove a snapshot Backplan keeps, saying which and why it is kept', async () => {
    const r = await check(step({ argv: forget(['c'], ['b', 'a']) }));
    expect(r.ok).toBe(false);
    expect(r.message).toBe(
      refusal(
        "restic's decision differs from Backplan's restic 0.16 or later rules: restic would remove " +
          'bbbbbbbb (2024-03-02T00:00:00Z), which Backplan keeps (last snapshot)',
      ),
    );
    expect(r.detail).toMatchObject({ toolOnly: ['bbbbbbbb'], engineOnly: [] });
    expect(r.decision!.remove.map((s) => s.name)).toEqual(['aaaaaaaa']);
  });

  it('refuses when Backplan would remove a snapshot the tool keeps', async () => {
    const r = await check(step({ argv: forget(['c', 'b', 'a'], []) }));
    expect(r.message).toBe(
      refusal(
        "restic's decision differs from Backplan's restic 0.16 or later rules: Backplan would remove " +
          'aaaaaaaa (2024-03-01T00:00:00Z), which restic keeps',
      ),
    );
    expect(r.detail).toMatchObject({ toolOnly: [], engineOnly: ['aaaaaaaa'] });
  });

  it('refuses when the dry run and the listing do not hold the same snapshots', async () => {
    const r = await check(step({ argv: forget(['c', 'b', 'd'], ['a']) }));
    expect(r.message).toBe(
      refusal(
        'the dry run of restic and its listing do not hold the same snapshots (1 only in the dry run, 0 only in ' +
          'the listing: did a backup run meanwhile?)',
      ),
    );
    const missing = await check(step({ argv: forget(['c'], ['a']) }));
    expect(missing.message).toMatch(/\(0 only in the dry run, 1 only in the listing/);
  });

  it('refuses when the policy would remove the newest snapshot, even when both agree', async () => {
    const tags = policy(undefined, { keep: { tags: [['x']] } });
    const r = await check(step({ policy: tags, argv: forget(['b', 'a'], ['c']) }));
    expect(r.message).toBe(refusal('the policy would remove the newest snapshot, cccccccc (2024-03-03T00:00:00Z)'));
  });

  it('refuses when fewer than min would be kept, min being capped by what exists', async () => {
    const one = policy(undefined, { keep: { last: 1 } });
    const r = await check(step({ policy: one, min: 2, argv: forget(['c'], ['b', 'a']) }));
    expect(r.message).toBe(refusal('the policy would keep 1 snapshot(s), fewer than min 2'));
    // min 5 of 3 snapshots that are all kept: nothing more can be kept
    const all = policy(undefined, { keep: { last: 5 } });
    expect((await check(step({ policy: all, min: 5, argv: forget(['c', 'b', 'a'], []) }))).ok).toBe(true);
    // min 0 still means keeping 1: a dry run keeping none of them is refused
    const zero = policy(undefined, { keep: { tags: [['none']] } });
    const none = await check(step({ policy: zero, min: 0, argv: forget([], ['c', 'b', 'a']) }));
    expect(none.message).toMatch(/^the policy would remove the newest snapshot/);
  });

  it('refuses a step planned without a listing', async () => {
    const r = await check(step({ list: undefined }));
    expect(r).toEqual({
      ok: false,
      message: refusal(
        'this prune step has no listing to check the tool against (plan it again with this version of Backplan)',
      ),
    });
    expect((await check(step({ timezone: undefined }))).ok).toBe(false);
    expect((await check(step({ policy: undefined }))).ok).toBe(false);
    expect((await check(step({ engine: undefined }))).ok).toBe(false);
  });

  it('refuses a policy the engine cannot express', async () => {
    const tiers = policy(undefined, { tiers: [{ every: '1d', until: '7d' }] });
    const r = await check(step({ policy: tiers }));
    expect(r.ok).toBe(false);
    expect(r.message).toMatch(/^the restic rules cannot express this policy: .+; prune refused, nothing was pruned$/);
  });

  it('a failing listing is a refusal with the last lines of its stderr; a missing tool says so', async () => {
    const stderr = 'one\ntwo\n\nthree\nFatal: no repo\n';
    const failing = await check(step({ list: { argv: prints('', 1, stderr), parse: 'restic-snapshots-json' } }));
    expect(failing.message).toBe(
      refusal("listing the job's restic snapshots: sh exited with status 1: two | three | Fatal: no repo"),
    );
    const silent = await check(step({ list: { argv: prints('', 3), parse: 'restic-snapshots-json' } }));
    expect(silent.message).toBe(refusal("listing the job's restic snapshots: sh exited with status 3"));
    const missing = await check(step({ list: { argv: ['backplan-no-such-tool'], parse: 'restic-snapshots-json' } }));
    expect(missing.message).toBe(
      refusal("listing the job's restic snapshots: backplan-no-such-tool: command not found"),
    );
    const dry = await check(step({ argv: prints('', 1, 'Fatal: locked') }));
    expect(dry.message).toBe(refusal("restic's dry run: sh exited with status 1: Fatal: locked"));
  });

  it('refuses a restic whose release follows other rules than the plan declares, after deciding', async () => {
    const version = prints('restic 0.14.0 compiled with go1.19.8 on linux/amd64\n');
    const r = await check(step({ version }));
    expect(r.message).toBe(
      refusal(
        'this machine runs restic 0.14.0, whose forget rules are those of restic before 0.16, but the plan follows ' +
          'restic 0.16 or later (no `tool_versions.restic` declared): give the job a `host` (one without `address` ' +
          'runs here) with `tool_versions: {restic: "0.14.0"}`, so that simulate, check and this prune follow ' +
          'restic 0.14.0',
      ),
    );
    expect(r.decision!.remove.map((s) => s.name)).toEqual(['aaaaaaaa']);
    expect(r.detail).toMatchObject({ toolVersion: '0.14.0' });
    const declared = await check(step({ version, declaredVersion: '0.14.0', planHost: 'nas' }));
    expect(declared.ok).toBe(true);
    expect(declared.detail).toMatchObject({ engine: 'restic', toolVersion: '0.14.0' });
    const v17 = prints('restic 0.17.3\n');
    const newer = await check(step({ version: v17, declaredVersion: '0.14.0', planHost: 'nas' }));
    expect(newer.message).toMatch(/^host nas runs restic 0.17.3, .* the plan declares restic 0.14.0 \(restic before/);
    expect(newer.message).toContain('set `tool_versions: {restic: "0.17.3"}` on host nas');
    const garbled = await check(step({ version: prints('not restic\n') }));
    expect(garbled.ok).toBe(true);
    expect(garbled.detail).not.toHaveProperty('toolVersion');
  });

  it('reads borg: its JSON listing and its --list log on stderr', async () => {
    // borg prints naive times, read in UTC
    const archives = {
      archives: SNAPS.map((x) => ({ id: x.id, name: `j-${x.short_id[0]}`, time: x.time.slice(0, -1) })),
    };
    const log = (verb: string, c: string) => `${verb} j-${c}  Sun, 2024-03-01 [${id(c)}]`;
    const s = step({
      parse: 'borg-prune-list',
      engine: 'borg',
      list: { argv: prints(JSON.stringify(archives)), parse: 'borg-list-json' },
      argv: prints(
        '',
        0,
        [
          log('Keeping archive (rule: last #1):', 'c'),
          log('Keeping archive (rule: last #2):', 'b'),
          log('Would prune:', 'a'),
        ].join('\n'),
      ),
    });
    const r = await check(s);
    expect(r.ok).toBe(true);
    expect(r.decision!.remove.map((x) => x.name)).toEqual(['j-a']);
    const wrong = await check({ ...s, guard: { ...s.guard!, argv: prints('', 0, log('Would prune:', 'b')) } });
    expect(wrong.message).toMatch(/^the dry run of borg and its listing do not hold the same snapshots/);
  });

  it('turns unreadable tool output into a refusal', async () => {
    const list = (text: string) => ({ list: { argv: prints(text), parse: 'restic-snapshots-json' as const } });
    expect((await check(step(list('Fatal: wrong password')))).message).toBe(
      refusal('restic snapshots --json is not JSON: Fatal: wrong password'),
    );
    expect((await check(step(list('{}')))).message).toBe(refusal('restic snapshots --json did not print a list'));
    expect((await check(step(list('[{"time":"2024-03-01T00:00:00Z"}]')))).message).toBe(
      refusal('restic listed a snapshot without id'),
    );
    expect((await check(step(list(`[{"id":"${id('a')}","time":"yesterday"}]`)))).message).toBe(
      refusal('cannot read the snapshot time `yesterday`'),
    );
    expect((await check(step(list(`[{"id":"${id('a')}","time":5}]`)))).message).toBe(
      refusal('a snapshot time is not a string: 5'),
    );
  });
});

describe('runTool', () => {
  const x = env;

  it('collects stdout and stderr whole, with the exit status', async () => {
    // more than one pipe buffer, so several chunks
    const argv = ['sh', '-c', 'head -c 300000 /dev/zero | tr "\\0" x; printf err >&2; exit 4'];
    const r = await runTool({ host: LOCAL, argv }, x());
    expect(r).toEqual({ code: 4, stdout: 'x'.repeat(300_000), stderr: 'err' });
  });

  it('passes the step environment to a local tool, and runs in the given directory', async () => {
    const argv = ['sh', '-c', 'printf "%s %s" "$BP_GUARD_TEST" "$(pwd)"'];
    const cmd = { host: LOCAL, argv, env: { BP_GUARD_TEST: { fromEnv: 'BP_GUARD_SECRET' } } };
    const r = await runTool(cmd, { ...x(), env: { BP_GUARD_SECRET: 'v1' } }, '/');
    expect(r.stdout).toBe('v1 /');
    const unset = await runTool(cmd, { ...x(), env: {} }, '/');
    expect(unset).toEqual({
      code: null,
      stdout: '',
      stderr: '',
      error: 'environment variable BP_GUARD_SECRET is not set (it holds BP_GUARD_TEST for this step)',
    });
  });

  it('stops a tool that prints nothing for longer than the stall limit', async () => {
    const r = await runTool({ host: LOCAL, argv: ['sleep', '30'] }, x(), undefined, { stallMs: 300 });
    expect(r.error).toMatch(/^sleep stopped: .*; SIGTERM, then SIGKILL, to its process group$/);
  }, 20_000);

  it('stops the tool when the run is cancelled', async () => {
    const ac = new AbortController();
    const p = runTool({ host: LOCAL, argv: ['sleep', '30'] }, { ...x(), signal: ac.signal });
    setTimeout(() => ac.abort(), 200);
    const r = await p;
    expect(r.code).toBeNull();
  }, 20_000);
});
