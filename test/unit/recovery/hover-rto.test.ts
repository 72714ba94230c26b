import { describe, expect, it } from 'vitest';
import { Analysis } from '../../../server/documents';
import { summary } from '../../../server/features/summaries';

describe('the hover of a job with rto', () => {
  it('shows the rto and the jobs its restore needs first (the chain rto-exceeded sums)', () => {
    const text = `version: 1
storage:
  disk: { path: /srv/b }
jobs:
  db: { kind: pg-dump, database: app, to: disk }
  files: { kind: rsync, paths: [/srv/app], to: disk, after: [db], rto: 2h }
  alone: { kind: rsync, paths: [/srv/x], to: disk, rto: 30min }
`;
    const a = new Analysis('untitled:plan', 1, text, Date.parse('2026-01-01T00:00:00Z'));
    expect(summary(a, 'jobs', 'files')).toContain('**RTO** `2h` — its restore needs `db` first');
    expect(summary(a, 'jobs', 'alone')).toContain('**RTO** `30min`\n');
    expect(summary(a, 'jobs', 'db')).not.toContain('RTO');
  });
});
