// (journal) The newest good copy of a job is older than its rpo (SPEC §6, §10): the state
// directory's journals (`backplan check --state-dir D`, the editor's `backplan.stateDir`) say
// when each job last succeeded, and that is longer ago than the job's rpo (its own, else
// `checks.default_rpo`, else 1.5 × its schedule's longest interval: engine/ops/status/state.ts,
// the same as `backplan status`). Off without a state directory (no history given) and for a
// plan not saved as a file; a job that never succeeded is not late here (`status` calls it
// `never`). Where: the job's `rpo` value, else the job's name.
import { jobDeadline, jobState, statusContext } from '../ops/status/state';
import { spanText } from './shared/schedules';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'backup-late',
  defaultSeverity: 'warning',
  summary: "(journal) The newest good copy of the job is older than its rpo.",
  check(ctx) {
    const last = ctx.lastSuccess;
    if (!last) return [];
    const out: RuleFinding[] = [];
    const sctx = statusContext(ctx.model, ctx.now);
    for (const job of ctx.model.jobs.values()) {
      if (!job.enabled) continue;
      const at = last.get(job.name);
      if (!at) continue;
      const deadline = jobDeadline(ctx.model, job, ctx.now, sctx);
      if (!deadline) continue;
      if (jobState(job, { lastSuccess: at, runs: { ok: 1, failed: 0, skipped: 0 } }, deadline.ms, ctx.now) !== 'late') continue;
      const age = ctx.now - Date.parse(at);
      const what = deadline.from === 'rpo' ? `its rpo ${spanText(deadline.ms)}` : `1.5 × its longest schedule interval (${spanText(deadline.ms)}; it has no rpo)`;
      out.push({
        range: job.rpo !== undefined ? ctx.locate([...job.at, 'rpo'], 'value') : ctx.locate(job.at, 'key'),
        message:
          `job \`${job.name}\` last succeeded ${spanText(age)} ago (${at}), longer than ${what}: ` +
          `its newest good copy is late; see \`backplan status\` and the job's last run`,
      });
    }
    return out;
  },
};
