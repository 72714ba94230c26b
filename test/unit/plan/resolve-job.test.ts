// plan/resolve-job.ts: a job resolved once per job object, and resolved afresh when something it
// reads outside its own entry changes (a named policy, its host's zone, the job it follows).
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import type { PlanModel } from '../../../engine/plan/model';
import { resolveJob } from '../../../engine/plan/resolve-job';

const PLAN = `version: 1
timezone: Europe/Paris
hosts:
  h: { address: 10.0.0.1, timezone: America/New_York }
storage:
  pool: { host: h, path: /backup }
policies:
  gfs: { keep: { last: 3, daily: 7, within: 2d } }
jobs:
  snap:
    { kind: zfs-snapshot, host: h, dataset: tank/a, storage: pool, schedule: "0 */6 * * *", retention: gfs, rpo: 6h }
  send:
    kind: zfs-send
    from: snap
    host: h
    to: pool
    dataset: backup/a
    retention: { tiers: [{ every: 1d, until: 1mo }] }
`;

function model(text = PLAN): PlanModel {
  return buildModel(parsePlan(text).value);
}

describe('resolveJob', () => {
  it('reads the job once: policy, zone, engine, schedule and durations', () => {
    const plan = model();
    const r = resolveJob(plan, plan.jobs.get('snap')!);
    expect(r.policy).toBe(plan.policies.get('gfs'));
    expect(r.keep).toBe(plan.policies.get('gfs')!.keep);
    expect(r.zone).toBe('America/New_York');
    expect(r.engine.id).toBe('native');
    expect(r.schedule?.ok).toBe(true);
    expect(r.durations.rpo).toMatchObject({ h: 6 });
    expect(r.durations.within).toMatchObject({ d: 2 });
    const send = resolveJob(plan, plan.jobs.get('send')!);
    // It follows snap: snap's expression in snap's zone, the same parsed Schedule.
    expect(send.effective.ok && send.effective.owner.name).toBe('snap');
    expect(send.schedule).toBe(r.schedule);
    const tier = { every: expect.objectContaining({ d: 1 }), until: expect.objectContaining({ mo: 1 }) };
    expect(send.durations.tiers).toEqual([tier]);
  });

  it('answers from the cache for the same job object while what it reads is unchanged', () => {
    const plan = model();
    const job = plan.jobs.get('snap')!;
    expect(resolveJob(plan, job)).toBe(resolveJob(plan, job));
    // Another model whose jobs map holds the same entry object (an incremental re-parse).
    const again: PlanModel = { ...plan, jobs: new Map(plan.jobs) };
    expect(resolveJob(again, job)).toBe(resolveJob(plan, job));
  });

  it('resolves afresh when the named policy, the host or the followed job changes', () => {
    const plan = model();
    const snap = plan.jobs.get('snap')!;
    const send = plan.jobs.get('send')!;
    const first = resolveJob(plan, snap);
    const other = model(PLAN.replace('last: 3', 'last: 5').replace('America/New_York', 'Asia/Tokyo'));
    const policyChanged: PlanModel = { ...plan, policies: other.policies };
    const r = resolveJob(policyChanged, snap);
    expect(r).not.toBe(first);
    expect(r.keep?.last).toBe(5);
    const hostChanged: PlanModel = { ...plan, hosts: other.hosts };
    expect(resolveJob(hostChanged, snap).zone).toBe('Asia/Tokyo');
    // send follows snap: a new snap entry (another schedule) gives send another schedule.
    const firstSend = resolveJob(plan, send);
    const snap2 = model(PLAN.replace('0 */6 * * *', '30 1 * * *')).jobs.get('snap')!;
    const ownerChanged: PlanModel = { ...plan, jobs: new Map([...plan.jobs, ['snap', snap2]]) };
    const r2 = resolveJob(ownerChanged, send);
    expect(r2).not.toBe(firstSend);
    expect(r2.effective.ok && r2.effective.expr).toBe('30 1 * * *');
  });
});
