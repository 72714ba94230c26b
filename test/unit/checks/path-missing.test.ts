import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/path-missing';

const dir = mkdtempSync(join(tmpdir(), 'backplan-path-missing-'));
mkdirSync(join(dir, 'data'));
const plan = (host: string, paths: string) => `version: 1
hosts:
  here: {}
  loop: { address: 127.0.0.1 }
  far: { address: 192.0.2.10 }
storage:
  s: { host: here, path: ./out }
jobs:
  j:
    kind: archive
    ${host}
    paths: ${paths}
    to: s
`;
const run = (text: string, baseDir: string | null = dir) => checkText(text, { rules: [rule], ...(baseDir !== null ? { baseDir } : {}) }).findings;
const slice = (text: string, r: { start: number; end: number }) => text.slice(r.start, r.end);

describe('path-missing', () => {
  it('warns on each path of a local job that does not exist, at the path, relative ones from the plan folder', () => {
    const text = plan('host: here', '[./data, ./gone, /nonexistent/backplan-test]');
    const f = run(text);
    expect(f.map((x) => slice(text, x.range))).toEqual(['./gone', '/nonexistent/backplan-test']);
    expect(f.every((x) => x.severity === 'warning')).toBe(true);
    expect(f[0].message).toBe(`\`./gone\` does not exist on this machine (${join(dir, 'gone')}): job \`j\` would have nothing to read there. Create it, or fix the path (relative paths are read from the plan's folder)`);
  });

  it('a job without host and one on a loopback address are local too', () => {
    expect(run(plan('kind2: x', '[./gone]').replace('    kind2: x\n', ''))).toHaveLength(1);
    expect(run(plan('host: loop', '[./gone]'))).toHaveLength(1);
  });

  it('only for local hosts, only with a plan file, not for globs, ~ or disabled jobs', () => {
    expect(run(plan('host: far', '[/nonexistent/x]')).map((x) => x.message)).toEqual([]);
    expect(run(plan('host: here', '[./gone]'), null).map((x) => x.message)).toEqual([]);
    expect(run(plan('host: here', '["./g*", "~/gone"]')).map((x) => x.message)).toEqual([]);
    expect(run(plan('host: here\n    enabled: false', '[./gone]')).map((x) => x.message)).toEqual([]);
    expect(run(plan('host: here', '[./data]')).map((x) => x.message)).toEqual([]);
  });
});
