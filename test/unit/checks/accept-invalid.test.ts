// Accepting a finding (SPEC §7): the `accept:` key of an entry and the `# backplan: accept`
// comment turn a finding into information with its reason; a reasonless, malformed or stale
// accept is reported by accept-invalid; the quick fix that writes an accept.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { readFileSync } from 'node:fs';
import { ACCEPTABLE_RULES, acceptFix, entrySpans, TODO_REASON } from '../../../engine/checks/shared/accept';
import { parsePlan } from '../../../engine/plan/parse';
import { backplan, ROOT } from '../../helpers/cli';

const NOW = Date.parse('2026-11-22T00:00:00Z');
const PLAN = `version: 1
hosts:
  web: { address: 10.0.0.1 }
  spare: { address: 10.0.0.9 }
storage:
  nas: { host: web, media: hdd, path: /srv/backups }
jobs:
  a:
    kind: restic
    host: web
    paths: [/srv]
    to: nas
    password_env: RESTIC_PASSWORD
    schedule: "0 3 * * *"
    verify: { schedule: "@weekly", restore: latest }
`;
const check = (text: string) => checkText(text, { now: NOW }).findings;
const short = (text: string) => check(text).map((f) => `${f.rule}:${f.severity}`);

describe('accept', () => {
  it('without an accept: the findings this plan is built around', () => {
    expect(short(PLAN)).toEqual(['unused:hint', 'coverage-3-2-1:warning']);
  });

  it('turns the finding into information that gives the reason, and keeps the others', () => {
    const text = PLAN.replace('    verify:', '    accept:\n      coverage-3-2-1: "a lab machine: one copy is enough"\n    verify:');
    const f = check(text);
    expect(f.map((x) => `${x.rule}:${x.severity}`)).toEqual(['unused:hint', 'coverage-3-2-1:info']);
    const cov = f.find((x) => x.rule === 'coverage-3-2-1')!;
    expect(cov.accepted).toBe('a lab machine: one copy is enough');
    expect(cov.message).toMatch(/^accepted: a lab machine: one copy is enough — 2 copies, 1 media, 0 offsite/);
    expect(text.slice(cov.range.start, cov.range.end)).toBe('a'); // still on the job's key
  });

  it('accepts on a host, in flow style, and through a `# backplan: accept` comment', () => {
    const flow = PLAN.replace('  spare: { address: 10.0.0.9 }', '  spare: { address: 10.0.0.9, accept: { unused: "the cold spare" } }');
    expect(short(flow)).toEqual(['unused:info', 'coverage-3-2-1:warning']);
    const comment = PLAN.replace('  a:\n', '  # backplan: accept coverage-3-2-1 — a lab machine\n  a:\n');
    const f = check(comment);
    expect(f.map((x) => `${x.rule}:${x.severity}`)).toEqual(['unused:hint', 'coverage-3-2-1:info']);
    expect(f[1].accepted).toBe('a lab machine');
    // the comment applies to the next line only
    const far = PLAN.replace('  spare:', '  # backplan: accept coverage-3-2-1 — a lab machine\n  spare:');
    expect(short(far)).toEqual(['accept-invalid:warning', 'unused:hint', 'coverage-3-2-1:warning']);
  });

  it('needs a reason: blank, TODO or a malformed comment accepts nothing and is reported', () => {
    const blank = PLAN.replace('    verify:', '    accept: { coverage-3-2-1: "  " }\n    verify:');
    expect(short(blank)).toEqual(['unused:hint', 'coverage-3-2-1:warning', 'accept-invalid:warning']);
    const todo = PLAN.replace('    verify:', `    accept: { coverage-3-2-1: "${TODO_REASON}" }\n    verify:`);
    const f = check(todo);
    expect(f.map((x) => `${x.rule}:${x.severity}`)).toEqual(['unused:hint', 'coverage-3-2-1:warning', 'accept-invalid:warning']);
    expect(f[2].message).toMatch(/needs a reason/);
    expect(todo.slice(f[2].range.start, f[2].range.end)).toBe(`"${TODO_REASON}"`);
    const empty = PLAN.replace('    verify:', '    accept: { coverage-3-2-1: "" }\n    verify:');
    expect(short(empty)).toContain('schema:error');
    const noReason = PLAN.replace('  a:\n', '  # backplan: accept coverage-3-2-1\n  a:\n');
    expect(short(noReason)).toEqual(['unused:hint', 'accept-invalid:warning', 'coverage-3-2-1:warning']);
  });

  it('reports an accept that matches nothing any more (the gap was fixed), unless its rule is off', () => {
    const text = PLAN.replace('    verify:', '    accept: { no-restore-test: "verified by hand" }\n    verify:');
    const f = check(text);
    expect(f.map((x) => `${x.rule}:${x.severity}`)).toEqual(['unused:hint', 'coverage-3-2-1:warning', 'accept-invalid:warning']);
    expect(f[2].message).toBe("nothing to accept: job 'a' has no no-restore-test finding any more: remove this accept (what it accepted was fixed)");
    expect(text.slice(f[2].range.start, f[2].range.end)).toBe('no-restore-test');
    expect(f[2].tags).toEqual(['unnecessary']);
    expect(short(`${text}checks: { no-restore-test: off }\n`)).toEqual(['unused:hint', 'coverage-3-2-1:warning']);
    expect(short(`${text}checks: { accept-invalid: off }\n`)).toEqual(['unused:hint', 'coverage-3-2-1:warning']);
  });

  it('the schema gives accept to hosts, storage, jobs and named policies', () => {
    const schema = JSON.parse(readFileSync(join(ROOT, 'schemas/backplan.schema.json'), 'utf8')) as { $defs: Record<string, { properties?: Record<string, unknown> }> };
    for (const where of ['host', 'storage', 'job', 'policy']) expect(schema.$defs[where].properties!.accept, where).toEqual({ $ref: '#/$defs/accept' });
    expect(ACCEPTABLE_RULES).not.toContain('schema');
  });

  it('refuses an unknown rule, yaml-syntax and schema (accept-invalid), and an accept inside an inline retention (schema)', () => {
    for (const [rule, message] of [['not-a-rule', /^no rule 'not-a-rule' to accept/], ['schema', /^'schema' cannot be accepted/], ['yaml-syntax', /cannot be accepted/]] as const) {
      const text = PLAN.replace('    verify:', `    accept: { ${rule}: "because" }\n    verify:`);
      const f = check(text).filter((x) => x.rule === 'accept-invalid');
      expect(f.map((x) => x.message), rule).toEqual([expect.stringMatching(message)]);
      expect(text.slice(f[0].range.start, f[0].range.end)).toBe(rule);
    }
    const inline = PLAN.replace('    verify:', '    retention: { keep: { daily: 7 }, accept: { coverage-3-2-1: "x" } }\n    verify:');
    const f = check(inline).filter((x) => x.rule === 'schema');
    expect(f).toHaveLength(1);
    expect(inline.slice(f[0].range.start, f[0].range.end)).toBe('accept');
    // a named policy takes it
    const named = PLAN.replace('jobs:', 'policies:\n  spare: { keep: { daily: 7 }, accept: { unused: "kept for the next job" } }\njobs:');
    expect(short(named)).toEqual(['unused:hint', 'unused:info', 'coverage-3-2-1:warning']);
  });

  it('check --format json lists the accepted finding with its reason', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backplan-accept-'));
    const file = join(dir, 'p.backplan.yaml');
    writeFileSync(file, PLAN.replace('    verify:', '    accept:\n      coverage-3-2-1: "a lab machine"\n    verify:'));
    const r = backplan(['check', file, '--format', 'json']);
    expect(r.code).toBe(0);
    const d = (JSON.parse(r.stdout) as { files: { diagnostics: { rule: string; severity: string; accepted?: string }[] }[] }).files[0].diagnostics;
    expect(d.find((x) => x.rule === 'coverage-3-2-1')).toMatchObject({ severity: 'info', accepted: 'a lab machine' });
    expect(d.find((x) => x.rule === 'unused')!.accepted).toBeUndefined();
  });
});

