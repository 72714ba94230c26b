// The pure half of the status view and lens (client/status-data.ts): reading the JSON of
// `backplan status`, the one-line state of a job, the view's rows, the job headers of a plan and
// its metrics file.
import { describe, expect, it } from 'vitest';
import { ago, hasState, jobHeaders, lensText, metricsFile, parseStatus, rowDescription, span, statusDocument, type JobStatusJson } from '../../../client/status-data';

const NOW = Date.parse('2026-12-03T12:00:00Z');
const base: JobStatusJson = { job: 'j', kind: 'archive', host: 'h', state: 'never', lastRun: null, lastSuccess: null, ageSeconds: null, rpoSeconds: 86400, copies: null, bytes: null, lastVerify: null };
const run = (start: string, result: string) => ({ id: 'r', start, end: start, durationSeconds: 1, result });

describe('status data', () => {
  it('reads the JSON of backplan status and refuses anything else', () => {
    const r = parseStatus(JSON.stringify({ at: '2026-12-03T12:00:00Z', jobs: [base] }));
    expect(r?.jobs[0].job).toBe('j');
    expect(parseStatus('backplan: nope')).toBeUndefined();
    expect(parseStatus(JSON.stringify({ jobs: [{ job: 'x', state: 'weird' }] }))).toBeUndefined();
  });

  it('says in one line what each state means', () => {
    expect(lensText({ ...base, state: 'ok', lastSuccess: '2026-12-03T09:00:00Z', copies: 12 }, NOW)).toBe('✓ 3 h ago · 12 copies');
    expect(lensText({ ...base, state: 'ok', lastSuccess: '2026-12-03T11:59:30Z', copies: 1 }, NOW)).toBe('✓ just now · 1 copy');
    // 3 d old with a 1 d rpo: late by 2 d.
    expect(lensText({ ...base, state: 'late', lastSuccess: '2026-11-30T12:00:00Z', ageSeconds: 3 * 86400 }, NOW)).toBe('late by 2 d');
    expect(lensText({ ...base, state: 'failed', lastRun: run('2026-12-01T03:00:00Z', 'failed') }, NOW)).toMatch(/^failed 2026-12-0[01] \d\d:00$/);
    expect(lensText(base, NOW)).toBe('never ran');
    expect(lensText({ ...base, state: 'disabled' }, NOW)).toBe('disabled');
  });

  it('spans and ages in the largest unit that fits', () => {
    expect([span(45), span(600), span(3 * 3600), span(47 * 3600), span(50 * 3600)]).toEqual(['45 s', '10 min', '3 h', '47 h', '2 d']);
    expect(ago('2026-12-02T12:00:00Z', NOW)).toBe('24 h ago');
  });

  it('shows last success, copies and the last restore test in the view', () => {
    const j = { ...base, state: 'ok' as const, lastSuccess: '2026-12-03T09:00:00Z', copies: 2, lastVerify: { time: '2026-12-02T12:00:00Z', result: 'ok', durationSeconds: 3 } };
    expect(rowDescription(j, NOW)).toBe('ok · last success 3 h ago · 2 copies · restore test ok 24 h ago');
    expect(rowDescription(base, NOW)).toBe('never · no success yet · no restore test');
    const doc = statusDocument('p.backplan.yaml', { at: '2026-12-03T12:00:00Z', jobs: [j, base] }, NOW);
    expect(doc).toContain('j: ✓ 3 h ago · 2 copies\n');
    expect(doc).toContain('  Last restore test: ok 24 h ago');
    expect(doc).toContain('2 jobs: 1 ok, 0 late, 0 failed, 1 never, 0 disabled');
  });

  it('has no state while no job ever ran', () => {
    expect(hasState({ at: '', jobs: [base, { ...base, job: 'k' }] })).toBe(false);
    expect(hasState({ at: '', jobs: [base, { ...base, state: 'failed', lastRun: run('2026-12-01T03:00:00Z', 'failed') }] })).toBe(true);
    expect(hasState(undefined)).toBe(false);
  });

  it('finds each job header, and only those', () => {
    const text = 'version: 1\nhosts:\n  a: {}\njobs:\n  first:\n    kind: archive\n  "second one":\n    kind: archive\npolicies:\n  first: {}\n';
    const h = jobHeaders(text);
    expect([...h.keys()]).toEqual(['first', 'second one']);
    expect(text.slice(h.get('first')!, h.get('first')! + 5)).toBe('first');
    expect(text.indexOf('"second one"')).toBe(h.get('second one'));
    expect(jobHeaders('jobs: [1, 2]').size).toBe(0);
    expect(jobHeaders(': : :').size).toBe(0);
  });

  it('resolves monitoring.textfile against the plan folder', () => {
    expect(metricsFile('monitoring:\n  textfile: ./m/b.prom\n', '/srv/plans/x.backplan.yaml')).toBe('/srv/plans/m/b.prom');
    expect(metricsFile('monitoring:\n  textfile: /var/lib/node/b.prom\n', '/srv/x.yaml')).toBe('/var/lib/node/b.prom');
    expect(metricsFile('version: 1\n', '/srv/x.yaml')).toBeUndefined();
  });
});
