// Small conventions of the editor face, at the protocol level: diagnostic messages are plain
// text (VS Code shows backticks as they are, so names are quoted 'name'; the CLI keeps its own
// style), and path-missing runs for a saved plan whose job reads a missing local path, not for an
// unsaved one.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver/node';
import { backplan, ROOT } from '../helpers/cli';
import { LspClient, readRepo, RICH_CAPABILITIES } from './harness';

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-11-22T00:00:00Z' }, capabilities: RICH_CAPABILITIES });
}, 120_000);
afterAll(async () => {
  await client?.stop();
});

const messages = (ds: Diagnostic[]) => ds.flatMap((d) => [d.message, ...(d.relatedInformation ?? []).map((r) => r.message)]);

describe('diagnostic messages', () => {
  const plans = [
    ...readdirSync(join(ROOT, 'examples')).filter((f) => f.endsWith('.yaml')).map((f) => `examples/${f}`),
    'test/e2e/fixtures/broken.backplan.yaml',
    'test/lsp/golden/unknown-reference.yaml',
    'test/lsp/golden/schema-unknown-key.yaml',
  ];

  it.each(plans)('%s: no backtick, names in quotes', async (path) => {
    const uri = `untitled:/conventions-${path.replace(/\W+/g, '-')}.backplan.yaml`;
    await client.open(uri, readRepo(path));
    const ds = await client.diagnosticsFor(uri, 1);
    for (const m of messages(ds)) expect(m).not.toContain('`');
  });

  it("quotes names as 'name' where the engine (and the CLI) writes `name`", async () => {
    const path = 'test/lsp/golden/unknown-reference.yaml';
    const uri = 'untitled:/conventions-quotes.backplan.yaml';
    await client.open(uri, readRepo(path));
    const d = (await client.diagnosticsFor(uri, 1)).find((x) => x.code === 'unknown-reference')!;
    expect(d.message).toBe("unknown host 'scyla': did you mean 'scylla'?");
    const cli = JSON.parse(backplan(['check', join(ROOT, path), '--format', 'json']).stdout) as { files: { diagnostics: { rule: string; message: string }[] }[] };
    expect(cli.files[0].diagnostics.find((x) => x.rule === 'unknown-reference')!.message).toBe('unknown host `scyla`: did you mean `scylla`?');
  });
});

describe('path-missing', () => {
  const text = `version: 1
hosts:
  here: {}
storage:
  out: { host: here, path: ./out }
jobs:
  docs:
    kind: archive
    host: here
    paths: [./docs, ./missing]
    to: out
`;

  it('warns at a missing path of a local job in a saved plan, relative to its folder', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'backplan-lsp-paths-'));
    writeFileSync(join(dir, 'docs'), '');
    const file = join(dir, 'p.backplan.yaml');
    writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    await client.open(uri, text);
    const ds = (await client.diagnosticsFor(uri, 1)).filter((d) => d.code === 'path-missing');
    expect(ds.map((d) => [d.range.start.line, d.range.start.character, d.severity])).toEqual([[9, 20, 2]]);
    expect(ds[0].message).toContain(`'./missing' does not exist on this machine (${join(dir, 'missing')})`);
  });

  it('is off for an unsaved plan (no folder to resolve paths against)', async () => {
    const uri = 'untitled:/conventions-unsaved.backplan.yaml';
    await client.open(uri, text);
    expect((await client.diagnosticsFor(uri, 1)).filter((d) => d.code === 'path-missing')).toEqual([]);
  });
});