describe('the quick fix that writes an accept', () => {
  const fixed = (text: string, rule: string) => {
    const f = check(text).find((x) => x.rule === rule)!;
    const fix = acceptFix(text, entrySpans(parsePlan(text).doc), f)!;
    expect(fix.title).toMatch(/^Accept with a reason…/);
    let out = text;
    for (const e of [...fix.edits].sort((x, y) => y.range.start - x.range.start)) out = out.slice(0, e.range.start) + e.newText + out.slice(e.range.end);
    return out;
  };

  it('appends `accept:` to a block entry, with the TODO reason that is reported until replaced', () => {
    const out = fixed(PLAN, 'coverage-3-2-1');
    expect(out).toBe(PLAN.replace('restore: latest }\n', `restore: latest }\n    accept: { coverage-3-2-1: "${TODO_REASON}" }\n`));
    expect(short(out)).toEqual(['unused:hint', 'coverage-3-2-1:warning', 'accept-invalid:warning']);
    expect(short(out.replace(TODO_REASON, 'a lab machine'))).toEqual(['unused:hint', 'coverage-3-2-1:info']);
  });

  it('adds to a flow entry, and into an existing accept mapping', () => {
    const out = fixed(PLAN, 'unused');
    expect(out).toContain(`  spare: { address: 10.0.0.9, accept: { unused: "${TODO_REASON}" } }\n`);
    const withAccept = PLAN.replace('    verify:', '    accept:\n      no-restore-test: "by hand"\n    verify:');
    const out2 = fixed(withAccept, 'coverage-3-2-1');
    expect(out2).toContain(`    accept:\n      no-restore-test: "by hand"\n      coverage-3-2-1: "${TODO_REASON}"\n    verify:`);
  });
});
