// The language server passes the restores measured in the state directory (setting
// `backplan.stateDir`) to rto-exceeded, as `backplan check --state-dir` does: a real backup and
// `backplan restore` of an archive job measure a restore within its rto (no finding); a journal
// of a restore that took 1.5 h against an rto of 1h makes the warning; an empty state directory
// leaves "RTO never measured" as information.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { backplan } from '../helpers/cli';
import { LspClient } from './harness';

const work = mkdtempSync(join(tmpdir(), 'bp-lsp-rto-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const plan = (rto: string) => `version: 1
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
    rto: ${rto}
    retention: { keep: { last: 3 } }
checks: { coverage-3-2-1: off, no-restore-test: off }
`;

type Diag = { code?: unknown; severity?: number; message: string };
const rtoFinding = (ds: Diag[]) => ds.find((d) => d.code === 'rto-exceeded');

describe('measured restores from the state directory', () => {
  it('a real restore within the rto: no finding; a slower journalled one: a warning; none: information', async () => {
    mkdirSync(join(work, 'data'));
    writeFileSync(join(work, 'data', 'a.txt'), 'alpha\n');
    const file = join(work, 'plan.backplan.yaml');
    writeFileSync(file, plan('1h'));
    const state = join(work, 'state');
    expect(backplan(['run', file, '--state-dir', state]).code).toBe(0);
    const r = backplan(['restore', file, '--job', 'docs', '--to', join(work, 'restored'), '--state-dir', state]);
    expect(r.code, r.stdout + r.stderr).toBe(0);

    // Another state directory whose only journal is a restore of docs that took 5400 s.
    const slow = join(work, 'slow');
    mkdirSync(join(slow, 'runs'), { recursive: true });
    const t = '2026-02-01T03:00:00.000Z';
    const lines = [
      { t, run: 'r1', type: 'run-start', command: 'restore', plan: file, jobs: ['docs'], pid: 1, host: 'x' },
      {
        t,
        run: 'r1',
        type: 'step-end',
        job: 'docs',
        step: 'docs/restore',
        status: 'ok',
        ms: 5_400_000,
        detail: { durationSeconds: 5400 },
      },
    ];
    writeFileSync(join(slow, 'runs', 'r1.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');

    const client = await LspClient.start({ initializationOptions: { settings: { stateDir: state } } });
    try {
      const uri = pathToFileURL(file).href;
      await client.open(uri, plan('1h'));
      // The restore just measured took well under an hour: nothing to say.
      expect(rtoFinding((await client.diagnosticsFor(uri, 1)) as Diag[])).toBeUndefined();

      await client.conn.sendNotification('workspace/didChangeConfiguration', {
        settings: { backplan: { stateDir: slow } },
      });
      const warning = await client.until(
        () => {
          const f = rtoFinding((client.diagnostics.get(uri)?.diagnostics ?? []) as Diag[]);

          return f?.severity === 2 ? f : undefined;
        },
        15_000,
        'the rto-exceeded warning',
      );
      expect(warning.message).toMatch(
        /the last measured restore of 'docs' \(backplan restore, 2026-02-01\) took 1 h 30 min/,
      );

      await client.conn.sendNotification('workspace/didChangeConfiguration', {
        settings: { backplan: { stateDir: join(work, 'empty') } },
      });
      const info = await client.until(
        () => {
          const f = rtoFinding((client.diagnostics.get(uri)?.diagnostics ?? []) as Diag[]);
          return f?.severity === 3 ? f : undefined;
        },
        15_000,
        'the information',
      );
      expect(info.message).toMatch(/never measured/i);
    } finally {
      await client.stop();
    }
  }, 60_000);
});
