// Each chain against `checks.coverage` (default 3 copies, 2 media, 1 offsite; `immutable` and
// `verified` make it 3-2-1-1-0). The finding sits on the chain's root job key, gives the counts
// and what is required, says what kind of job to add, and points (related info) at every copy.
// It also fires on chains that snapshot-not-backup reports: that rule gives the specific advice,
// this one the counts; both ids stay independent so either can be turned off.
// A chain whose data several jobs without `from` read (a restic and a borg of /home) is one chain:
// the finding sits on the first of them only, names them all, and points at the others.
// Counts are per data unit (engine/coverage/chains.ts): the finding gives the worst-covered
// unit's, and names it when the units differ ("`/dumps`, protected by `borg-data` alone: 2
// copies ..."), so a root reading other data never lends its copies to it; roots of the chain
// that do not read that unit are pointed at as such.
import type { RelatedInfo } from '../findings';
import { chainName, chainsOf, describeCounts, describeTarget, shortfall, locationPath, unitName, unitsDiffer, type Chain } from '../coverage/chains';
import type { CheckContext, Rule, RuleFinding } from './rule';
import { coverageFix } from './shared/coverage-fix';

function related(ctx: CheckContext, chain: Chain): RelatedInfo[] {
  const out: RelatedInfo[] = [];
  for (const copy of chain.copies) {
    const loc = copy.location;
    const where = [loc.media ? `media ${loc.media}` : 'media unknown', loc.site ? `site ${loc.site}` : 'site unknown'];
    if (copy.offsite) where.push('offsite');
    if (loc.immutable) where.push('immutable');
    const what = copy.live ? `copy 1: the live data on ${loc.label}` : `a copy on ${loc.label}, made by \`${copy.via}\``;
    const path = locationPath(loc);
    const range = copy.live ? path && ctx.locate(path, 'key') : ctx.locate(['jobs', copy.via!], 'key');
    if (range) out.push({ message: `${what} (${where.join(', ')})`, range });
  }
  for (const root of chain.roots.slice(1)) {
    if (chain.copies.some((c) => c.via === root)) continue;
    const message = chain.worst.roots.includes(root)
      ? `\`${root}\` reads the same data: its copies count in this chain`
      : `\`${root}\` does not read ${chain.worst.label}: its copies do not count for it`;
    out.push({ message, range: ctx.locate(['jobs', root], 'key') });
  }
  return out;
}

function advice(chain: Chain, miss: NonNullable<ReturnType<typeof shortfall>>): string {
  const jobs = [...chain.worst.jobs, ...chain.worst.downstream];
  const last = jobs[jobs.length - 1];
  const todo: string[] = [];
  const onto: string[] = [];
  if (miss.media) onto.push('on another media');
  if (miss.offsite) onto.push(chain.source.site ? `on a site other than \`${chain.source.site}\`` : 'on another site');
  if (miss.immutable) onto.push('marked `immutable: true`');
  if (miss.copies || onto.length > 0) {
    todo.push(`add a job with \`from: ${last}\` whose \`to\` is a storage ${onto.length > 0 ? onto.join(', ') : 'that holds no copy yet'}`);
  }
  if (miss.verified) todo.push('add `verify` to one of its jobs');
  let text = todo.join('; ');
  if (miss.offsite && chain.unknownSites.length > 0) {
    const names = chain.unknownSites.map((l) => l.label).join(', ');
    text += ` (no site is known for ${names}: set \`site\` on the storage or its host)`;
  }
  return text;
}

export const rule: Rule = {
  id: 'coverage-3-2-1',
  defaultSeverity: 'warning',
  summary: 'A chain has fewer copies, media or offsite copies than required.',
  check(ctx) {
    const target = ctx.model.checks.coverage;
    const out: RuleFinding[] = [];
    for (const chain of chainsOf(ctx)) {
      if (!chain.enabled) continue;
      const miss = shortfall(chain.counts, target);
      if (!miss) continue;
      const fix = coverageFix(ctx, chain, target);
      out.push({
        range: ctx.locate(['jobs', chain.root], 'key'),
        message: `${unitsDiffer(chain) ? `${unitName(chain.worst)}: ` : chain.roots.length > 1 ? `${chainName(chain)}: ` : ''}${describeCounts(chain.counts, target)} — needs ${describeTarget(target)} (checks.coverage): ${advice(chain, miss)}`,
        related: related(ctx, chain),
        ...(fix ? { fixes: [fix] } : {}),
      });
    }
    return out;
  },
};
