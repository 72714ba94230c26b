// Starts a real VS Code (code-server: the VS Code workbench in a browser) with the packaged
// extension installed, and drives it with Playwright in Debian's Chromium. Recipe and pitfalls:
// ../shared/TESTING.md. Every process started here is started detached (its own process group)
// and ended by killing that group; nothing else is touched.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { hasTool, REQUIRE_INTEGRATION } from '../helpers/integration';

export const ROOT = resolve(__dirname, '../..');
export const TOOLS = process.env.BACKPLAN_TOOLS_DIR ? resolve(process.env.BACKPLAN_TOOLS_DIR) : join(ROOT, '.tools');
export const VSIX = join(ROOT, 'backplan.vsix');
export const CHROMIUM = process.env.BACKPLAN_CHROMIUM ?? '/usr/bin/chromium';
export const RESULTS = join(ROOT, 'test-results');
/** Set to prove the suite fails when the extension is not there (it must). */
export const WITHOUT_EXTENSION = process.env.BACKPLAN_E2E_WITHOUT_EXTENSION === '1';

const codeServerBin = join(TOOLS, 'node_modules', '.bin', 'code-server');

/**
 * True when code-server, Chromium and the VSIX are all there (playwright-core, which drives
 * Chromium, is a dev dependency: it downloads no browser). A missing tool
 * skips on a laptop (with the reason) and fails in CI (BACKPLAN_REQUIRE_INTEGRATION=1), as
 * requireTools() does for the integration tests.
 */
export function e2eToolsReady(): boolean {
  // code-server lives in the tools folder, not on PATH: requireTools' check sees it there.
  process.env.PATH = `${join(TOOLS, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`;
  const missing: string[] = [];
  for (const t of ['chromium', 'code-server']) if (!hasTool(t)) missing.push(t);
  if (!existsSync(CHROMIUM)) missing.push(CHROMIUM);
  if (!existsSync(VSIX)) missing.push('backplan.vsix (npm run package)');
  if (missing.length === 0) return true;
  const why = `missing ${missing.join(', ')} (run scripts/install-e2e-tools.sh, then npm run test:e2e)`;
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why}`);
  console.warn(`skipping the real-VS-Code tests: ${why}`);
  return false;
}

export type { Browser, Page };

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

export interface Workbench {
  url: string;
  /** The temp folder holding everything of this instance (workspace, user data, extensions). */
  dir: string;
  workspace: string;
  stop(): Promise<void>;
  log(): string;
}

export interface WorkbenchOptions {
  /** Files to put into the workspace: [source, name in the workspace]. */
  files: [string, string][];
  /** false: omit --disable-workspace-trust, so the workspace opens in Restricted Mode. */
  trusted: boolean;
  /** Extra user settings. */
  settings?: Record<string, unknown>;
}

/** A fresh code-server with its own user data, extensions, XDG folders and workspace. */
export async function startWorkbench(opts: WorkbenchOptions): Promise<Workbench> {
  const dir = mkdtempSync(join(tmpdir(), 'backplan-e2e-'));
  const workspace = join(dir, 'ws');
  const userData = join(dir, 'user-data');
  const extensions = join(dir, 'extensions');
  for (const d of [workspace, join(userData, 'User'), extensions, join(dir, 'xdg', 'config'), join(dir, 'xdg', 'data'), join(dir, 'xdg', 'cache'), join(dir, 'xdg', 'state')]) mkdirSync(d, { recursive: true });
  for (const [src, name] of opts.files) cpSync(src, join(workspace, name));
  writeFileSync(
    join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.ignoreRecommendations': true,
        'extensions.autoCheckUpdates': false,
        'update.mode': 'none',
        'security.workspace.trust.startupPrompt': 'never',
        'security.workspace.trust.banner': 'never',
        'security.workspace.trust.emptyWindow': false,
        'window.restoreWindows': 'none',
        'files.hotExit': 'off',
        'git.enabled': false,
        'editor.hover.delay': 200,
        'editor.minimap.enabled': false,
        'workbench.colorTheme': 'Default Light Modern',
        'backplan.stateDir': join(dir, 'state'),
        ...opts.settings,
      },
      null,
      2,
    ),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, 'xdg', 'config'),
    XDG_DATA_HOME: join(dir, 'xdg', 'data'),
    XDG_CACHE_HOME: join(dir, 'xdg', 'cache'),
    XDG_STATE_HOME: join(dir, 'xdg', 'state'),
    BACKPLAN_STATE_DIR: join(dir, 'state'),
    NO_COLOR: '1',
  };
  delete env.VSCODE_IPC_HOOK_CLI;
  if (!WITHOUT_EXTENSION) {
    execFileSync(codeServerBin, ['--install-extension', VSIX, '--extensions-dir', extensions, '--user-data-dir', userData, '--force'], { env, stdio: 'pipe', timeout: 120_000 });
    const installed = readdirSync(extensions).filter((n) => n.startsWith('backplan.backplan-'));
    if (installed.length !== 1) throw new Error(`the VSIX did not install into ${extensions}: ${readdirSync(extensions).join(', ')}`);
  }
  const port = await freePort();
  const args = [
    '--bind-addr', `127.0.0.1:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--user-data-dir', userData,
    '--extensions-dir', extensions,
    ...(opts.trusted ? ['--disable-workspace-trust'] : []),
    workspace,
  ];
  let out = '';
  const child: ChildProcess = spawn(codeServerBin, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}:\n${out}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`code-server did not answer on ${url} within 60 s:\n${out}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url: `${url}/?folder=${encodeURIComponent(workspace)}`,
    dir,
    workspace,
    log: () => out,
    async stop() {
      if (child.exitCode === null && child.pid) {
        const exited = new Promise((r) => child.once('exit', r));
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, 'SIGKILL');
          } catch {
            /* gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
      if (!process.env.BACKPLAN_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Opens the workbench in a new page and waits until it is ready. */
export async function openWorkbench(browser: Browser, wb: Workbench): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(wb.url);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
  return page;
}

export async function screenshot(page: Page | undefined, name: string): Promise<string | undefined> {
  if (!page) return undefined;
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.png`);
  try {
    await page.screenshot({ path: file, fullPage: false });
    return file;
  } catch {
    return undefined;
  }
}

/** Files below `dir` whose name matches, recursively. */
export function findFiles(dir: string, match: RegExp): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const n of readdirSync(dir)) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...findFiles(p, match));
    else if (match.test(n)) out.push(p);
  }
  return out;
}
