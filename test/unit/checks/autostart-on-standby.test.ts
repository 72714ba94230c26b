import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/autostart-on-standby';
import type { Finding } from '../../../engine/findings';
import { parsePlan } from '../../../engine/plan/parse';

const run = (text: string) => checkText(text, { rules: [rule] });
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);
const applyFix = (text: string, f: Finding) =>
  [...f.fixes![0].edits].sort((a, b) => b.range.start - a.range.start).reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

const HEAD = `version: 1
hosts:
  prod: { site: a, role: primary }
  spare: { site: b, role: standby }
storage:
  spare-pool: { host: spare, media: ssd }
  prod-pool: { host: prod, media: ssd }
jobs:
  snaps: { kind: incus-snapshot, host: prod, instance: web }
`;

/** Applies the fix, re-parses, and returns the fixed text and the job's value. */
function fixed(text: string, f: Finding, job: string) {
  const out = applyFix(text, f);
  const p = parsePlan(out);
  expect(p.findings).toEqual([]);
  expect(run(out).findings).toEqual([]);
  return { out, job: (p.value as any).jobs[job] };
}

describe('autostart-on-standby', () => {
  it('fires on a copy to a standby storage without autostart, on the job key, and inserts the line after kind', () => {
    const text = `${HEAD}  copy:
    kind: incus-copy
    from: snaps
    instance: web
    to: spare-pool
`;
    const [f, ...rest] = run(text).findings;
    expect(rest).toEqual([]);
    expect(slice(text, f.range)).toBe('copy');
    expect(f.range.start).toBe(text.indexOf('  copy:') + 2);
    expect(f.severity).toBe('error');
    expect(f.message).toBe(
      '`copy` copies `web` to `spare`, a standby host, with no `autostart: false`, and Incus carries `boot.autostart` over with the copy: ' +
        'the copy would start when `spare` boots, next to the primary. Set `autostart: false`',
    );
    expect(slice(text, f.related![0].range)).toBe('standby');
    expect(f.fixes![0].preferred).toBe(true);
    const { out, job } = fixed(text, f, 'copy');
    expect(job.autostart).toBe(false);
    expect(out).toContain('    kind: incus-copy\n    autostart: false\n    from: snaps\n');
  });

  it('fires on `autostart: true` at the value, and the fix sets it to false', () => {
    const text = `${HEAD}  copy:
    kind: incus-copy
    autostart: true   # keep it running
    to: spare-pool
`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('true');
    expect(f.message).toContain('with `autostart` is not false');
    const { out, job } = fixed(text, f, 'copy');
    expect(job.autostart).toBe(false);
    expect(out).toContain('autostart: false   # keep it running');
  });

  it('follows `remote` naming a standby host, and fixes a flow mapping', () => {
    const text = `${HEAD}  copy: { kind: incus-copy, from: snaps, remote: spare }
`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('copy');
    const { out, job } = fixed(text, f, 'copy');
    expect(job).toEqual({ kind: 'incus-copy', from: 'snaps', remote: 'spare', autostart: false });
    expect(out).toContain('remote: spare, autostart: false }');
  });

  it('inserts before the first key when kind comes from a merge, at the right indentation', () => {
    const text = `x-copy: &copy { kind: incus-copy, autostart: 1 }
${HEAD.replace('version: 1\n', 'version: 1\n')}  copy:
      <<: *copy
      to: spare-pool
`;
    const [f] = run(text).findings;
    expect(slice(text, f.range)).toBe('copy');
    const { out, job } = fixed(text, f, 'copy');
    expect(job.autostart).toBe(false);
    expect(out).toContain('  copy:\n      autostart: false\n      <<: *copy\n');
    // The anchored base is left alone: other jobs may rely on it.
    expect(out.startsWith('x-copy: &copy { kind: incus-copy, autostart: 1 }')).toBe(true);
  });

  it('inserts when the kind line is the last line of the file', () => {
    const text = `${HEAD}  copy:
    to: spare-pool
    kind: incus-copy`;
    const [f] = run(text).findings;
    const { job } = fixed(text, f, 'copy');
    expect(job.autostart).toBe(false);
  });

  it('is quiet with autostart false or 0, for non-standby targets and other kinds', () => {
    for (const v of ['false', '0', '"false"', "'0'"]) {
      expect(run(`${HEAD}  copy: { kind: incus-copy, to: spare-pool, autostart: ${v} }\n`).findings).toEqual([]);
    }
    expect(run(`${HEAD}  copy: { kind: incus-copy, to: prod-pool }\n`).findings).toEqual([]);
    expect(run(`${HEAD}  copy: { kind: incus-copy, remote: prod }\n`).findings).toEqual([]);
    expect(run(`${HEAD}  copy: { kind: zfs-send, to: spare-pool }\n`).findings).toEqual([]);
    expect(run(`${HEAD}  copy: { kind: incus-copy, to: unknown-pool }\n`).findings).toEqual([]);
  });

  it('a mistyped `remote` is an unknown host; once fixed, the standby copy is reported again', async () => {
    const { RULES } = await import('../../../engine/checks');
    const text = `${HEAD}  copy:
    kind: incus-copy
    from: snaps
    remote: spaer
`;
    const all = checkText(text, { rules: RULES }).findings;
    const ref = all.find((f) => f.rule === 'unknown-reference')!;
    expect(ref && slice(text, ref.range)).toBe('spaer');
    expect(ref.message).toBe('unknown host `spaer`: did you mean `spare`?');
    expect(all.filter((f) => f.rule === 'autostart-on-standby')).toEqual([]);
    const out = applyFix(text, ref);
    expect(out).toContain('remote: spare\n');
    const after = checkText(out, { rules: RULES }).findings;
    expect(after.filter((f) => f.rule === 'unknown-reference')).toEqual([]);
    expect(after.filter((f) => f.rule === 'autostart-on-standby').map((f) => f.message)).toEqual([
      '`copy` copies the instance to `spare`, a standby host, with no `autostart: false`, and Incus carries `boot.autostart` over with the copy: the copy would start when `spare` boots, next to the primary. Set `autostart: false`',
    ]);
  });
});
