// The plans of examples/ are documentation: each must check without errors, and every finding
// it still has must be a gap the scenario really has, said so in the plan itself.
//
// Convention: a finding is accepted by a comment on the line just above the line it is reported
// on, of the form
//     # accepted: RULE[, RULE...] — why the scenario has this gap
// (the rule ids of the findings on the next line, then an em dash and the reason). A finding on
// a line without such a comment fails the test, and so does an `# accepted:` comment whose next
// line has no finding of one of its rules (a gap that was fixed while its comment stayed).
// Several findings of one rule on one line (dst-schedule reports each clock change) count once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../engine/check';
import { RULE_IDS } from '../../engine/findings';
import { backplan, ROOT } from '../helpers/cli';

const NOW = Date.parse('2026-11-22T00:00:00Z');
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((f) => /\.backplan\.ya?ml$/.test(f))
  .sort();
const read = (file: string) => readFileSync(join(ROOT, 'examples', file), 'utf8');

const ACCEPTED = /^\s*#\s*accepted:(.*)$/;
const FORM = /^\s*([a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s+—\s+(\S.*)$/;

/** `rule@line` (1-based) for every finding an `# accepted:` comment announces. */
function acceptedOf(text: string): { expected: string[]; malformed: string[] } {
  const expected: string[] = [];
  const malformed: string[] = [];
  text.split('\n').forEach((line, i) => {
    const m = ACCEPTED.exec(line);
    if (!m) return;
    const form = FORM.exec(m[1]);
    const rules = form ? form[1].split(',').map((r) => r.trim()) : [];
    if (!form || rules.some((r) => !(RULE_IDS as readonly string[]).includes(r))) {
      malformed.push(`line ${i + 1}: ${line.trim()}`);
      return;
    }
    for (const r of rules) expected.push(`${r}@${i + 2}`);
  });
  return { expected: [...new Set(expected)].sort(), malformed };
}

/** 1-based line of a UTF-16 offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

describe('examples/', () => {
  it('holds the five scenarios', () => {
    expect(EXAMPLES).toEqual(expect.arrayContaining([
      'incus.backplan.yaml',
      'local.backplan.yaml',
      'microk8s.backplan.yaml',
      'openstack.backplan.yaml',
      'zfs-proxmox.backplan.yaml',
    ]));
  });

  describe.each(EXAMPLES)('%s', (file) => {
    const text = read(file);

    it('checks without errors; every finding left is an accepted gap, every accepted gap is found', () => {
      const result = checkText(text, { now: NOW });
      expect(result.internalErrors).toEqual([]);
      expect(result.model).toBeDefined();
      const errors = result.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule}@${lineOf(text, f.range.start)}: ${f.message}`);
      expect(errors).toEqual([]);
      const { expected, malformed } = acceptedOf(text);
      expect(malformed, 'an `# accepted:` comment must read `# accepted: RULE[, RULE] — reason`').toEqual([]);
      const found = [...new Set(result.findings.map((f) => `${f.rule}@${lineOf(text, f.range.start)}`))].sort();
      expect(found).toEqual(expected);
    });

    it('gives a dry-run plan as JSON, with every job in it and no errors', () => {
      const r = backplan(['plan', `examples/${file}`, '--format', 'json']);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout) as { steps: { job: string; host: string; argv?: string[] }[]; errors: unknown[]; skipped: unknown[]; order: string[] };
      expect(out.errors).toEqual([]);
      expect(out.skipped).toEqual([]);
      const jobs = [...checkText(text, { now: NOW }).model!.jobs.keys()];
      expect([...out.order].sort()).toEqual([...jobs].sort());
      for (const job of jobs) expect(out.steps.some((s) => s.job === job && Array.isArray(s.argv) && s.argv.length > 0), `a step with argv for ${job}`).toBe(true);
    });
  });
});

describe('the accepted-comment convention', () => {
  it('reads rule ids and the line below; refuses a comment without rule or reason', () => {
    const text = ['jobs:', '  # accepted: coverage-3-2-1, no-restore-test — why', '  j:', '  # accepted: no reason here', '  # accepted: not-a-rule — why', ''].join('\n');
    expect(acceptedOf(text)).toEqual({
      expected: ['coverage-3-2-1@3', 'no-restore-test@3'],
      malformed: ['line 4: # accepted: no reason here', 'line 5: # accepted: not-a-rule — why'],
    });
  });

  it('fails a plan whose gap was fixed while its comment stayed, and a plan with a new warning', () => {
    const text = read('microk8s.backplan.yaml');
    // a comment with no finding under it
    const stale = text.replace('    rpo: 5h', '    # accepted: rpo-exceeded — stale\n    rpo: 5h');
    const found = (t: string) => [...new Set(checkText(t, { now: NOW }).findings.map((f) => `${f.rule}@${lineOf(t, f.range.start)}`))].sort();
    expect(found(stale)).not.toEqual(acceptedOf(stale).expected);
    // a new warning with no comment
    const fresh = text.replace('rpo: 5h', 'rpo: 4h');
    expect(found(fresh)).not.toEqual(acceptedOf(fresh).expected);
  });
});
