// `backplan/coverage`: every chain's 3-2-1 line, counts and copies.
import { formatChain, shortfall } from '../../engine/coverage/chains';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';
import type { CoverageResult } from '../protocol';
import { chainsOf } from './summaries';

export function coverage(a: Analysis): CoverageResult {
  const names = nameIndex(a);
  const target = a.model.checks.coverage;
  return {
    chains: chainsOf(a).map((c) => {
      const def = names.definition('jobs', c.root);
      return {
        root: c.root,
        roots: c.roots,
        members: c.members,
        enabled: c.enabled,
        line: formatChain(c, a.model),
        ok: shortfall(c.counts, target) === undefined,
        counts: c.counts,
        target,
        copies: c.copies.map((cp) => ({
          label: cp.location.label,
          ...(cp.via ? { via: cp.via } : {}),
          ...(cp.location.site ? { site: cp.location.site } : {}),
          ...(cp.location.media ? { media: cp.location.media } : {}),
          offsite: cp.offsite,
          immutable: cp.location.immutable,
        })),
        range: toRange(a.lines, def ? def.range : { start: 0, end: 0 }),
      };
    }),
  };
}
