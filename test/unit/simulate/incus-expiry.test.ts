// When Incus deletes an expired snapshot (engine/retention/expiry.ts header): its snapshot task
// runs once a minute, deletes what has expired, then takes the scheduled snapshots; the one taken
// at a fire expires a few milliseconds after the run one interval later began, so with expiry
// equal to the interval it is deleted in the run that takes the next one (or a minute later):
// never a time without a snapshot. `simulate` and `expiry-gap` must say the same thing: with
// expiry = interval 1 held throughout and no finding; a minute shorter, times with none and a
// finding.
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/expiry-gap';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { simulateJob } from '../../../engine/simulate/simulate-job';

const NOW = Date.parse('2026-01-15T00:00:00Z');
const text = (schedule: string, expiry: string, zone = 'UTC') =>
  `version: 1\ntimezone: ${zone}\njobs:\n  snaps:\n    kind: incus-snapshot\n    instance: web\n    schedule: "${schedule}"\n    retention: { expiry: ${expiry} }\n`;

const both = (t: string) => {
  const sim = simulateJob(buildModel(parsePlan(t).value), 'snaps', { from: NOW, horizon: '30d' });
  const gap = checkText(t, { rules: [rule], now: NOW }).findings;
  return { min: sim.stats.minCount, max: sim.stats.maxCount, expired: sim.stats.expired, gap: gap.length };
};

describe('Incus expiry: simulate and expiry-gap agree', () => {
  it('expiry equal to the interval: always one snapshot, no finding (daily, hourly, daily across DST)', () => {
    expect(both(text('0 0 * * *', '1d'))).toMatchObject({ min: 1, max: 1, gap: 0 });
    expect(both(text('0 * * * *', '1h'))).toMatchObject({ min: 1, max: 1, gap: 0 });
    // 1d is Go's AddDate in the zone: 23 or 25 hours across a change, as the daily fires are.
    expect(both(text('0 0 * * *', '1d', 'Europe/Paris'))).toMatchObject({ min: 1, max: 1, gap: 0 });
  });

  it('a minute shorter: times with no snapshot, and the finding says so', () => {
    expect(both(text('0 0 * * *', '23h59min'))).toMatchObject({ min: 0, max: 1, gap: 1 });
    expect(both(text('0 * * * *', '59min'))).toMatchObject({ min: 0, max: 1, gap: 1 });
  });

  it('longer: overlap, no finding', () => {
    expect(both(text('0 0 * * *', '1d1min'))).toMatchObject({ min: 1, max: 2, gap: 0 });
  });
});
