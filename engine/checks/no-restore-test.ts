// A chain none of whose (enabled) jobs has `verify`: nothing ever proves that its copies restore.
// The finding sits on the root job key and suggests verifying the job that holds the farthest
// copy (the last one added), since that is the copy a disaster leaves.
import { chainsOf } from '../coverage/chains';
import type { Rule, RuleFinding } from './rule';

export const rule: Rule = {
  id: 'no-restore-test',
  defaultSeverity: 'warning',
  summary: 'A chain has no `verify` anywhere.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const chain of chainsOf(ctx)) {
      if (!chain.enabled || chain.counts.verified) continue;
      const last = chain.copies[chain.copies.length - 1];
      const target = last.via ?? chain.root;
      const members = chain.members.length === 1 ? `\`${chain.root}\` has no` : `no job of the \`${chain.root}\` chain has`;
      out.push({
        range: ctx.locate(['jobs', chain.root], 'key'),
        message:
          `${members} \`verify\`: nothing tests that its copies can be restored. ` +
          `Add a restore test to \`${target}\`, e.g. \`verify: { schedule: "@weekly", restore: sample }\``,
      });
    }
    return out;
  },
};
