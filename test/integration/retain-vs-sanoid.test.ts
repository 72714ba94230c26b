// `backplan retain --engine sanoid` against sanoid 2.1.0 itself (issue #15): random policies (the
// six types' counts, frequent_period) on random snapshot lists at a random "now". sanoid's own
// decision is read from `sanoid --prune-snapshots --readonly --force-prune --verbose` under a
// frozen faked clock, its listing given as its cache file (`zfs get -Hrpt snapshot creation`
// lines, the file's mtime set to "now" so the 15-minute cache is trusted and no zfs is run):
// each "INFO: pruning DS@NAME" line is a snapshot it would destroy. Those must be exactly the
// names retain removes. Ages fall on and around count × period (the strict `<`), types come in
// odd names too (`..._daily-only` is a daily to sanoid, `..._weirdly` and non-autosnap names
// are never pruned). Seeded: a failure prints its seed and case. bench/retain-sanoid.mjs runs 500.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt } from '../helpers/cli';
import { faketimeLib } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { rng } from '../helpers/rng';

const CASES = Number(process.env.BACKPLAN_SANOID_CASES ?? 100);
const SEED = Number(process.env.BACKPLAN_SANOID_SEED ?? 15_2026);
const ok = requireTools('sanoid', 'faketime');
const TYPES = ['frequently', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const PERIOD_S: Record<string, number> = {
  hourly: 3600,
  daily: 86_400,
  weekly: 7 * 86_400,
  monthly: 31 * 86_400,
  yearly: 365.25 * 86_400,
};
let work = '';


type Ran = { code: number; stdout: string; stderr: string };

function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000', '');
const stampUtc = (s: number) => iso(s).replace('T', ' ').replace('Z', '');

interface Case {
  policy: Record<string, unknown>;
  snaps: { name: string; ctime: number }[];
  now: number;
}

function makeCase(r: () => number): Case {
  const int = (n: number) => Math.floor(r() * n);
  const keep: Record<string, number> = {};
  for (const t of TYPES) if (r() < 0.6) keep[t] = int(t === 'frequently' ? 12 : 9);
  if (!Object.values(keep).some((v) => v > 0)) keep[TYPES[int(6)]] = 1 + int(5);
  const policy: Record<string, unknown> = { keep };
  const fpChoices = [1, 5, 10, 15, 30, 45, 60, 90];
  if (r() < 0.5) policy.frequent_period = fpChoices[int(fpChoices.length)];
  const fp = (policy.frequent_period as number | undefined) ?? 15;
  const now = 1_767_225_600 + int(365 * 86_400); // in 2026, whole seconds
  const used = new Set<number>();
  const names = new Set<string>();
  const snaps: Case['snaps'] = [];
  const n = int(40);
  for (let i = 0; i < n; i++) {
    const type = r() < 0.08 ? 'weirdly' : TYPES[int(6)];
    const period = type === 'frequently' ? 60 * fp : (PERIOD_S[type] ?? 86_400);
    const count = keep[type] ?? 0;
    // Ages up to 2.5 × count × period (or a few periods), some exactly on the limit or 1 s off it.
    const limit = Math.floor(Math.max(count, 1) * period);
    const pick = r();
    let age = pick < 0.15 ? limit : pick < 0.25 ? limit + (r() < 0.5 ? 1 : -1) : int(Math.floor(2.5 * limit) + 1);
    while (used.has(now - age)) age++;
    used.add(now - age);
    const ctime = now - age;
    const date = iso(ctime).slice(0, 19).replace('T', '_');
    const odd = r();
    const name =
      odd < 0.05
        ? `manual_${i}_${type}`
        : odd < 0.1
          ? `autosnap_${date}_${type}-only`
          : `autosnap_${date}_${i}_${type}`;
    if (names.has(name)) continue;
    names.add(name);
    snaps.push({ name, ctime });
  }
  return { policy, snaps, now };
}

/** What sanoid 2.1.0 would destroy, read from its readonly prune. */
async function sanoidPrunes(c: Case, k: number): Promise<string[]> {
  const dir = join(work, `case${k}`);
  mkdirSync(dir, { recursive: true });
  const ds = `bpretain/case${k}`;
  const keep = c.policy.keep as Record<string, number>;
  const lines = [`[${ds}]`, ...TYPES.map((t) => `\t${t} = ${keep[t] ?? 0}`), '\tautosnap = no', '\tautoprune = yes'];
  if (c.policy.frequent_period !== undefined) lines.push(`\tfrequent_period = ${String(c.policy.frequent_period)}`);
  writeFileSync(join(dir, 'sanoid.conf'), `${lines.join('\n')}\n`);
  const cache = join(dir, 'snapshots.txt');
  writeFileSync(cache, c.snaps.map((s) => `${ds}@${s.name}\tcreation\t${s.ctime}\t-\n`).join(''));
  utimesSync(cache, c.now, c.now);
  const env = { ...process.env, TZ: 'UTC', FAKETIME: stampUtc(c.now), LD_PRELOAD: faketimeLib() };
  const r = await run(['sanoid', '--configdir', dir, '--cache-dir', dir, '--run-dir', dir, '--prune-snapshots',
    '--readonly', '--force-prune', '--verbose'], env);
  if (r.code !== 0 || /cache expired/.test(r.stdout)) throw new Error(`sanoid: ${r.code} ${r.stdout} ${r.stderr}`);
  const out: string[] = [];
  for (const m of r.stdout.matchAll(/^INFO: pruning (\S+)@(\S+) \.\.\. $/gm)) if (m[1] === ds) out.push(m[2]);
  return out.sort();
}

async function retainRemoves(c: Case, k: number): Promise<string[]> {
  const file = join(work, `case${k}.json`);
  writeFileSync(file, JSON.stringify(c.snaps.map((s) => ({ time: iso(s.ctime), name: s.name }))));
  const r = await run([process.execPath, join(work, 'cli.js'), 'retain', '--engine', 'sanoid', '--policy', JSON.stringify(c.policy),
    '--snapshots', file, '--now', iso(c.now), '--timezone', 'UTC', '--format', 'json']);
  if (r.code !== 0) throw new Error(`retain: ${r.code} ${r.stderr}`);
  return (JSON.parse(r.stdout) as { remove: { name: string }[] }).remove.map((x) => x.name).sort();
}

beforeAll(() => {
  if (!ok) return;
  ensureBuilt();
  work = mkdtempSync(join(tmpdir(), 'bp-retain-sanoid-'));
  // A copy: a rebuild of dist/ by someone else during the run cannot break it.
  copyFileSync(CLI, join(work, 'cli.js'));
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!ok)(`backplan retain --engine sanoid vs sanoid 2.1.0 (${CASES} cases, seed ${SEED})`, () => {
  it('removes exactly what sanoid prunes', async () => {
    const r = rng(SEED);
    const cases = Array.from({ length: CASES }, () => makeCase(r));
    let pruned = 0;
    for (let k = 0; k < cases.length; k += 2) {
      // Two cases at a time: each one's sanoid and retain run side by side.
      await Promise.all(
        cases.slice(k, k + 2).map(async (c, j) => {
          const [theirs, ours] = await Promise.all([sanoidPrunes(c, k + j), retainRemoves(c, k + j)]);
          pruned += theirs.length;
          expect(ours, `seed ${SEED} case ${k + j}: ${JSON.stringify(c)}`).toEqual(theirs);
        }),
      );
    }
    // The cases prune something (else they prove little).
    expect(pruned).toBeGreaterThan(CASES);
  }, 1_800_000);
});
