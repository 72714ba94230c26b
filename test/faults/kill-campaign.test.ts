// The kill campaign in CI (issue #16, item 5): the code of bench/faults.mjs
// (test/helpers/faults/campaign.ts) with 30 kills per kind at a fixed seed, every kind that runs
// here with local targets at once. Each kill is followed by the campaign's invariants (listed
// copies whole, no leftover listed, never fewer copies than min, journals parse, a stale lock
// named clearly, no half restore target, no secret anywhere); the test asserts none broke.
// The full campaign (≥ 150 kills per kind) and its results are in bench/README.md.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { runCampaign, summaryTable, type KindResult } from '../helpers/faults/campaign';
import { KIND_NAMES } from '../helpers/faults/kinds';

const SEED = 20261207;
const KILLS = 30;
const ok = requireTools('python3', 'rsync', 'restic', 'borg', 'duplicity', 'gpg');
let work = '';
let results: Promise<Map<string, KindResult>> | undefined;

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-kill-campaign-'));
  // A copy of the CLI: a rebuild of dist/ by another test run during the campaign cannot break it.
  // BACKPLAN_FAULTS_CLI: another build instead (a mutant, to see the campaign catch it).
  copyFileSync(process.env.BACKPLAN_FAULTS_CLI ?? CLI, join(work, 'cli.js'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** One campaign for every kind (run once, by the first test that asks). */
function campaign(): Promise<Map<string, KindResult>> {
  results ??= runCampaign({
    seed: SEED,
    kills: KILLS,
    kinds: KIND_NAMES,
    work,
    cli: join(work, 'cli.js'),
    // Small data, many small files (a removal that is not atomic has a wide window to be caught in).
    mb: 2,
    files: 1500,
    parallel: KIND_NAMES.length,
    // CI's budget: the lighter looks, a third of the stale locks shown to a run without the
    // flag, a third of the new repository copies restore-tested (bench/faults.mjs does all).
    light: true,
    verifyNew: 0.3,
    probeLocks: 0.3,
  }).then((r) => {
    console.log(`kill campaign, seed ${r.seed}, ${(r.ms / 1000).toFixed(0)} s\n${summaryTable(r)}`);
    return new Map(r.kinds.map((k) => [k.kind, k]));
  });
  return results;
}

describe.skipIf(!ok)(`the kill campaign: ${KILLS} SIGKILLs per kind at seed ${SEED}`, () => {
  it.each(KIND_NAMES)('%s: every kill followed by the invariants, none broken', async (kind) => {
    const k = (await campaign()).get(kind)!;
    expect(k.skipped).toBeUndefined();
    expect(k.violations.map((v) => `#${v.iteration} ${v.op}${v.killed ? ` killed at ${v.delayMs} ms` : ''}: ${v.invariant}: ${v.detail}`)).toEqual([]);
    expect(k.kills).toBeGreaterThanOrEqual(KILLS);
    // The kills reached every operation, and the looks really looked.
    for (const op of ['run', 'prune', 'verify', 'restore'] as const) expect(k.perOp[op].kills, op).toBeGreaterThan(0);
    expect(k.verified).toBeGreaterThan(0);
  }, 600_000);
});
