import { describe, expect, it } from 'vitest';
import { orderJobs, planSteps } from '../../../engine/run/steps/plan-steps';
import type { CommandStep } from '../../../engine/run/steps/step';
import { FLEET, NOW, job, plan } from './helpers';

const snap = (name: string, f: Record<string, unknown> = {}) =>
  job(name, { kind: 'zfs-snapshot', host: 'scylla', dataset: `pool/${name}`, ...f });

describe('planSteps ordering', () => {
  it('orders jobs by from/after, keeping declaration order otherwise', () => {
    const p = plan({
      ...FLEET,
      jobs: [
        job('rep', { kind: 'zfs-send', from: 'snap', to: 'charybde-pool', dataset: 'backup/snap' }),
        snap('late', { after: ['rep'] }),
        snap('snap'),
        snap('free'),
      ],
    });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([]);
    expect(r.order).toEqual(['snap', 'rep', 'late', 'free']);
    expect(r.steps.map((s) => s.id)).toEqual(['snap/1', 'rep/1', 'late/1', 'free/1']);
    // Each job's first step waits for the main step of what it depends on.
    expect(r.steps[1].after).toEqual(['snap/1']);
    expect(r.steps[2].after).toEqual(['rep/1']);
    expect(r.steps[3].after).toEqual([]);
  });

  it('passes what a job makes in this run to the job that copies it', () => {
    const p = plan({
      ...FLEET,
      jobs: [
        snap('snap', { pattern: 'bp-%Y%m%d%H%M' }),
        job('rep', { kind: 'zfs-send', from: 'snap', to: 'charybde-pool', dataset: 'backup/snap' }),
      ],
    });
    const r = planSteps(p, { now: NOW });
    const send = r.steps.find((s) => s.job === 'rep') as CommandStep;
    expect(send.argv).toEqual(['zfs', 'send', 'pool/snap@bp-202403050607']);
    expect(send.unresolved).toBeUndefined();
  });

  it("prunes after the job's own backup step only", () => {
    const p = plan({
      ...FLEET,
      jobs: [job('r', { kind: 'rsync', paths: '/etc', to: 'local-disk', retention: 'tiers' })],
    });
    const r = planSteps(p, { now: NOW });
    expect(r.steps.map((s) => [s.id, s.phase, s.after])).toEqual([
      ['r/1', 'setup', []],
      ['r/2', 'backup', ['r/1']],
      ['r/3', 'prune', ['r/2']],
    ]);
  });
});

