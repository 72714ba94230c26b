// Shared helpers of the benchmarks: bundle a TypeScript entry with esbuild into a temp file and
// import it, time a function, and summarise samples.
import { build } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export async function importTs(entry) {
  const out = join(mkdtempSync(join(tmpdir(), 'backplan-bench-')), 'bundle.mjs');
  await build({ entryPoints: [join(ROOT, entry)], bundle: true, platform: 'node', format: 'esm', outfile: out, logLevel: 'error',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
  return import(pathToFileURL(out).href);
}

export function stats(samples) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), min: s[0], max: s[s.length - 1] };
}

export function fmt(ms) {
  return ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : ms < 1000 ? `${ms.toFixed(2)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/**
 * The tree of incompressible files the run and restore benchmarks back up: FILES files of random
 * bytes, MB in all (sizes ±50 % around the mean so it looks like a real tree), made once into
 * bench/.cache/. Returns its path and its size in bytes.
 */
export function incompressibleTree(mb, files) {
  const tree = join(ROOT, 'bench', '.cache', `restic-tree-${mb}m-${files}`);
  if (!existsSync(join(tree, '.complete'))) {
    const each = Math.floor((mb << 20) / files);
    rmSync(tree, { recursive: true, force: true });
    for (let i = 0; i < files; i++) {
      const d = join(tree, `d${String(i % 10)}`);
      mkdirSync(d, { recursive: true });
      const size = Math.floor(each * (0.5 + ((i * 7919) % 101) / 100));
      writeFileSync(join(d, `f${String(i).padStart(4, '0')}.bin`), randomBytes(size));
    }
    writeFileSync(join(tree, '.complete'), '');
  }
  const bytes = readdirSync(tree)
    .filter((d) => d !== '.complete')
    .flatMap((d) => readdirSync(join(tree, d)).map((f) => statSync(join(tree, d, f)).size))
    .reduce((a, b) => a + b, 0);
  return { tree, bytes };
}
