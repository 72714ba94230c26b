// One-paragraph markdown summaries of what a name points to (a host, a storage, a policy, a
// job), shared by hover and completion, and the chain lines of the 3-2-1 counts.
import { jobPolicy, jobZone } from '../../engine/plan/build-model';
import type { PlanModel } from '../../engine/plan/model';
import type { RefSection } from '../../engine/plan/schema';
import { chainName, chainOfJob, computeChains, formatChain, formatCoverage, otherRoots, unitsDiffer, type Chain, type ChainCopy, type UnitCoverage } from '../../engine/coverage/chains';
import { kindInfo } from '../../engine/kinds';
import { engineIdFor } from '../../engine/retention/index';
import { policyRules } from '../../engine/simulate/rules';
import { describeSchedule } from '../../engine/time/words';
import { rtoOf, restoreDependencies } from '../../engine/recovery/rto';
import { planFolder, type Analysis } from '../documents';
import { code } from './env';

export function chainsOf(a: Analysis): Chain[] {
  return a.memo('chains', () => {
    try {
      return computeChains(a.model, { baseDir: planFolder(a.uri) });
    } catch {
      return [];
    }
  });
}

const list = (names: string[], max = 6): string =>
  names.length === 0 ? 'nothing' : names.slice(0, max).map(code).join(', ') + (names.length > max ? ` and ${names.length - max} more` : '');

function usersOf(plan: PlanModel, pred: (j: { host?: string; to?: string; storage?: string; retention?: unknown; raw: Record<string, unknown> }) => boolean): string[] {
  return [...plan.jobs.values()].filter(pred).map((j) => j.name);
}

export function copyLine(c: ChainCopy): string {
  const l = c.location;
  const facts = [l.media, l.site ? `site ${l.site}` : 'site unknown', c.offsite ? 'offsite' : undefined, l.immutable ? 'immutable' : undefined]
    .filter(Boolean)
    .join(', ');
  return c.live ? `live data on ${l.label} (${facts})` : `${l.label} via ${code(c.via)} (${facts})`;
}

/** "`/data`: `borg-data`, `rsync-data` — 3 copies · 2 media · 1 offsite ✓" (+ the jobs that copy it from another job's output). */
function unitLine(a: Analysis, u: UnitCoverage): string {
  const through = u.copies.filter((c) => c.via !== undefined && u.downstream.includes(c.via)).map((c) => c.via!);
  const more = through.length > 0 ? `, then ${list(through)} (from its output)` : '';
  return `- ${u.label}: ${list(u.roots)}${more} — ${formatCoverage(u.counts, a.model.checks.coverage)}`;
}

/**
 * The chain block of a job: its 3-2-1 line and its copies. When other jobs without `from` read
 * the same data, it names them: their copies count in the same line. When the chain's data
 * units are covered differently (or copies come from jobs reading an output), it says which jobs
 * protect which data, one line per unit, and the line and copies are those of the worst unit.
 */
export function chainMarkdown(a: Analysis, chain: Chain, job?: string): string {
  const line = formatChain(chain, a.model);
  const whose = chain.roots.length > 1 ? chainName(chain) : `chain of ${code(chain.root)}`;
  const perUnit = unitsDiffer(chain) || chain.units.some((u) => u.copies.some((c) => c.via !== undefined && u.downstream.includes(c.via)));
  const lines = [`**3-2-1** (${whose})${perUnit && chain.units.length > 1 ? `, least covered ${chain.worst.label}` : ''}: ${line}`];
  const others = job !== undefined ? otherRoots(chain, job) : [];
  if (perUnit) lines.push('', ...chain.units.map((u) => unitLine(a, u)));
  else if (others.length > 0) {
    lines.push('', `Same data also protected by ${list(others)}: their copies count together with this job’s.`);
  }
  if (!chain.enabled) lines.push('', '_The chain’s first job is disabled: it protects nothing._');
  if (perUnit && chain.units.length > 1) lines.push('', `Copies of ${chain.worst.label}, the least covered:`);
  lines.push('', ...chain.copies.map((c, i) => `${i + 1}. ${copyLine(c)}`));
  return lines.join('\n');
}