describe('planSteps problems', () => {
  it('reports a cycle (and what depends on it) as errors, and still plans the rest', () => {
    const p = plan({
      ...FLEET,
      jobs: [snap('a', { after: ['b'] }), snap('b', { after: ['a'] }), snap('c', { after: ['b'] }), snap('d')],
    });
    const r = planSteps(p, { now: NOW });
    expect(r.order).toEqual(['d']);
    expect(r.errors).toEqual([
      { job: 'a', message: 'dependency cycle: a → b → a' },
      { job: 'b', message: 'dependency cycle: a → b → a' },
      { job: 'c', message: 'depends on `b`, which cannot be ordered (dependency cycle: a → b → a)' },
    ]);
  });

  it('handles a self-dependency and long cycles without recursion trouble', () => {
    expect(orderJobs(plan({ jobs: [snap('s', { after: ['s'] })] })).blocked).toEqual([
      { job: 's', message: 'dependency cycle: s → s' },
    ]);
    const many = Array.from({ length: 20000 }, (_, i) => snap(`j${i}`, { after: i ? [`j${i - 1}`] : [] }));
    const r = orderJobs(plan({ jobs: many }));
    expect(r.order).toHaveLength(20000);
    expect(r.order[19999]).toBe('j19999');
    expect(r.order[0]).toBe('j0');
  });

  it('skips disabled jobs and lists them', () => {
    const p = plan({ ...FLEET, jobs: [snap('on'), snap('off', { enabled: false })] });
    const r = planSteps(p, { now: NOW });
    expect(r.order).toEqual(['on']);
    expect(r.skipped).toEqual([{ job: 'off', reason: 'disabled (enabled: false)' }]);
  });

  it('reports unknown kinds, unknown references and driver errors per job', () => {
    const p = plan({
      ...FLEET,
      jobs: [
        job('x', { kind: 'tape-robot' }),
        snap('y', { after: ['ghost'] }),
        snap('z', { dataset: '-bad' }),
        snap('fine'),
      ],
    });
    const r = planSteps(p, { now: NOW });
    expect(r.errors).toEqual([
      { job: 'y', message: 'after `ghost` is not a job of this plan' },
      { job: 'x', message: 'unknown kind `tape-robot`' },
      { job: 'z', message: "`dataset` `-bad` starts with '-' and would be read as an option" },
    ]);
    expect(r.order).toEqual(['y', 'fine']);
  });

  it('--job plans one job only; an unknown job is an error', () => {
    const p = plan({ ...FLEET, jobs: [snap('a'), snap('b', { after: ['a'] })] });
    const r = planSteps(p, { now: NOW, job: 'b' });
    expect(r.order).toEqual(['b']);
    expect(r.steps[0].after).toEqual([]);
    expect(planSteps(p, { now: NOW, job: 'nope' }).errors).toEqual([
      { job: 'nope', message: 'no job named `nope` in the plan' },
    ]);
  });

  it('--job X also plans the jobs that follow X (from, no schedule of their own), after it', () => {
    const send = (name: string, from: string, f: Record<string, unknown> = {}) =>
      job(name, { kind: 'zfs-send', from, to: 'charybde-pool', dataset: `backup/${name}`, ...f });
    const p = plan({
      ...FLEET,
      jobs: [
        // Declared before its source: the order still follows `from`.
        job('offsite', { kind: 'restic', from: 'rep', paths: '/srv/backup/rep', to: 'offsite' }),
        send('rep', 'src'),
        snap('src', { schedule: '0 * * * *' }),
        send('own', 'src', { schedule: '30 * * * *' }),
        send('off', 'src', { enabled: false }),
        job('after-only', { kind: 'restic', paths: '/etc', to: 'offsite', after: ['src'] }),
        snap('other', { schedule: '0 * * * *' }),
      ],
    });
    const r = planSteps(p, { now: NOW, job: 'src' });
    expect(r.errors).toEqual([]);
    // rep follows src, offsite follows rep; own has its own schedule, off is disabled, after-only
    // only orders itself after src: none of them is pulled in.
    expect(r.order).toEqual(['src', 'rep', 'offsite']);
    expect(r.skipped).toEqual([]);
    const first = (name: string) => r.steps.find((s) => s.job === name)!;
    const last = (name: string) => [...r.steps].reverse().find((s) => s.job === name && s.phase !== 'prune')!;
    expect(first('rep').after).toContain(last('src').id);
    expect(first('offsite').after).toContain(last('rep').id);
    // A follower alone (`backplan run --job rep`) brings its own followers; `alone` plans one job.
    expect(planSteps(p, { now: NOW, job: 'rep' }).order).toEqual(['rep', 'offsite']);
    expect(planSteps(p, { now: NOW, job: 'src', alone: true }).order).toEqual(['src']);
    // A job with its own schedule runs alone.
    expect(planSteps(p, { now: NOW, job: 'own' }).order).toEqual(['own']);
  });

  it('is deterministic for a given clock', () => {
    const p = plan({
      ...FLEET,
      jobs: [snap('a'), job('r', { kind: 'restic', paths: '/etc', to: 'offsite', retention: 'gfs' })],
    });
    expect(planSteps(p, { now: NOW })).toEqual(planSteps(p, { now: NOW }));
  });
});
