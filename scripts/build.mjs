// Bundles the faces with esbuild: dist/cli.js (the `backplan` command), dist/server.js (the
// language server) and dist/extension.js; then wraps the CLI in its code-cache loader.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, chmodSync, rmSync, statSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: false,
  // Minified: a third less for Node to compile at every start of the CLI (users never see
  // stack traces; BACKPLAN_DEBUG=1 shows messages, --no-minify keeps names for debugging).
  minify: !process.argv.includes('--no-minify'),
  keepNames: true,
  define: { __BACKPLAN_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  legalComments: 'none',
};

// --outdir=DIR: somewhere other than dist/ (a benchmark's own build while tests rebuild dist/).
const outdir = process.argv.find((a) => a.startsWith('--outdir='))?.slice('--outdir='.length) ?? 'dist';
const entries = [
  // cli/index.ts carries its own shebang, which esbuild keeps.
  { in: 'cli/index.ts', out: 'cli.js' },
  { in: 'server/index.ts', out: 'server.js' },
  { in: 'client/extension.ts', out: 'extension.js', external: ['vscode'] },
];

for (const e of entries) {
  if (!existsSync(e.in)) continue;
  await build({ ...common, entryPoints: [e.in], outfile: `${outdir}/${e.out}`, external: e.external ?? [] });
  asciiOnly(`${outdir}/${e.out}`);
}
chmodSync(`${outdir}/cli.js`, 0o755);
if (!process.argv.includes('--no-code-cache')) wrapWithCodeCache(`${outdir}/cli.js`);

/**
 * esbuild leaves non-ASCII characters in regular expression literals (an em dash in
 * engine/checks/shared/accept.ts); one is enough to make Node read the whole file as a two-byte
 * string, which V8 then scans at twice the size. \\uXXXX means the same in a regex, a string or a
 * name.
 */
function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  if (!/[^\0-\x7f]/.test(text)) return;
  const escaped = text.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  writeFileSync(file, escaped, { mode: statSync(file).mode });
}

/**
 * Compiling the bundle was 60 of the 200 ms CPU of a cold `backplan check`. The bundle goes below a small
 * loader (scripts/cli-loader.cjs), as line comments, and V8's code cache of it, made here after
 * warm-up runs of `--help` and `check` (so the functions they call are in it), goes beside it.
 * The cache is made once per build, never at run time; the id ties it to this very bundle.
 */
function wrapWithCodeCache(file) {
  const bundle = readFileSync(file, 'utf8').replace(/^#!.*\n/, '');
  // A line comment ends at any JS line terminator: only \n may be in the bundle.
  if (/[\r\u2028\u2029]/.test(bundle)) throw new Error(`${file}: a line terminator other than \\n`);
  const id = `backplan-${pkg.version}-${createHash('sha256').update(bundle).digest('hex').slice(0, 16)}`;
  const loader = readFileSync('scripts/cli-loader.cjs', 'utf8').replace('@BUNDLE_ID@', id);
  rmSync(`${file}.cache`, { force: true });
  writeFileSync(file, `${loader}//${id}\n//${bundle.replace(/\n/g, '\n//')}\n`);
  const warmUp = [['--help'], ['check', 'examples/local.backplan.yaml']];
  try {
    execFileSync(process.execPath, ['scripts/code-cache.cjs', file, ...warmUp.map((a) => JSON.stringify(a))],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, NO_COLOR: '1' } });
  } catch {
    // e.g. another build rewrote the file meanwhile: the CLI works without a cache, only slower
  }
  if (!existsSync(`${file}.cache`)) console.warn(`${file}: no code cache made; the CLI compiles from source`);
}