export function summary(a: Analysis, section: RefSection, name: string): string | undefined {
  const plan = a.model;
  switch (section) {
    case 'hosts': {
      const h = plan.hosts.get(name);
      if (!h) return undefined;
      const facts = [
        h.address === undefined || h.address === 'localhost' ? 'local (no ssh)' : `${h.user ? `${h.user}@` : ''}${h.address}${h.port ? `:${h.port}` : ''}`,
        h.site ? `site ${code(h.site)}` : undefined,
        h.role ? `role ${code(h.role)}` : undefined,
        h.timezone ? `zone ${h.timezone}` : undefined,
      ].filter(Boolean);
      const jobs = usersOf(plan, (j) => j.host === name || j.raw.remote === name);
      const storage = [...plan.storage.values()].filter((s) => s.host === name).map((s) => s.name);
      return [`**host** ${code(name)} — ${facts.join(' · ')}`, '', `Storage: ${list(storage)}. Jobs: ${list(jobs)}.`].join('\n');
    }
    case 'storage': {
      const s = plan.storage.get(name);
      if (!s) return undefined;
      const host = s.host !== undefined ? plan.hosts.get(s.host) : undefined;
      const site = s.site ?? host?.site;
      const facts = [
        s.host ? `on ${code(s.host)}` : 'no host (object storage)',
        s.media ? `media ${code(s.media)}` : 'media unknown',
        site ? `site ${code(site)}` : 'site unknown',
        s.capacity ? `capacity ${s.capacity}` : undefined,
        s.immutable ? 'immutable' : undefined,
        s.replicated ? `replicated ×${s.replicated} (one copy)` : undefined,
      ].filter(Boolean);
      const where = s.path ? `\n\nPath: ${code(s.path)}` : s.url ? `\n\nURL: ${code(s.url)}` : '';
      const jobs = usersOf(plan, (j) => j.to === name || j.storage === name);
      return `**storage** ${code(name)} — ${facts.join(' · ')}${where}\n\nUsed by: ${list(jobs)}.`;
    }
    case 'policies': {
      const p = plan.policies.get(name);
      if (!p) return undefined;
      const users = [...plan.jobs.values()].filter((j) => j.retention === name);
      const engine = users.length > 0 ? engineIdFor(users[0].kind, p, users[0].raw.pruner) : 'native';
      const rules = policyRules(engine, p).map((r) => r.label);
      if (p.min !== undefined) rules.push(`min ${p.min}`);
      return [`**policy** ${code(name)} — ${rules.length > 0 ? rules.join(' · ') : 'keeps everything'}`, '', `Used by: ${list(users.map((u) => u.name))}.`].join('\n');
    }
    case 'jobs': {
      const j = plan.jobs.get(name);
      if (!j) return undefined;
      const info = kindInfo(j.kind);
      const head = `**job** ${code(name)} — ${code(j.kind)}${j.host ? ` on ${code(j.host)}` : ''}${j.enabled ? '' : ' (disabled)'}`;
      const lines = [head];
      if (j.description) lines.push('', j.description);
      const facts: string[] = [];
      if (j.from) facts.push(`copies ${code(j.from)}`);
      if (j.to) facts.push(`to ${code(j.to)}`);
      if (j.storage) facts.push(`storage ${code(j.storage)}`);
      if (facts.length > 0) lines.push('', facts.join(' · '));
      if (j.schedule) {
        const words = describeSchedule(j.schedule);
        lines.push('', `Schedule ${code(j.schedule)}${words ? ` — ${words}` : ''} (${jobZone(plan, j)})`);
      }
      const policy = jobPolicy(plan, j);
      if (policy) {
        const engine = engineIdFor(j.kind, policy, j.raw.pruner);
        const rules = policyRules(engine, policy).map((r) => r.label).join(' · ');
        lines.push('', `Retention ${typeof j.retention === 'string' ? code(j.retention) : '(inline)'}: ${rules || 'keeps everything'} — pruned by ${engine}`);
      } else if (info) lines.push('', `Pruned by ${info.engine}`);
      const rto = rtoOf(j);
      if (rto) {
        const deps = restoreDependencies(plan, name).map((d) => d.job);
        lines.push('', `**RTO** ${code(rto.text)}${deps.length ? ` — its restore needs ${list(deps)} first: rto-exceeded sums their last measured restores with this job’s` : ''}`);
      }
      const chain = chainOfJob(chainsOf(a), name);
      if (chain) lines.push('', chainMarkdown(a, chain, name));
      return lines.join('\n');
    }
  }
}
