// Bundles the faces with esbuild: dist/cli.js (the `backplan` command). The language server
// and the extension are added here when they exist.
import { build } from 'esbuild';
import { existsSync, readFileSync, chmodSync } from 'node:fs';

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

const entries = [
  // cli/index.ts carries its own shebang, which esbuild keeps.
  { in: 'cli/index.ts', out: 'dist/cli.js' },
  { in: 'server/index.ts', out: 'dist/server.js' },
  { in: 'client/extension.ts', out: 'dist/extension.js', external: ['vscode'] },
];

for (const e of entries) {
  if (!existsSync(e.in)) continue;
  await build({ ...common, entryPoints: [e.in], outfile: e.out, external: e.external ?? [] });
}
chmodSync('dist/cli.js', 0o755);
