// The bad-input corpus through the real command: never a crash, a hang or a stack trace;
// diagnostics at the right place, or one clear line and exit 2.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt, ROOT } from '../helpers/cli';

const CORPUS = join(ROOT, 'test/bad-input');

function expectNoCrash(r: { code: number; stdout: string; stderr: string; ms: number }) {
  expect([0, 1, 2]).toContain(r.code);
  expect(r.stdout + r.stderr).not.toMatch(/\n\s+at .*:\d+:\d+\)?\n|internal error|TypeError|RangeError/);
  expect(r.ms).toBeLessThan(2000 + 1500); // 2 s budget plus Node's start-up on a loaded CI core
}

function json(path: string) {
  const r = backplan(['check', '--format', 'json', path]);
  expectNoCrash(r);
  return { r, diags: r.code === 2 ? [] : (JSON.parse(r.stdout).files[0].diagnostics as { rule: string; message: string; range: { start: { line: number; character: number } } }[]) };
}

beforeAll(() => ensureBuilt());

describe('bad-input corpus', () => {
  it.each(readdirSync(CORPUS).filter((f) => f.endsWith('.yaml')))('%s: no crash, no hang', (file) => {
    expectNoCrash(backplan(['check', join(CORPUS, file)]));
  });

  it('malformed YAML: a yaml-syntax error on the broken line', () => {
    const { r, diags } = json(join(CORPUS, 'malformed.yaml'));
    expect(r.code).toBe(1);
    expect(diags[0].rule).toBe('yaml-syntax');
    expect(diags[0].range.start.line).toBeGreaterThanOrEqual(4);
  });

  it('alias bomb: one yaml-syntax error at the first alias', () => {
    const { diags } = json(join(CORPUS, 'alias-bomb.yaml'));
    expect(diags).toHaveLength(1);
    expect(diags[0].message).toMatch(/alias bomb/);
    expect(diags[0].range.start.line).toBe(2);
  });

  it('deep nesting: refused where it gets too deep', () => {
    for (const f of ['deep-nesting.yaml', 'deep-nesting-block.yaml']) {
      const { diags } = json(join(CORPUS, f));
      expect(diags[0].message).toMatch(/nesting deeper than/);
      expect(diags[0].range.start.line).toBeGreaterThan(0);
    }
  });

  it('binary and invalid UTF-8: one line, exit 2', () => {
    for (const [f, re] of [
      ['binary.yaml', /binary file/],
      ['invalid-utf8.yaml', /:3: not valid UTF-8/],
    ] as const) {
      const r = backplan(['check', join(CORPUS, f)]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('two documents: an error on the separator', () => {
    const { diags } = json(join(CORPUS, 'two-documents.yaml'));
    expect(diags.map((d) => d.rule)).toEqual(['yaml-syntax']);
    expect(diags[0].range.start).toEqual({ line: 2, character: 0 });
  });

  it('a 10 MB plan: one line, exit 2, fast', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backplan-big-'));
    const file = join(dir, 'big.backplan.yaml');
    const job = (i: number) => `  job-${i}:\n    kind: archive\n    paths: [/srv/data/${i}]\n    schedule: "0 3 * * *"\n`;
    let text = 'version: 1\njobs:\n';
    for (let i = 0; text.length < 10 * 1024 * 1024; i++) text += job(i);
    writeFileSync(file, text);
    const r = backplan(['check', file]);
    expectNoCrash(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/MB/);
  });

  it('missing file and a directory: one line, exit 2', () => {
    expect(backplan(['check', join(CORPUS, 'nope.yaml')]).stderr).toMatch(/no such file/);
    expect(backplan(['check', CORPUS]).code).toBe(2);
  });
});
