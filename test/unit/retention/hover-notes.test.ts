// The retention hover's engine notes: only those about the forms the policy uses, then one line
// pointing to the rest.
import { describe, expect, it } from 'vitest';
import type { PolicyModel } from '../../../engine/plan/model';
import { engineDocMarkdown, RETENTION_REFERENCE } from '../../../server/retention-docs';

const policy = (p: Omit<PolicyModel, 'at' | 'raw'>): PolicyModel => ({ at: [], raw: {}, ...p });
const bullets = (md: string) => md.split('\n').filter((l) => l.startsWith('- '));
const LINK = `The engine’s other rules: [retention in the README](${RETENTION_REFERENCE}).`;

describe('engine notes by policy form', () => {
  it('restic, keep last 3: the one note about counts, no buckets, no within, no zone', () => {
    const md = engineDocMarkdown('restic', undefined, policy({ keep: { last: 3 } }));
    expect(bullets(md)).toEqual(['- A rule that still has count left when it reaches the oldest snapshot keeps that one too (“oldest daily snapshot”).']);
    expect(md.split('\n').at(-1)).toBe(LINK);
    expect(md).not.toMatch(/within|tiers|independent|time zone/);
  });

  it('restic, within and calendar counts: buckets, independence, within, zone', () => {
    const md = engineDocMarkdown('restic', undefined, policy({ keep: { within: '2d', daily: 7, weekly: 4 } }));
    expect(bullets(md)).toHaveLength(5);
  });

  it('restic before 0.16: its own line about counts, still only that one', () => {
    const md = engineDocMarkdown('restic', 'restic before 0.16', policy({ keep: { last: 3 } }));
    expect(md).toContain('**Pruned by restic before 0.16');
    expect(bullets(md)).toEqual([expect.stringMatching(/^- No rule keeps the oldest snapshot for count left over/)]);
  });

  it('borg: the within note only with within; the period zone only with calendar counts', () => {
    expect(bullets(engineDocMarkdown('borg', undefined, policy({ keep: { within: '3d' } })))).toEqual([expect.stringMatching(/^- `within` runs first/)]);
    const daily = engineDocMarkdown('borg', undefined, policy({ keep: { last: 2, daily: 7 } }));
    expect(daily).not.toContain('`within`');
    expect(daily).toContain('local time of the machine');
  });

  it('pbs: a single rule has no note about earlier rules', () => {
    const md = engineDocMarkdown('pbs', undefined, policy({ keep: { last: 2 } }));
    expect(md).toContain('**in order**');
    expect(md).not.toContain('an earlier rule kept');
  });

  it('native: tiers notes for tiers, the expiry and min notes for expiry, nothing about keep counts', () => {
    const tiers = engineDocMarkdown('native', undefined, policy({ tiers: [{ keep: 'all', until: '1d' }, { every: '1d', until: '1mo' }] }));
    expect(tiers).toContain('`tiers`: at prune time T');
    expect(tiers).not.toMatch(/`keep` counts|`expiry`|`within\*`|`min`/);
    const expiry = engineDocMarkdown('native', undefined, policy({ expiry: '14d' }));
    expect(bullets(expiry)).toEqual([expect.stringMatching(/^- `expiry`: /), expect.stringMatching(/^- `min` \(default 1\)/)]);
  });

  it('without a policy: every note, no link (the general documentation)', () => {
    const md = engineDocMarkdown('native');
    expect(bullets(md)).toHaveLength(7);
    expect(md).not.toContain(RETENTION_REFERENCE);
  });
});
