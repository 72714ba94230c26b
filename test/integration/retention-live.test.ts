// A fresh, small sample checked against the installed restic and borg (the recorded fixtures are
// checked in test/unit/retention/*-fixtures.test.ts): 30 snapshots at random past times around a
// random "now", 10 random policies per tool. The seed is printed; rerun one with
// BACKPLAN_LIVE_SEED=<seed>.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireTools } from '../helpers/integration';
import { borgEngine } from '../../engine/retention/borg';
import { resticEngineFor } from '../../engine/retention/restic';
import type { KeepModel, PolicyModel } from '../../engine/plan/model';
import type { RetentionDecision, SnapshotIn } from '../../engine/retention/types';
import {
  BorgRepo,
  ResticRepo,
  borgEdges,
  makeRng,
  makeTimes,
  pool,
  randomBorgPolicy,
  randomResticPolicy,
  resticEdges,
  toolVersions,
  type Rng,
} from '../../scripts/fixtures/lib.mjs';

const ok = requireTools('restic', 'borg', 'faketime');
const SEED = Number(process.env.BACKPLAN_LIVE_SEED ?? Math.floor(Math.random() * 2 ** 31));
const SNAPSHOTS = 30;
const POLICIES = 10;
const policy = (keep: KeepModel): PolicyModel => ({ at: [], keep, raw: { keep } });
const show = (d: RetentionDecision) => ({ keep: d.keep.map((k) => [k.snapshot.id, ...k.reasons]), remove: d.remove.map((s) => s.id) });

/** The installed restic's version (its rules differ by release: resticEngineFor). */
async function resticInstalled(): Promise<string> {
  return /restic (\d+\.\d+\.\d+)/.exec((await toolVersions()).restic)?.[1] ?? '';
}

/** A "now" somewhere in 2021–2025, so that summer-time changes fall at varying places. */
function randomNow(rng: Rng): number {
  return Date.UTC(2021, 0, 1) + Math.floor(rng.next() * 5 * 365) * 86_400_000 + rng.int(0, 86_399) * 1000;
}

function sampleTimes(rng: Rng, now: number, newest: number, zone: string, extra: number[]): number[] {
  return makeTimes(rng, { now, newest, count: SNAPSHOTS, years: 0.3, zones: [zone], extra, recentDays: 3 });
}

// The two tools run at the same time, each with its own random stream so a seed replays exactly.
describe.skipIf(!ok).concurrent(`retention engines vs the installed tools (BACKPLAN_LIVE_SEED=${SEED})`, () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'backplan-live-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('restic forget', { timeout: 120_000 }, async () => {
    const rng = makeRng(SEED);
    const zone = rng.pick(['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe']);
    const now = randomNow(rng);
    const newest = now - rng.int(1, 600) * 1000;
    const withins = ['1d', '1mo', '2d12h'].filter(() => rng.chance(0.6));
    const repo = new ResticRepo(join(dir, 'restic'));
    await repo.init();
    const seen = new Set<string>();
    const wanted = sampleTimes(rng, now, newest, zone, resticEdges(newest, zone, withins)).filter((t) => {
      const local = DateTime.fromMillis(t, { zone }).toFormat('yyyy-MM-dd HH:mm:ss');
      return !seen.has(local) && seen.add(local);
    });
    await pool(wanted, 2, (time) => repo.backup({ time, tz: zone, host: 'live', tags: rng.pick([[], [], ['a'], ['b'], ['a', 'b']]) }));
    const listed = (await repo.snapshots()).sort((a, b) => a.time - b.time);
    const snaps: SnapshotIn[] = listed.map((s) => ({ id: s.id, time: s.time, tags: s.tags }));
    const policies = Array.from({ length: POLICIES }, () => randomResticPolicy(rng, { withins }));
    // restic forget runs in the snapshots' own zone (see scripts/fixtures/README.md).
    const results = await pool(policies, 2, (keep) => repo.forget(keep, zone));
    const engine = resticEngineFor(await resticInstalled());
    policies.forEach((keep, i) => {
      const tool = results[i].groups.live ?? { keep: [], remove: [] };
      const p = policy(keep);
      const what = `restic ${results[i].args.slice(6).join(' ')} (TZ=${zone}, seed ${SEED})`;
      expect(engine.unsupported(p), what).toEqual([]);
      expect(show(engine.evaluate(snaps, p, { now, timezone: zone })), what).toEqual({
        keep: tool.keep.map((k) => [k.id, ...k.reasons]),
        remove: tool.remove,
      });
    });
  });

  it('borg prune', { timeout: 120_000 }, async () => {
    const rng = makeRng(SEED ^ 0x5bd1e995);
    const now = randomNow(rng);
    const withins = ['1d', '2d', '1w', '1mo'].filter(() => rng.chance(0.5));
    const repo = new BorgRepo(join(dir, 'borg'));
    await repo.init();
    const times = sampleTimes(rng, now, now - rng.int(1, 600) * 1000, 'Europe/Paris', borgEdges(now, withins));
    // Two archives sharing a timestamp with another: borg walks equal times by name, descending.
    const archives = times.map((time, i) => ({ name: `s${String(i).padStart(3, '0')}`, time }));
    archives.push({ name: 'd1', time: rng.pick(times) }, { name: 'd2', time: times[times.length - 1] });
    for (const a of archives) await repo.create(a.name, a.time);
    const listed = (await repo.list()).sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const snaps: SnapshotIn[] = listed.map((a) => ({ id: a.name, time: a.time }));
    const cases = Array.from({ length: POLICIES }, () => ({
      keep: randomBorgPolicy(rng, { withins }),
      tz: rng.pick(['UTC', 'Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata']),
    }));
    for (const { keep, tz } of cases) {
      const tool = await repo.prune(keep, { tz, now });
      const what = `borg prune ${tool.args.slice(3).join(' ')} (TZ=${tz}, now ${new Date(now).toISOString()}, seed ${SEED})`;
      const p = policy(keep);
      expect(borgEngine.unsupported(p), what).toEqual([]);
      const got = borgEngine.evaluate(snaps, p, { now, timezone: tz });
      expect(show(got), what).toEqual({
        keep: tool.keep.map((k) => [k.name, ...k.reasons]),
        remove: tool.remove,
      });
    }
  });
});
