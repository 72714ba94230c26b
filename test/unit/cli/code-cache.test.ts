// dist/cli.js compiles its bundle with the V8 code cache made by the build (scripts/cli-loader.cjs):
// the cache is used when it fits, and a missing, foreign or damaged one changes nothing the user sees.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, ensureBuilt, ROOT } from '../../helpers/cli';

const ARGS = [['check', 'examples/local.backplan.yaml'], ['--help'], ['check', 'no/such/plan.yaml']];

/** Runs a copy of the CLI and says whether V8 took its code cache. */
function run(cli: string, args: string[]) {
  const script = `const vm = require('vm'); const S = vm.Script;
    vm.Script = class extends S { constructor(src, o) { super(src, o);
      const took = o && o.cachedData ? (this.cachedDataRejected ? 'rejected' : 'used') : 'none';
      process.on('exit', () => process.stderr.write('\\nCACHE ' + took)); } };
    process.argv = [process.execPath, ${JSON.stringify(cli)}, ...${JSON.stringify(args)}];
    require(${JSON.stringify(cli)});`;
  const env = { ...process.env, NO_COLOR: '1' };
  const r = spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env });
  const m = /\nCACHE (\w+)$/.exec(r.stderr);
  return { code: r.status, stdout: r.stdout, stderr: m ? r.stderr.slice(0, m.index) : r.stderr, cache: m?.[1] };
}

describe('the CLI code cache', () => {
  ensureBuilt();
  const id = /const ID = '([^']+)'/.exec(readFileSync(CLI, 'utf8'))![1];
  const foreignId = Buffer.from(id.replace(/[0-9a-f]{16}$/, '0'.repeat(16)));
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const copy = (cache?: (real: Buffer) => Buffer) => {
    const dir = mkdtempSync(join(tmpdir(), 'backplan-cache-'));
    dirs.push(dir);
    copyFileSync(CLI, join(dir, 'cli.js'));
    if (cache) writeFileSync(join(dir, 'cli.js.cache'), cache(readFileSync(`${CLI}.cache`)));
    return join(dir, 'cli.js');
  };

  it('is made by the build and taken by V8', () => {
    expect(statSync(`${CLI}.cache`).size).toBeGreaterThan(10_000);
    for (const args of ARGS) expect(run(CLI, args).cache, args.join(' ')).toBe('used');
  });

  it('missing, foreign, damaged or cut short: the same output and exit code, nothing written', () => {
    const cases = {
      missing: { cli: copy(), cache: 'none' },
      foreign: { cli: copy((real) => Buffer.concat([foreignId, real.subarray(id.length)])), cache: 'none' },
      damaged: {
        cli: copy((real) => Buffer.concat([real.subarray(0, id.length), Buffer.alloc(4096, 0x5a)])),
        cache: 'rejected',
      },
      short: { cli: copy((real) => real.subarray(0, 200)), cache: 'rejected' },
    };
    for (const args of ARGS) {
      const want = run(CLI, args);
      expect(want.code, args.join(' ')).not.toBeNull();
      for (const [name, c] of Object.entries(cases)) {
        const before = readdirSync(join(c.cli, '..')).sort();
        const got = run(c.cli, args);
        expect(got.cache, `${name}: ${args.join(' ')}`).toBe(c.cache);
        expect({ code: got.code, stdout: got.stdout, stderr: got.stderr }, `${name}: ${args.join(' ')}`)
          .toEqual({ code: want.code, stdout: want.stdout, stderr: want.stderr });
        expect(readdirSync(join(c.cli, '..')).sort()).toEqual(before);
      }
    }
  });
});
