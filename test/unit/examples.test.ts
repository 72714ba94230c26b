// The plans of examples/ are documentation: each must check without an error or a warning.
// A gap the scenario really has is accepted in the plan itself, with its reason (SPEC §7:
// `accept: {RULE: "reason"}` on the entry, or a `# backplan: accept RULE — reason` comment above
// the line): it is then information whose message gives the reason, and an accept that matches
// nothing any more is a warning (accept-invalid), so a gap that was fixed cannot keep its accept.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../engine/check';
import { backplan, ROOT } from '../helpers/cli';

const NOW = Date.parse('2026-11-22T00:00:00Z');
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((f) => /\.backplan\.ya?ml$/.test(f))
  .sort();
const read = (file: string) => readFileSync(join(ROOT, 'examples', file), 'utf8');

/** 1-based line of a UTF-16 offset. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/** `rule@line: message` of every error and warning. */
const problems = (text: string) =>
  checkText(text, { now: NOW })
    .findings.filter((f) => f.severity === 'error' || f.severity === 'warning')
    .map((f) => `${f.rule}@${lineOf(text, f.range.start)}: ${f.message}`);

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

    it('checks with no error and no warning; every accepted gap says why', () => {
      const result = checkText(text, { now: NOW });
      expect(result.internalErrors).toEqual([]);
      expect(result.model).toBeDefined();
      expect(problems(text)).toEqual([]);
      for (const f of result.findings.filter((x) => x.accepted !== undefined)) {
        expect(f.severity).toBe('info');
        expect(f.accepted!.length).toBeGreaterThan(10);
        expect(f.message.startsWith(`accepted: ${f.accepted}`)).toBe(true);
      }
      expect(text, 'the old `# accepted:` comments are gone').not.toMatch(/^\s*#\s*accepted:/m);
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

describe('accepted gaps of the examples', () => {
  it('are real: without its accept a gap is a warning again', () => {
    const text = read('zfs-proxmox.backplan.yaml');
    const noKey = text.replace(/\n    accept:\n      coverage-3-2-1: "live \+ replica here[^\n]*/, '');
    expect(noKey).not.toBe(text);
    expect(problems(noKey).map((p) => p.split(':')[0])).toEqual(['coverage-3-2-1@40']);
    const noComment = text.replace(/\n *# backplan: accept offsite-unencrypted[^\n]*/, '');
    expect(noComment).not.toBe(text);
    expect(problems(noComment).map((p) => p.split(':')[0])).toEqual(['offsite-unencrypted@60']);
  });

  it('go stale when the gap is fixed: the accept itself is then reported', () => {
    const text = read('microk8s.backplan.yaml');
    const stale = text.replace('    rpo: 5h', '    accept: { rpo-exceeded: "the cluster is rebuilt from git in an hour" }\n    rpo: 5h');
    expect(stale).not.toBe(text);
    expect(problems(stale)).toEqual([expect.stringMatching(/^accept-invalid@\d+: nothing to accept: job '[^']+' has no rpo-exceeded finding/)]);
  });
});
