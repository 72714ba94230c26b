// The language server reads the restore tests that `backplan verify` journalled in the state
// directory (setting `backplan.stateDir`), as `backplan check --state-dir` does: a real run and
// verify of a built-in archive job, then the editor's no-restore-test finding for that plan
// turns from a warning into information; pointed at an empty state directory, back to a warning.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backplan } from '../helpers/cli';
import { LspClient } from './harness';

const work = mkdtempSync(join(tmpdir(), 'bp-lsp-verify-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const PLAN = `version: 1
hosts:
  here: { site: home }
storage:
  disk: { host: here, media: ssd, path: ./out }
jobs:
  docs:
    kind: archive
    host: here
    paths: [./data]
    to: disk
    schedule: "0 3 * * *"
    retention: { keep: { last: 3 } }
checks: { coverage-3-2-1: off }
`;

describe('restore tests from the state directory', () => {
  it('a passed backplan verify makes no-restore-test information; another state directory makes it a warning again', async () => {
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    const plan = join(work, 'plan.backplan.yaml');
    writeFileSync(plan, PLAN);
    const state = join(work, 'state');
    expect(backplan(['run', plan, '--state-dir', state]).code).toBe(0);
    const v = backplan(['verify', plan, '--job', 'docs', '--state-dir', state]);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    const client = await LspClient.start({ initializationOptions: { settings: { stateDir: state } } });
    try {
      const uri = pathToFileURL(plan).href;
      await client.open(uri, PLAN);
      const finding = (ds: { code?: unknown }[]) => ds.find((d) => d.code === 'no-restore-test') as { severity?: number; message: string } | undefined;
      const withHistory = finding(await client.diagnosticsFor(uri, 1));
      expect(withHistory?.severity).toBe(3);
      expect(withHistory?.message).toMatch(/a restore test of 'docs' passed on \d{4}-\d{2}-\d{2} \(backplan verify\), but nothing repeats it/);

      // A state directory without journals: nothing is known, the warning is back.
      await client.conn.sendNotification('workspace/didChangeConfiguration', { settings: { backplan: { stateDir: join(work, 'empty') } } });
      const warning = await client.until(() => {
        const f = finding(client.diagnostics.get(uri)?.diagnostics ?? []);
        return f?.severity === 2 ? f : undefined;
      }, 15_000, 'the warning');
      expect(warning.message).toContain('nothing tests that its copies can be restored');
    } finally {
      await client.stop();
    }
  }, 60_000);
});
