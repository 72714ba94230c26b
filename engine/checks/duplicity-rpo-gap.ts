// A duplicity job whose pruning leaves restore points further apart than its rpo. Every set
// duplicity still holds is a restore point (its chain is held with it), but
// `remove-all-inc-of-but-n-full` leaves only the full of each older chain, and whole chains go
// at once: the simulation of the job (engine/simulate, its default horizon from ctx.now, chains
// exactly as duplicity keeps them) gives the held sets in steady state, and when two consecutive
// ones are more than the rpo apart, fewer restore points remain over that span than the rpo
// needs (one per rpo). The rpo is the job's own, else `checks.default_rpo`. The simulation is
// bounded to MAX_FIRES runs (an hourly job: about two months), so a check stays fast to type in.
import { jobPolicy } from '../plan/build-model';
import { engineIdFor } from '../retention/index';
import { effectiveSchedule } from '../plan/effective-schedule';
import { defaultHorizon, simulateJob, typicalInterval } from '../simulate/simulate-job';
import { parseSchedule } from '../time/schedule';
import { SimulationError } from '../simulate/simulate';
import { formatSpan, minMs } from '../time/duration';
import { jobRpo } from './shared/policies';
import type { Rule, RuleFinding } from './rule';

const MAX_FIRES = 1500;

export const rule: Rule = {
  id: 'duplicity-rpo-gap',
  defaultSeverity: 'warning',
  summary: "A duplicity job's pruning (whole chains) leaves restore points further apart than its rpo.",
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (job.kind !== 'duplicity' || !job.enabled) continue;
      const policy = jobPolicy(ctx.model, job);
      if (!policy || engineIdFor(job.kind, policy) !== 'duplicity') continue;
      const rpo = jobRpo(ctx, job);
      if (!rpo) continue;
      const eff = effectiveSchedule(ctx.model, job);
      const parsed = eff.ok ? parseSchedule(eff.expr, eff.zone) : undefined;
      if (!parsed?.ok) continue; // cron-invalid, or no schedule: nothing runs
      const interval = typicalInterval(parsed.schedule, ctx.now);
      const horizon = Math.min(defaultHorizon('duplicity', policy, interval), MAX_FIRES * interval);
      let sim;
      try {
        sim = simulateJob(ctx.model, job.name, { now: ctx.now, from: ctx.now, at: ctx.now + horizon });
      } catch (e) {
        if (e instanceof SimulationError) continue; // the schedule's and the policy's rules report it
        throw e;
      }
      const times = sim.snapshots.map((s) => Date.parse(s.time)).sort((a, b) => a - b);
      let worst: { ms: number; from: number; to: number } | undefined;
      for (let i = 1; i < times.length; i++) {
        const ms = times[i] - times[i - 1];
        if (!worst || ms > worst.ms) worst = { ms, from: times[i - 1], to: times[i] };
      }
      const rpoMs = minMs(rpo.duration);
      if (!worst || worst.ms <= rpoMs) continue;
      const span = times[times.length - 1] - times[0];
      const needed = Math.floor(span / rpoMs) + 1;
      const iso = (t: number) => sim.snapshots.find((s) => Date.parse(s.time) === t)?.time ?? new Date(t).toISOString();
      out.push({
        range: ctx.locate([...job.at, 'retention'], 'value'),
        message:
          `job \`${job.name}\` keeps ${times.length} restore points over ${formatSpan(span)} ` +
          `where its rpo ${rpo.text} ` +
          `needs ${needed}: duplicity's pruning leaves ${formatSpan(worst.ms)} between ${iso(worst.from)} and ` +
          `${iso(worst.to)} (older chains keep only what \`keep\` leaves of them); ` +
          'keep the incrementals of more chains ' +
          '(`incrementals_of`), make fulls more often (`full_every`), or raise the rpo',
        related: [{ message: rpo.fromDefault ? 'checks.default_rpo' : 'rpo', range: ctx.locate(rpo.path, 'value') }],
      });
    }
    return out;
  },
};
