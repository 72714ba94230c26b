// `backplan retain --engine btrbk` against btrbk 0.32.5's own decision, on both sides of a section
// (issue #15): each case makes random source snapshots and target backups on a btrfs loop file,
// the latest common pair received for real (`btrfs send | btrfs receive`, so btrbk correlates it
// by received UUID) or none (read-only snapshots made once and renamed into place per case),
// random snapshot_preserve* and target_preserve* (matrix with `*` and 0, preserve_min
// all/latest/no/N<unit>, day of week, hour of day), a random "now" in one of three zones, names
// in timestamp_format short, long or long-iso (or a mix), with btrbk's `_N` where a name was
// taken; the CLI is given the names only, as a list from any btrbk setup would be.
// btrbk's dry-run prune (`-n -S prune`) lists its delete rows for both directories; they must be
// exactly the CLI's `remove` for the source (--latest-common) and the target (--side target
// --latest-common). BACKPLAN_BTRBK_CASES / BACKPLAN_BTRBK_SEED change the count and the seed
// (bench/retain-btrbk.mjs runs 500).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { btrbkName, BTRBK_DAYS, BTRBK_TIMESTAMP_FORMATS } from '../../engine/retention/btrbk';
import { btrfsAt, btrfsAvailable, sh, unmountAll } from '../helpers/btrfs';
import { btrbkAt, stamp } from '../helpers/btrbk';
import { rng } from '../helpers/rng';
import { CLI, ensureBuilt } from '../helpers/cli';
import { requireTools } from '../helpers/integration';

const ok = btrfsAvailable() && requireTools('btrbk', 'faketime');
const CASES = Number(process.env.BACKPLAN_BTRBK_CASES ?? 100);
const SEED = Number(process.env.BACKPLAN_BTRBK_SEED ?? 2026);
const D = 86_400_000;
const UNITS = ['h', 'd', 'w', 'm', 'y'] as const;
const POOL = 24;
let work = '';
let mnt = '';

beforeAll(() => {
  if (!ok) return;
  work = mkdtempSync(join(tmpdir(), 'bp-retain-btrbk-'));
  mnt = join(work, 'mnt');
  ensureBuilt();
  // A copy of the command: hundreds of calls must not meet dist/ while another test rebuilds it.
  copyFileSync(CLI, join(work, 'cli.js'));
  btrfsAt(mnt, '1G');
  sh(['btrfs', '-q', 'subvolume', 'create', join(mnt, 'data')]);
  // A pool of read-only snapshots, renamed to each case's names and back (a rename in the same
  // directory is cheap; btrbk reads dates from names, correlation from UUIDs, and ignores names
  // that are not `data.<date>`): `s/xN` for the source, `t/xN` for the target, `s/c` and its
  // received copy `t/c` for the latest common pair.
  for (const k of ['s', 't']) {
    mkdirSync(join(mnt, k));
    for (let i = 0; i < POOL; i++) {
      sh(['btrfs', '-q', 'subvolume', 'snapshot', '-r', join(mnt, 'data'), join(mnt, k, `x${i}`)]);
    }
  }
  sh(['btrfs', '-q', 'subvolume', 'snapshot', '-r', join(mnt, 'data'), join(mnt, 's', 'c')]);
  sh(['sh', '-c', 'btrfs -q send "$1" | btrfs -q receive "$2"', 'sh', join(mnt, 's', 'c'), join(mnt, 't')]);
}, 300_000);

