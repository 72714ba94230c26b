import { describe, expect, it } from 'vitest';
import { parsePlan } from '../../../engine/plan/parse';
import { locate } from '../../../engine/plan/locate';
import { buildModel } from '../../../engine/plan/build-model';

const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('parsePlan', () => {
  it('reports each syntax error at its own position', () => {
    const text = 'version: 1\njobs:\n  a: [1, 2\n';
    const p = parsePlan(text);
    expect(p.findings.length).toBeGreaterThan(0);
    expect(p.findings.every((f) => f.rule === 'yaml-syntax')).toBe(true);
    expect(p.findings[0].range.start).toBeGreaterThan(text.indexOf('jobs'));
  });

  it('rejects a second document with a message that says what to do', () => {
    const text = 'version: 1\njobs: {}\n---\nversion: 1\n';
    const p = parsePlan(text);
    expect(p.findings).toHaveLength(1);
    expect(p.findings[0].message).toMatch(/one YAML document/);
    expect(p.findings[0].range.start).toBe(text.indexOf('---'));
  });

  it('stops an alias bomb with a finding instead of hanging', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 10; i++) {
      const prev = String.fromCharCode(96 + i);
      const cur = String.fromCharCode(97 + i);
      lines.push(`${cur}: &${cur} [${Array(9).fill('*' + prev).join(',')}]`);
    }
    const t0 = Date.now();
    const p = parsePlan(lines.join('\n'));
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(p.value).toBeUndefined();
    expect(p.findings[0].message).toMatch(/alias bomb/);
  });

  it('refuses binary input and huge input with one finding', () => {
    expect(parsePlan('ver\u0000sion').findings[0].message).toMatch(/binary/);
    expect(parsePlan('#'.repeat(5 * 1024 * 1024)).findings[0].message).toMatch(/MB/);
  });

  it('resolves merge keys', () => {
    const p = parsePlan('base: &b { kind: restic, host: h }\njobs:\n  j:\n    <<: *b\n    schedule: "@daily"\n');
    expect(p.findings).toEqual([]);
    expect((p.value as any).jobs.j).toEqual({ kind: 'restic', host: 'h', schedule: '@daily' });
  });

  it('reports duplicate keys', () => {
    const p = parsePlan('version: 1\nversion: 2\n');
    expect(p.findings[0].message).toMatch(/twice/);
  });
});

describe('locate', () => {
  const text = 'version: 1\nbase: &b\n  host: web\njobs:\n  j1:\n    <<: *b\n    kind: restic\n    paths: [/etc, /srv]\n';
  const doc = parsePlan(text).doc;
  it('finds keys and values', () => {
    expect(slice(text, locate(doc, ['jobs', 'j1', 'kind'], 'key'))).toBe('kind');
    expect(slice(text, locate(doc, ['jobs', 'j1', 'kind'], 'value'))).toBe('restic');
    expect(slice(text, locate(doc, ['jobs', 'j1', 'paths', 1]))).toBe('/srv');
  });
  it('follows merge keys to the anchored value', () => {
    expect(slice(text, locate(doc, ['jobs', 'j1', 'host']))).toBe('web');
  });
  it('falls back to the deepest existing node', () => {
    expect(slice(text, locate(doc, ['jobs', 'j1', 'nope', 'deeper']))).toBe('j1');
  });
  it('points a collection value at its key', () => {
    expect(slice(text, locate(doc, ['jobs', 'j1']))).toBe('j1');
  });
});

describe('buildModel', () => {
  it('normalises counts and tolerates junk', () => {
    const m = buildModel({
      timezone: 'Europe/Paris',
      policies: { p: { keep: { daily: 'all', weekly: 4, within: '2d' }, tiers: [{ keep: 'all', until: '15d' }, 'junk'] } },
      jobs: { j: { kind: 'restic', retention: 'p', after: 'k' }, bad: 3 },
    });
    expect(m.policies.get('p')!.keep).toEqual({ daily: -1, weekly: 4, within: '2d' });
    expect(m.policies.get('p')!.tiers).toEqual([{ keep: 'all', until: '15d' }, {}]);
    expect(m.jobs.get('j')!.after).toEqual(['k']);
    expect(m.jobs.get('bad')!.kind).toBe('');
    expect(m.timezone).toBe('Europe/Paris');
  });
});
