// A chain protected only by snapshots that live on the very storage they protect: one lost pool,
// disk or host takes the data and every snapshot with it. Fires when the chain holds no copy
// beyond the live data and at least one of its (enabled) jobs is a snapshot kind. The finding sits
// on the root job key (the first one when several read the same data) and names the job kind
// that would send the snapshots elsewhere.
// coverage-3-2-1 fires on the same chain with the counts; this rule is the specific advice.
// When the chain's data units are covered differently, the message names the unit that only
// snapshots hold (engine/coverage/chains.ts).
import { chainName, chainsOf, unitName, unitsDiffer } from '../coverage/chains';
import type { Rule, RuleFinding } from './rule';

/** The kind that copies each snapshot kind's output to another storage. */
const SENDER: Record<string, string> = {
  'zfs-snapshot': 'zfs-send',
  'btrfs-snapshot': 'btrfs-send',
  'incus-snapshot': 'incus-copy',
};

export const rule: Rule = {
  id: 'snapshot-not-backup',
  defaultSeverity: 'warning',
  summary: 'A chain is protected only by snapshots on its own storage.',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const chain of chainsOf(ctx)) {
      const unit = chain.snapshotUnit;
      if (!chain.enabled || !unit) continue;
      const root = ctx.model.jobs.get(chain.root)!;
      const snapJob = unit.jobs.map((n) => ctx.model.jobs.get(n)!).find((j) => j.enabled && SENDER[j.kind] !== undefined);
      const sender = snapJob ? SENDER[snapJob.kind] : undefined;
      // sanoid's typed snapshots are pruned on the target by sanoid too (retention-unsupported pairs them).
      const sanoid = snapJob?.raw.pruner === 'sanoid' ? ' with `pruner: sanoid`' : '';
      const how = sender ? `a \`${sender}\` job${sanoid}` : 'a job';
      out.push({
        range: ctx.locate(root.at, 'key'),
        message:
          `${unitsDiffer(chain) ? unitName(unit) : chainName(chain)} is protected only by snapshots on ${unit.source.label}, where the data itself lives: ` +
          `losing that storage loses the snapshots too. Add ${how} with \`from: ${snapJob?.name ?? chain.root}\` ` +
          `and \`to:\` another storage (snapshots are not backups)`,
      });
    }
    return out;
  },
};
