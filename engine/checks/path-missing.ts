// path-missing: a path that a job running on this machine reads (`paths`) does not exist. Only
// for local hosts (no address, `localhost`, a loopback address): a remote host's files are not
// looked at. Relative paths resolve against the plan's folder, as the runner resolves them
// (engine/plan/resolve-paths.ts); without a plan file (an unsaved document) the rule is off.
// Glob patterns and `~` paths are left to the tool that expands them; disabled jobs are skipped.
import { existsSync } from 'node:fs';
import { isLocalHost, resolveLocalPath } from '../plan/resolve-paths';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'path-missing',
  defaultSeverity: 'warning',
  summary: 'A path read by a job whose host is this machine does not exist.',
  check(ctx) {
    const base = ctx.baseDir;
    if (base === undefined) return [];
    const out: RuleFinding[] = [];
    for (const job of ctx.model.jobs.values()) {
      if (job.enabled === false || job.raw.from !== undefined || !isLocalHost(ctx.model, job.host)) continue;
      const raw = job.raw.paths;
      const paths = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
      paths.forEach((p, i) => {
        if (typeof p !== 'string' || p === '' || p.startsWith('~') || /[*?[]/.test(p) || p.includes('://')) return;
        const abs = resolveLocalPath(p, base) as string;
        if (existsSync(abs)) return;
        const at = Array.isArray(raw) ? ['jobs', job.name, 'paths', i] : ['jobs', job.name, 'paths'];
        out.push({
          range: ctx.locate(at),
          message: `\`${p}\` does not exist on this machine${abs !== p ? ` (${abs})` : ''}: job \`${job.name}\` would have nothing to read there. Create it, or fix the path (relative paths are read from the plan's folder)`,
        });
      });
    }
    return out;
  },
};
