// vitest globalSetup: build dist/ once before any test file runs. Test files that each rebuilt it
// raced: one file could spawn dist/cli.js while another was rewriting it.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

export default function setup(): void {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: resolve(__dirname, '../..'), stdio: 'inherit' });
}