afterAll(() => {
  if (!ok) return;
  unmountAll();
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Side {
  min: string;
  matrix: string;
  dow: string;
  hod: number;
}

/** The CLI's removals of `names` under one side's policy: the names alone, as btrbk reads them. */
function cliRemoves(names: Map<string, number>, side: 'snapshot' | 'target', p: Side, now: number, zone: string,
  common: string | undefined, file: string): string[] {
  writeFileSync(file, JSON.stringify([...names.keys()].map((name) => ({ name }))));
  const policy = { preserve_min: p.min, preserve: p.matrix, preserve_day_of_week: p.dow, preserve_hour_of_day: p.hod };
  const args = ['retain', '--engine', 'btrbk', '--policy', JSON.stringify(policy), '--snapshots', file,
    '--now', new Date(now).toISOString(), '--timezone', zone, '--format', 'json'];
  if (side === 'target') args.push('--side', 'target');
  if (common !== undefined) args.push('--latest-common', common);
  const r = spawnSync(process.execPath, [join(work, 'cli.js'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`retain ${side}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { remove: { name: string }[] }).remove.map((x) => x.name).sort();
}

describe.skipIf(!ok)(`backplan retain --engine btrbk vs btrbk -n prune (${CASES} cases, seed ${SEED})`, () => {
  it('source and target deletes, with the latest common pair, are exactly btrbk\'s', async () => {
    const r = rng(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const matrix = () => {
      const parts = UNITS.flatMap((u) => (r() < 0.35 ? [] : [`${r() < 0.15 ? '*' : Math.floor(r() * 8)}${u}`]));
      return parts.length ? parts.join(' ') : 'no';
    };
    const side = (target: boolean): Side => {
      const kind = pick(['latest', 'all', 'unit', 'unit', 'unit', ...(target ? ['no'] : [])]);
      const n = Math.floor(r() * 5) + (target ? 0 : 1);
      const min = kind === 'unit' ? `${n}${pick(UNITS)}` : kind;
      return { min, matrix: matrix(), dow: pick(BTRBK_DAYS), hod: Math.floor(r() * 24) };
    };
    let deletions = { src: 0, dst: 0 };
    let commons = 0;
    let postfixed = 0;
    for (let c = 0; c < CASES; c++) {
      const zone = pick(['UTC', 'Europe/Paris', 'America/New_York']);
      const now = Date.UTC(2026, 0, 1) + Math.floor(r() * 400) * D + Math.floor(r() * 24 * 60) * 60_000;
      const span = pick([2 * D, 20 * D, 120 * D, 800 * D]);
      // The case's timestamp_format; one case in five mixes them (a setup whose format changed).
      const format = pick(['short', 'long', 'long', 'long-iso', 'mixed'] as const);
      const taken = new Set<string>();
      const names = (n: number) => {
        const out = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          const t = now - Math.floor((r() * span) / 1000) * 1000;
          const f = format === 'mixed' ? pick(BTRBK_TIMESTAMP_FORMATS) : format;
          // btrbk's `_N` when the name is taken in the snapshot directory or the target.
          const name = btrbkName('data', t, zone, f, taken);
          taken.add(name);
          out.set(name, t);
          if (name.includes('_')) postfixed++;
        }
        return out;
      };
      const src = names(2 + Math.floor(r() * (POOL - 2)));
      const dst = names(Math.floor(r() * POOL));
      // The latest common pair: one source snapshot received on the target, or none.
      const common = r() < 0.8 && src.size ? pick([...src.keys()]) : undefined;
      const snap = side(false);
      const tgt = side(true);
      const sdir = join(mnt, 's');
      const tdir = join(mnt, 't');
      // Pool entry → case name, undone after the case.
      const moves: [string, string][] = [];
      const own = [...src.keys()].filter((n) => n !== common);
      own.forEach((n, i) => moves.push([join(sdir, `x${i}`), join(sdir, n)]));
      [...dst.keys()].forEach((n, i) => moves.push([join(tdir, `x${i}`), join(tdir, n)]));
      if (common !== undefined) {
        moves.push([join(sdir, 'c'), join(sdir, common)], [join(tdir, 'c'), join(tdir, common)]);
        dst.set(common, src.get(common)!);
        commons++;
      }
      for (const [a, b] of moves) renameSync(a, b);
      const conf = [
        `timestamp_format ${format === 'mixed' ? 'long' : format}`,
        `volume ${mnt}`,
        '  snapshot_dir s',
        '  subvolume data',
        `    snapshot_preserve_min ${snap.min}`,
        `    snapshot_preserve ${snap.matrix}`,
        `    preserve_day_of_week ${snap.dow}`,
        `    preserve_hour_of_day ${snap.hod}`,
        `    target send-receive ${tdir}`,
        `      target_preserve_min ${tgt.min}`,
        `      target_preserve ${tgt.matrix}`,
        `      preserve_day_of_week ${tgt.dow}`,
        `      preserve_hour_of_day ${tgt.hod}`,
        '',
      ].join('\n');
      writeFileSync(join(work, `c${c}.conf`), conf);
      const res = await btrbkAt(now, zone, ['-c', join(work, `c${c}.conf`), '-n', '-S', 'prune']);
      const label = `case ${c}: ${zone} now ${stamp(now, zone)} common ${common}\n${conf}`;
      expect(res.code, `${label}\n${res.out}`).toBe(0);
      const rows = [...res.out.matchAll(/^delete\s+(\S+)/gm)].map((m) => m[1]);
      const gone = (dir: string) =>
        rows.filter((p) => p.startsWith(`${dir}/`)).map((p) => p.slice(dir.length + 1)).sort();
      const file = join(work, 'list.json');
      expect(cliRemoves(src, 'snapshot', snap, now, zone, common, file), `${label}\n${res.out}`).toEqual(gone(sdir));
      expect(cliRemoves(dst, 'target', tgt, now, zone, common, file), `${label}\n${res.out}`).toEqual(gone(tdir));
      deletions = { src: deletions.src + gone(sdir).length, dst: deletions.dst + gone(tdir).length };
      for (const [a, b] of moves) renameSync(b, a);
    }
    // The cases prune on both sides, and most have a latest common pair.
    expect(deletions.src).toBeGreaterThan(CASES / 2);
    expect(deletions.dst).toBeGreaterThan(CASES / 2);
    expect(commons).toBeGreaterThan(CASES / 2);
    // btrbk's `_N` names (the same day with short, the same minute with long) are in the lists.
    expect(postfixed).toBeGreaterThan(CASES / 2);
  }, 3_600_000);
});
