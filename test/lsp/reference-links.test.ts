// Each diagnostic's code links to its rule's reference page (LSP codeDescription.href): for a
// client that declares backplan.showReference (the VS Code extension) the command's URI, whose
// argument names a page of docs/reference that exists; for a client that does not show code
// links (no codeDescriptionSupport), no link at all.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientCapabilities } from 'vscode-languageserver/node';
import { REFERENCE_COMMAND } from '../../server/protocol';
import { referenceHref } from '../../server/reference';
import { ROOT } from '../helpers/cli';
import { LspClient, readRepo, RICH_CAPABILITIES } from './harness';

const LINKS: ClientCapabilities = {
  ...RICH_CAPABILITIES,
  textDocument: {
    ...RICH_CAPABILITIES.textDocument,
    publishDiagnostics: { ...RICH_CAPABILITIES.textDocument?.publishDiagnostics, codeDescriptionSupport: true },
  },
};

let vscodeLike: LspClient;
let plain: LspClient;
beforeAll(async () => {
  [vscodeLike, plain] = await Promise.all([
    LspClient.start({ initializationOptions: { commands: [REFERENCE_COMMAND] }, capabilities: LINKS }),
    LspClient.start({ capabilities: RICH_CAPABILITIES }),
  ]);
}, 120_000);
afterAll(async () => {
  await Promise.all([vscodeLike?.stop(), plain?.stop()]);
});

const PLAN = readRepo('test/lsp/golden/unknown-reference.yaml');

describe('reference links of diagnostics', () => {
  it('every diagnostic links its code to the rule page, which exists in docs/reference', async () => {
    const uri = 'untitled:/reference-links.backplan.yaml';
    await vscodeLike.open(uri, PLAN);
    const ds = await vscodeLike.diagnosticsFor(uri, 1);
    expect(ds.map((d) => d.code)).toContain('unknown-reference');
    for (const d of ds) {
      const href = d.codeDescription?.href ?? '';
      const m = /^command:backplan\.showReference\?(.+)$/.exec(href);
      expect(m, `${String(d.code)}: ${href}`).not.toBeNull();
      expect(JSON.parse(decodeURIComponent(m![1]))).toEqual([d.code]);
      expect(existsSync(join(ROOT, 'docs/reference/rules', `${String(d.code)}.md`)), String(d.code)).toBe(true);
    }
  });

  it('sends no link to a client that does not show them', async () => {
    const uri = 'untitled:/reference-links-plain.backplan.yaml';
    await plain.open(uri, PLAN);
    const ds = await plain.diagnosticsFor(uri, 1);
    expect(ds.length).toBeGreaterThan(0);
    for (const d of ds) expect(d.codeDescription).toBeUndefined();
  });

  it('gives a client without the command the file of the page, when the docs sit beside the server', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backplan-ref-'));
    try {
      mkdirSync(join(dir, 'rules'));
      writeFileSync(join(dir, 'rules', 'expiry-gap.md'), '# expiry-gap\n');
      const href = referenceHref(new Set(), dir);
      expect(fileURLToPath(href('expiry-gap')!)).toBe(join(dir, 'rules', 'expiry-gap.md'));
      expect(href('no-such-rule')).toBeUndefined();
      const viaCommand = referenceHref(new Set([REFERENCE_COMMAND]), dir);
      expect(viaCommand('a-b')).toBe('command:backplan.showReference?%5B%22a-b%22%5D');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
