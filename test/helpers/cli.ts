// Runs the built `backplan` command (dist/cli.js) as a user would, building it once per run.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

// Bundled as ESM by bench/lib.mjs importTs (the kill campaign), where __dirname does not exist:
// the benches run from the repository's root.
export const ROOT = typeof __dirname === 'string' ? resolve(__dirname, '../..') : process.cwd();
export const CLI = resolve(ROOT, 'dist/cli.js');

let built = false;
/**
 * dist/ is built once per test run by vitest's globalSetup (test/helpers/build-once.ts); a test
 * file run outside vitest's config (or a missing bundle) builds it here.
 */
export function ensureBuilt(): void {
  if (built) return;
  if (!existsSync(CLI)) execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'inherit' });
  built = statSync(CLI).isFile();
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export function backplan(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): CliResult {
  ensureBuilt();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
}
