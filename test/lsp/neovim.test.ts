// Neovim 0.7 as a second LSP client (test/lsp/neovim/check.lua): with nothing but
// vim.lsp.start_client, diagnostics and a hover arrive for an example plan.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { positionOf, readRepo, serverBundle } from './harness';

const haveNvim = requireTools('nvim');
const PLAN = 'examples/zfs-proxmox.backplan.yaml';

interface NvimResult {
  diagnostics_arrived: boolean;
  diagnostics: { lnum: number; col: number; end_lnum: number; end_col: number; severity: number; source: string; code: string; message: string }[];
  hover: string | null;
  hover_error?: unknown;
}

describe.skipIf(!haveNvim)('Neovim 0.7 as an LSP client', () => {
  const dir = mkdtempSync(join(tmpdir(), 'backplan-nvim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('shows the diagnostics of an example plan and hovers a schedule', () => {
    const text = readRepo(PLAN);
    const at = positionOf(text, '"0 */6 * * *"', 3);
    const out = join(dir, 'result.json');
    const r = spawnSync('nvim', ['--headless', '--clean', '-i', 'NONE', '-n', '-c', `luafile ${resolve(ROOT, 'test/lsp/neovim/check.lua')}`], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      killSignal: 'SIGKILL',
      env: {
        ...process.env,
        XDG_CONFIG_HOME: join(dir, 'config'),
        XDG_DATA_HOME: join(dir, 'data'),
        XDG_STATE_HOME: join(dir, 'state'),
        XDG_CACHE_HOME: join(dir, 'cache'),
        BACKPLAN_SERVER: serverBundle(),
        BACKPLAN_PLAN: resolve(ROOT, PLAN),
        BACKPLAN_LINE: String(at.line),
        BACKPLAN_CHAR: String(at.character),
        BACKPLAN_OUT: out,
      },
    });
    expect(r.status, `nvim exited with ${r.status}\n${r.stdout}\n${r.stderr}`).toBe(0);
    const result = JSON.parse(readFileSync(out, 'utf8')) as NvimResult;
    expect(result.diagnostics_arrived).toBe(true);
    // the offsite-unencrypted finding of vm-replica, exactly where `backplan check` puts it:
    // accepted in the example (`# backplan: accept`), so shown as information, not a warning
    const to = positionOf(text, 'to: charybde-pool', 4);
    const offsite = result.diagnostics.find((d) => d.code === 'offsite-unencrypted');
    expect(offsite).toMatchObject({ lnum: to.line, col: to.character, end_lnum: to.line, end_col: to.character + 'charybde-pool'.length, source: 'backplan', severity: 3 });
    expect(result.diagnostics.filter((d) => d.code === 'coverage-3-2-1').length).toBeGreaterThan(0);
    for (const d of result.diagnostics) expect(d.source).toBe('backplan');
    expect(result.hover).toContain('At 0 minutes past the hour, every 6 hours');
    expect(result.hover).toContain('| Europe/Paris | UTC |');
  });
});
