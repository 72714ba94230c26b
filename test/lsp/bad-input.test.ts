// The bad-input corpus opened in the editor, then typed into: every file gets its diagnostics
// (a yaml-syntax or schema finding where the engine reports one), every request is answered,
// and the server stays up; a plan over the size limit is refused in one diagnostic.
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli';
import { LspClient, RICH_CAPABILITIES } from './harness';

const dir = resolve(ROOT, 'test/bad-input');
const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ capabilities: RICH_CAPABILITIES, initializationOptions: { commands: ['backplan.runNow'] } });
}, 120_000);
afterAll(async () => {
  await client?.stop();
});

async function everyRequest(uri: string): Promise<void> {
  const td = { textDocument: { uri } };
  const position = { line: 3, character: 4 };
  await Promise.all([
    client.request('textDocument/hover', { ...td, position }),
    client.request('textDocument/completion', { ...td, position }),
    client.request('textDocument/definition', { ...td, position }),
    client.request('textDocument/references', { ...td, position, context: { includeDeclaration: true } }),
    client.request('textDocument/documentSymbol', td),
    client.request('textDocument/foldingRange', td),
    client.request('textDocument/codeLens', td),
    client.request('textDocument/codeAction', { ...td, range: { start: position, end: position }, context: { diagnostics: [] } }),
    client.request('textDocument/inlayHint', { ...td, range: { start: { line: 0, character: 0 }, end: { line: 100_000, character: 0 } } }),
    client.request('backplan/coverage', { uri }),
    client.request('backplan/plan', { uri }),
    client.request('backplan/simulate', { uri, horizon: '1mo' }),
  ]);
}

describe('bad input in the editor', () => {
  it.each(files)('%s: diagnostics, then every request answered, then typing into it', async (file) => {
    // what an editor holds: the bytes decoded (invalid UTF-8 becomes U+FFFD, NUL stays NUL)
    const text = readFileSync(resolve(dir, file), 'utf8');
    const uri = `untitled:/bad/${file}`;
    const t0 = Date.now();
    await client.open(uri, text);
    const diags = await client.diagnosticsFor(uri, 1, 20_000);
    expect(Date.now() - t0).toBeLessThan(10_000);
    if (text.trim() !== '') expect(diags.length).toBeGreaterThan(0);
    for (const d of diags) expect(d.source).toBe('backplan');
    await everyRequest(uri);
    // type at the start, in the middle and at the end
    const mid = Math.floor(text.length / 2);
    const pos = (o: number) => {
      const before = text.slice(0, o);
      const line = before.split(/\r\n|\r|\n/).length - 1;
      return { line, character: o - Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r')) - 1 };
    };
    await client.change(uri, 2, [{ range: { start: pos(0), end: pos(0) }, text: 'jobs:\n' }]);
    await client.change(uri, 3, [{ range: { start: pos(mid), end: pos(mid) }, text: ': [' }]);
    await client.change(uri, 4, [{ text: text + '\n  x: { kind: restic }\n' }]);
    await client.diagnosticsFor(uri, 4, 20_000);
    await everyRequest(uri);
    await client.close(uri);
    expect(client.exited).toBe(false);
  });

  it('a plan over the size limit: one diagnostic, no stall', async () => {
    const big = `version: 1\njobs:\n${'  # padding line for a plan that is far too big to be hand-written\n'.repeat(70_000)}`;
    const uri = 'untitled:/bad/huge.backplan.yaml';
    await client.open(uri, big);
    const diags = await client.diagnosticsFor(uri, 1, 30_000);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ code: 'yaml-syntax' });
    expect(diags[0].message).toMatch(/MB/);
    await everyRequest(uri);
    await client.close(uri);
  });

  it('no handler failed', () => {
    expect(client.logs.filter((l) => / failed: |uncaught|unhandled rejection/.test(l))).toEqual([]);
  });
});
