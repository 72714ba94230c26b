// Writes docs/reference/*.md from the schema and the rule table (scripts/docs/reference.ts,
// bundled here with esbuild since Node does not run TypeScript). Run after changing the schema,
// a rule's summary or engine/checks/docs.ts: `node scripts/gen-docs.mjs`; a unit test fails
// while the committed pages are out of date.
import { build } from 'esbuild';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = await build({
  entryPoints: [join(root, 'scripts/docs/reference.ts')],
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  logLevel: 'warning',
});
const mod = { exports: {} };
new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, createRequire(import.meta.url));
const { referenceFiles, REFERENCE_DIR } = mod.exports;

const dir = join(root, REFERENCE_DIR);
const files = referenceFiles();
// pages of rules or sections that no longer exist go
const walk = (d) =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
mkdirSync(dir, { recursive: true });
for (const f of walk(dir)) if (f.endsWith('.md') && !(relative(dir, f) in files)) rmSync(f);
for (const [name, text] of Object.entries(files)) {
  mkdirSync(dirname(join(dir, name)), { recursive: true });
  writeFileSync(join(dir, name), text);
}
console.log(`${Object.keys(files).length} pages in ${REFERENCE_DIR}`);
