// Document and range formatting at the protocol level: the built server over stdio.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TextEdit } from 'vscode-languageserver/node';
import { parsePlan } from '../../engine/plan/parse';
import { applyEdits, LspClient, positionOf, readRepo, uriOf } from './harness';

let client: LspClient;

beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-03-28T12:00:00Z' } });
}, 120_000);

afterAll(async () => {
  await client?.stop();
});

const TEXT = [
  '# the plan',
  'version: 1',
  'hosts:',
  '    web:   {address: web.lan,site: office}     # the web server',
  'storage:',
  '    nas: {host: web, media: hdd}',
  'jobs:',
  '    nightly:',
  '        kind: restic',
  '        host: web',
  '        paths: [/srv]',
  '        to: nas',
  '        password_env: RESTIC_PASSWORD',
  '        schedule:   "0 3 * * *"',
  '        retention: {keep: {last: 3}}',
  '',
].join('\n');

let n = 0;
async function open(text: string): Promise<string> {
  const uri = `untitled:/fmt-${++n}.backplan.yaml`;
  await client.open(uri, text);
  await client.diagnosticsFor(uri, 1);
  return uri;
}

const format = (uri: string, tabSize = 2) => client.request<TextEdit[] | null>('textDocument/formatting', { textDocument: { uri }, options: { tabSize, insertSpaces: true } });

describe('formatting', () => {
  it('declares document and range formatting', () => {
    const caps = client.initializeResult.capabilities;
    expect(caps.documentFormattingProvider).toBe(true);
    expect(caps.documentRangeFormattingProvider).toBe(true);
  });

  it('formats the document: 2 spaces, flow maps normalised, comments, quotes and key order kept', async () => {
    const uri = await open(TEXT);
    const edits = (await format(uri)) ?? [];
    const out = applyEdits(TEXT, edits);
    expect(out).toBe(
      [
        '# the plan',
        'version: 1',
        'hosts:',
        '  web: { address: web.lan, site: office } # the web server',
        'storage:',
        '  nas: { host: web, media: hdd }',
        'jobs:',
        '  nightly:',
        '    kind: restic',
        '    host: web',
        '    paths: [ /srv ]',
        '    to: nas',
        '    password_env: RESTIC_PASSWORD',
        '    schedule: "0 3 * * *"',
        '    retention: { keep: { last: 3 } }',
        '',
      ].join('\n'),
    );
    expect(parsePlan(out).value).toEqual(parsePlan(TEXT).value);
    // one edit per top-level entry that changed; `version: 1` and the header are left alone
    expect(edits.map((e) => e.range.start.line)).toEqual([2, 4, 6]);
    // formatted already: nothing to do
    const again = await open(out);
    expect(await format(again)).toEqual([]);
  });

  it('honours tabSize 4, and uses 2 for any other size', async () => {
    const uri = await open(TEXT);
    const four = applyEdits(TEXT, (await format(uri, 4)) ?? []);
    expect(four).toContain('\n    web: { address: web.lan, site: office } # the web server\n');
    expect(four).toContain('\n        schedule: "0 3 * * *"\n');
    const eight = applyEdits(TEXT, (await format(uri, 8)) ?? []);
    expect(eight).toContain('\n  web: { address: web.lan, site: office }');
  });

  it('range formatting: only the top-level entries the range touches', async () => {
    const uri = await open(TEXT);
    const at = positionOf(TEXT, 'nas: {host');
    const edits = (await client.request<TextEdit[] | null>('textDocument/rangeFormatting', {
      textDocument: { uri },
      range: { start: at, end: { line: at.line, character: at.character + 3 } },
      options: { tabSize: 2, insertSpaces: true },
    })) ?? [];
    expect(edits).toHaveLength(1);
    const out = applyEdits(TEXT, edits);
    expect(out).toContain('storage:\n  nas: { host: web, media: hdd }\njobs:\n    nightly:\n');
    expect(out).toContain('    web:   {address: web.lan,site: office}     # the web server\n');
  });

  it('does not format a document with YAML syntax errors', async () => {
    const broken = 'version: 1\njobs:\n    a: [1, 2\n';
    const uri = await open(broken);
    expect(await format(uri)).toEqual([]);
    const edits = await client.request<TextEdit[] | null>('textDocument/rangeFormatting', {
      textDocument: { uri },
      range: { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } },
      options: { tabSize: 2, insertSpaces: true },
    });
    expect(edits).toEqual([]);
  });

  it('formats an example plan into the same plan', async () => {
    const path = 'examples/zfs-proxmox.backplan.yaml';
    const text = readRepo(path);
    const uri = uriOf(path);
    await client.open(uri, text);
    const edits = (await format(uri)) ?? [];
    expect(edits.length).toBeGreaterThan(0);
    expect(parsePlan(applyEdits(text, edits)).value).toEqual(parsePlan(text).value);
  });
});
