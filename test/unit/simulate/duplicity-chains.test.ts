// Simulated duplicity chains: which runs are fulls, what the prunes leave, restore points and
// storage; and the retention hover's notes on duplicity.
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import type { PolicyModel } from '../../../engine/plan/model';
import { parsePlan } from '../../../engine/plan/parse';
import { runTypes } from '../../../engine/simulate/duplicity-chains';
import { simulateJob } from '../../../engine/simulate/simulate-job';
import { engineDocMarkdown } from '../../../server/retention-docs';

const DAY = 86_400_000;
const FROM = Date.parse('2026-03-01T03:00:00Z');

const model = (job: string) =>
  buildModel(
    parsePlan(`version: 1
storage: { disk: { path: /srv/dup, media: hdd } }
jobs:
  files:
    kind: duplicity
    paths: [/etc]
    to: disk
    schedule: "0 3 * * *"
    size: 10GB
    change: 1%
${job}`).value,
  );

describe('duplicity chains in the simulation', () => {
  it('a run is a full only when the last full is older than full_every', () => {
    const fires = Array.from({ length: 9 }, (_, i) => FROM + i * DAY);
    expect(
      runTypes(fires, 3 * DAY)
        .map((t) => t[0])
        .join(''),
    ).toBe('fiiifiiif');
    expect(
      runTypes(fires, 3 * DAY + 1000)
        .map((t) => t[0])
        .join(''),
    ).toBe('fiiifiiif');
    expect(
      runTypes(fires, 3 * DAY - 1000)
        .map((t) => t[0])
        .join(''),
    ).toBe('fiifiifii');
    expect(
      runTypes(fires, undefined)
        .map((t) => t[0])
        .join(''),
    ).toBe('fiiiiiiii');
  });

  it('simulates whole chains, typed sets, restore points and storage', () => {
    const sim = simulateJob(
      model('    full_every: 1w\n    retention: { keep: { full: 2, incrementals_of: 1 } }\n'),
      'files',
      {
        from: FROM,
        at: FROM + 40 * DAY,
      },
    );
    expect(sim.engine).toBe('duplicity');
    // Fulls every 8 days: 1, 9, 17, 25 March, 2 April (day 32), 10 April (day 40).
    const types = sim.snapshots.map((s) => `${s.time.slice(5, 10)} ${s.type}`).reverse();
    expect(types).toEqual(['04-02 full', '04-10 full']);
    expect(sim.duplicity).toEqual({ chains: 2, fulls: 2, incrementals: 0, restorePoints: 2, bytes: 2 * 10e9 });
    const mid = simulateJob(
      model('    full_every: 1w\n    retention: { keep: { full: 2, incrementals_of: 1 } }\n'),
      'files',
      {
        from: FROM,
        at: FROM + 36 * DAY,
      },
    );
    // At day 36: the chain of day 24 (25 March) keeps only its full; the current chain its incrementals.
    expect(mid.duplicity).toEqual({
      chains: 2,
      fulls: 2,
      incrementals: 4,
      restorePoints: 6,
      bytes: 2 * 10e9 + 4 * 10e7,
    });
    expect(mid.stats.worstGap?.ms).toBe(8 * DAY);
  });
});

describe('retention hover notes for duplicity', () => {
  const policy = (keep: PolicyModel['keep']): PolicyModel => ({ at: [], raw: {}, keep });
  const bullets = (md: string) => md.split('\n').filter((l) => l.startsWith('- '));

  it('says in two lines how duplicity differs, then the notes of the forms used', () => {
    const md = engineDocMarkdown('duplicity', undefined, policy({ within: '1mo' }));
    const b = bullets(md);
    expect(b[0]).toMatch(/\*\*chains\*\*.*removed whole, and the current chain never/);
    expect(b[1]).toMatch(/older than `full_every`/);
    expect(b).toHaveLength(3);
    expect(b[2]).toMatch(/remove-older-than/);
    expect(bullets(engineDocMarkdown('duplicity', undefined, policy({ full: 2 })))[2]).toMatch(/remove-all-but-n-full/);
  });
});
