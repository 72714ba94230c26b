// The hover summaries of a job and of its policy name the engine that really prunes it: a
// `pruner:` tool wins over the kind's default, as in the simulation.
import { describe, expect, it } from 'vitest';
import { Analysis } from '../../../server/documents';
import { summary } from '../../../server/features/summaries';

const plan = (pruner: string) => `version: 1
hosts:
  nas: { address: localhost }
policies:
  counts: { keep: { hourly: 24, daily: 7 } }
jobs:
  snaps:
    kind: zfs-snapshot
    host: nas
    dataset: tank/data
    schedule: "@hourly"
${pruner}    retention: counts
`;
const analysed = (text: string) => new Analysis('file:///plans/p.backplan.yaml', 1, text, Date.UTC(2026, 0, 1));

describe('summaries name the pruner', () => {
  it('a sanoid-pruned job and its policy say sanoid; without pruner, Backplan', () => {
    const sanoid = analysed(plan('    pruner: sanoid\n'));
    expect(summary(sanoid, 'jobs', 'snaps')).toContain('pruned by sanoid');
    expect(summary(sanoid, 'policies', 'counts')).toMatch(/\*\*policy\*\* `counts`/);
    const own = analysed(plan(''));
    expect(summary(own, 'jobs', 'snaps')).toContain('pruned by native');
  });
});
