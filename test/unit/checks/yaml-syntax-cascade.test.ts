// yaml-syntax reports one finding per error at its cause, not the library's cascade of symptoms
// (SPEC §6), and never more than MAX_SYNTAX_FINDINGS for any text.
import { describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module of the benchmarks
import { generatePlan } from '../../../bench/gen-plan.mjs';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/yaml-syntax';
import { parsePlan } from '../../../engine/plan/parse';
import { MAX_SYNTAX_FINDINGS } from '../../../engine/plan/syntax-cascade';

const run = (text: string) => checkText(text, { rules: [rule] }).findings;
const lineOf = (text: string, offset: number) => text.slice(0, offset).split('\n').length;
const big: string = generatePlan(200);
const bigLines = big.split('\n');
/** The 200-job plan with `insert` at the end of its line `line` (0-based). */
const bigWith = (line: number, insert: string, column = bigLines[line].length) => {
  const at = bigLines.slice(0, line).join('\n').length + 1 + column;
  return big.slice(0, at) + insert + big.slice(at);
};
/** How many errors the yaml library itself reports (the cascade this rule folds). */
const libraryErrors = (text: string) => parsePlan(text).doc?.errors.length ?? 0;

describe('yaml-syntax: one finding per cause', () => {
  it('an unclosed `{` in the 200-job plan: one finding at the bracket, where YAML gave up in related', () => {
    const text = bigWith(24, '{'); // `  pool-0: { ... }{`
    expect(libraryErrors(text)).toBeGreaterThan(8000);
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('}{') + 1);
    expect(f[0].message).toMatch(/^this `\{` is never closed: add the `\}`/);
    expect(f[0].message).toMatch(/YAML reports \d{4} more errors after it/);
    expect(f[0].related?.[0].message).toBe('YAML gave up here');
    expect(f[0].related!.length).toBeLessThanOrEqual(6);
  });

  it('an unclosed `[` opening a top-level key: one finding at the `[`', () => {
    const text = bigWith(23, '[', 0); // `[storage:`
    expect(libraryErrors(text)).toBeGreaterThan(1000);
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('[storage:'));
    expect(f[0].message).toMatch(/^this `\[` is never closed: add the `\]`/);
  });

  it('an unclosed flow mapping inside a job: at its `{`, the next job untouched', () => {
    const text =
      'jobs:\n  a:\n    kind: restic\n    retention: { keep: { daily: 7 }\n    host: h\n  b:\n    kind: borg\n';
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('{ keep'));
    expect(lineOf(text, f[0].related![0].range.start)).toBe(5);
  });

  it('an unclosed double quote: at the quote, the 200 BAD_INDENT errors of the later jobs folded in', () => {
    const text = bigWith(59, '"', 0); // `"    kind: zfs-snapshot` in job-0
    expect(libraryErrors(text)).toBeGreaterThan(150);
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('"    kind'));
    expect(f[0].message).toMatch(/^this double quote is never closed/);
  });

  it('an unclosed single quote running to the end of the text: at the quote', () => {
    const text = big.replace('    schedule: ', "    schedule: '");
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf("'"));
    expect(f[0].message).toMatch(/^this single quote is never closed: add the closing '/);
    // an escaped quote ('') does not close it; a closed one with an escaped quote inside is no error
    expect(run("jobs:\n  a: { kind: 'it''s' }\n")).toEqual([]);
  });

  it('one over-indented first key: one finding at that key, not one per later key', () => {
    const text = big.replace('\n  host-0:', '\n   host-0:');
    expect(libraryErrors(text)).toBe(19);
    const f = run(text);
    expect(f).toHaveLength(1);
    expect(f[0].range.start).toBe(text.indexOf('host-0:'));
    expect(f[0].message).toMatch(/^this key is indented by 3 spaces and the keys after it in the same mapping by 2/);
    expect(f[0].message).toMatch(/18 more errors/);
  });

  it('binary bytes pasted into the plan: one finding at the first control character', () => {
    const junk = Array.from({ length: 3000 }, (_, i) => String.fromCharCode(1 + ((i * 7919) % 255))).join('');
    const text = big.slice(0, 2000) + junk + big.slice(2000);
    expect(libraryErrors(text)).toBeGreaterThan(10);
    const f = run(text);
    expect(f.length).toBeLessThanOrEqual(3);
    expect(f[0].range.start).toBe(2000);
    expect(f[0].message).toMatch(/^control character U\+0001 here \(\d+ in the plan\): this looks like binary data/);
  });

  it('errors of their own kind stay one each: two duplicate keys in two jobs', () => {
    const text = 'jobs:\n  a:\n    kind: restic\n    kind: borg\n  b:\n    host: x\n    host: y\n';
    const f = run(text);
    expect(f.map((x) => text.slice(x.range.start, x.range.start + 4))).toEqual(['kind', 'host']);
  });

  it('independent structural errors in two sections stay two', () => {
    const text = 'hosts:\n  a: { address: x\nstorage:\n  s: [1, 2\njobs: {}\n';
    const f = run(text);
    expect(f.map((x) => text.slice(x.range.start, x.range.start + 1))).toEqual(['{', '[']);
  });

  it('a bracket opened on the line where YAML gave up on another is a cause of its own', () => {
    const text = 'version: 1\njobs:\n  a: [1, 2\n  b: {\n';
    const f = run(text);
    expect(f.map((x) => x.range.start)).toEqual([text.indexOf('['), text.indexOf('{')]);
  });

  it(`never more than ${MAX_SYNTAX_FINDINGS} findings; the last one counts the rest`, () => {
    const text = 'jobs:\n' + Array.from({ length: 300 }, (_, i) => `  j${i}:\n    kind: x\n    kind: y\n`).join('');
    const f = run(text);
    expect(f).toHaveLength(MAX_SYNTAX_FINDINGS);
    expect(f.at(-1)!.message).toBe('201 more YAML errors from here on are not listed: fix the ones above first');
  });

  it('a valid plan still has no syntax finding', () => {
    expect(run(big)).toEqual([]);
  });
});
