// Runs test/electron/suite.ts in a desktop VS Code that @vscode/test-electron downloads (this
// needs a machine that can download VS Code; CI here cannot, and runs test/e2e instead).
//   npm run build && node test/electron/run.mjs [VSCODE_VERSION]
// Two launches: a trusted workspace (every scenario), then an untrusted one (the run refused).
// The extension is loaded from this folder (--extensionDevelopmentPath), other extensions off.
import { build } from 'esbuild';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTests } from '@vscode/test-electron';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const version = process.argv[2] ?? process.env.BACKPLAN_VSCODE_VERSION ?? 'stable';
const work = mkdtempSync(join(tmpdir(), 'backplan-electron-'));
let failed = 0;
try {
  const suite = join(work, 'suite.js');
  await build({ entryPoints: [join(ROOT, 'test/electron/suite.ts')], outfile: suite, bundle: true, platform: 'node', format: 'cjs', target: 'node20', external: ['vscode'], logLevel: 'warning' });
  for (const mode of ['trusted', 'untrusted']) {
    const dir = join(work, mode);
    const ws = join(dir, 'ws');
    const userData = join(dir, 'user-data');
    mkdirSync(ws, { recursive: true });
    mkdirSync(join(userData, 'User'), { recursive: true });
    for (const n of readdirSync(join(ROOT, 'examples'))) if (/\.backplan\.ya?ml$/.test(n)) cpSync(join(ROOT, 'examples', n), join(ws, n));
    cpSync(join(ROOT, 'test/e2e/fixtures/broken.backplan.yaml'), join(ws, 'broken.backplan.yaml'));
    writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
      'security.workspace.trust.startupPrompt': 'never',
      'security.workspace.trust.enabled': true,
      'workbench.startupEditor': 'none',
      'backplan.stateDir': join(dir, 'state'),
    }));
    console.log(`VS Code ${version}, ${mode} workspace`);
    try {
      await runTests({
        version,
        extensionDevelopmentPath: ROOT,
        extensionTestsPath: suite,
        extensionTestsEnv: { BACKPLAN_ELECTRON_MODE: mode, BACKPLAN_ELECTRON_CLI: join(ROOT, 'dist/cli.js'), BACKPLAN_STATE_DIR: join(dir, 'state') },
        launchArgs: [ws, '--disable-extensions', '--user-data-dir', userData, '--skip-welcome', '--skip-release-notes', ...(mode === 'trusted' ? ['--disable-workspace-trust'] : [])],
      });
    } catch (e) {
      failed++;
      console.error(`${mode}: ${e?.message ?? e}`);
    }
  }
} finally {
  if (!process.env.BACKPLAN_E2E_KEEP) rmSync(work, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
