// Thousands of random edits through the real protocol: insertions of YAML pieces and junk,
// deletions, pastes of the bad-input corpus, whole-text replacements; between edits, every kind
// of request at random (even out-of-range) positions. Every request must be answered, no handler
// may fail, the server must stay up, and the server's copy of the text must stay in step with
// ours (its diagnostics for the edited document equal those of the same text opened fresh).
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic, TextDocumentContentChangeEvent } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { ROOT } from '../helpers/cli';
import { LspClient, RICH_CAPABILITIES } from './harness';

const RUNS = Number(process.env.BACKPLAN_FUZZ_RUNS ?? 24);
const EDITS_PER_RUN = 100; // RUNS × EDITS_PER_RUN edits in all (2,400 by default)
const REQUEST_EVERY = 4;

const corpusDir = resolve(ROOT, 'test/bad-input');
const corpus = readdirSync(corpusDir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(resolve(corpusDir, f), 'latin1').slice(0, 20_000));
const examples = readdirSync(resolve(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => readFileSync(resolve(ROOT, 'examples', f), 'utf8'));

const PIECES = [
  '\n', '\r\n', '\r', ' ', '  ', '\t', ':', ': ', '- ', '#', '{', '}', '[', ']', ',', '"', "'", '&a ', '*a', '<<: *a\n', '---\n', '...\n',
  'jobs:\n', '  x:\n    kind: restic\n', 'kind: zfs-snapshot', 'schedule: "0 */6 * * *"', 'schedule: "99 99 * * *"', 'retention: { keep: { daily: 7 } }',
  'tiers:\n  - { keep: all, until: 15d }\n  - { every: 1d }\n', 'until: 3m', 'expiry: 2d', 'from: ', 'after: [a, b]', 'host: ', 'to: nowhere',
  'password: hunter2', 'timezone: Mars/Base', 'autostart: true', '\u0000', '\u00e9', '\ud83d\ude00', '\ud800', '\ufeff', '%YAML 1.2\n', '!!str ', '? ',
  '|\n  text\n', '>\n  folded\n', '~', 'null', '1e999', '0x1F', '<<', 'checks: { unused: off }', '${X}',
];

type Op =
  | { t: 'insert'; at: number; text: string }
  | { t: 'delete'; at: number; len: number }
  | { t: 'paste'; at: number; file: number; len: number }
  | { t: 'replace'; file: number; example: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ t: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.constantFrom(...PIECES), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 6 })) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('paste' as const), at: fc.nat(), file: fc.nat(), len: fc.integer({ min: 1, max: 400 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('replace' as const), file: fc.nat(), example: fc.boolean() }) },
);

/** Line/character of an offset, counting \r\n, \r and \n as line ends (as LSP does). */
function positionAt(text: string, offset: number): { line: number; character: number } {
  let line = 0;
  let start = 0;
  for (let i = 0; i < offset; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || c === 13) {
      if (c === 13 && text.charCodeAt(i + 1) === 10) {
        if (i + 1 >= offset) break;
        i++;
      }
      line++;
      start = i + 1;
    }
  }
  return { line, character: offset - start };
}

/**
 * What the server receives of a string: JSON-RPC travels as UTF-8, where a lone surrogate (an
 * emoji cut in half by a paste) becomes U+FFFD. Each message is encoded on its own, so an
 * inserted piece is made well-formed before it is applied here, as it is over the wire.
 */
function asSent(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

/** An offset that does not split a \r\n pair. */
function boundary(text: string, at: number): number {
  let o = Math.min(at, text.length);
  if (o > 0 && text[o - 1] === '\r' && text[o] === '\n') o--;
  // Nor inside a surrogate pair: an editor moves by characters, and half a pair left in the
  // server's text would not be what the same text, opened fresh, travels as.
  const hi = o > 0 ? text.charCodeAt(o - 1) : 0;
  const lo = o < text.length ? text.charCodeAt(o) : 0;
  if (hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) o--;
  return o;
}

let client: LspClient;
const errors: string[] = [];

beforeAll(async () => {
  client = await LspClient.start({
    // A fixed clock: the edited and the freshly opened document are compared, and several rules
    // look at the year after "now" (a minute boundary between the two checks could change them).
    initializationOptions: { now: '2026-06-15T10:00:00Z', commands: ['backplan.runNow', 'backplan.dryRun', 'backplan.simulateRetention'], settings: { validation: { debounceMs: 20 } } },
    capabilities: RICH_CAPABILITIES,
  });
}, 120_000);

afterAll(async () => {
  await client?.stop();
});

let run = 0;

async function requests(uri: string, text: string, rnd: () => number): Promise<void> {
  const lines = text.split('\n').length;
  const pos = () => ({ line: Math.floor(rnd() * (lines + 2)), character: Math.floor(rnd() * 60) });
  const td = { textDocument: { uri } };
  const p = pos();
  const range = { start: p, end: { line: p.line + Math.floor(rnd() * 5), character: 0 } };
  const all: Promise<unknown>[] = [
    client.request('textDocument/hover', { ...td, position: pos() }),
    client.request('textDocument/completion', { ...td, position: pos() }),
    client.request('textDocument/definition', { ...td, position: pos() }),
    client.request('textDocument/references', { ...td, position: pos(), context: { includeDeclaration: true } }),
    client.request('textDocument/prepareRename', { ...td, position: pos() }),
    client.request('textDocument/documentSymbol', td),
    client.request('textDocument/foldingRange', td),
    client.request('textDocument/codeLens', td),
    client.request('textDocument/codeAction', { ...td, range, context: { diagnostics: [] } }),
    client.request('textDocument/inlayHint', { ...td, range: { start: { line: 0, character: 0 }, end: { line: lines + 1, character: 0 } } }),
  ];
  if (rnd() < 0.1) all.push(client.request('backplan/coverage', { uri }), client.request('backplan/plan', { uri }));
  if (rnd() < 0.05) all.push(client.request('backplan/simulate', { uri, horizon: '1mo' }));
  if (rnd() < 0.1) all.push(client.request('textDocument/rename', { ...td, position: pos(), newName: 'renamed' }).catch((e: { code?: number }) => {
    // an invalid or taken name is a proper answer (InvalidParams), not a failure
    if (e?.code !== -32602) throw e;
  }));
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error('a request was not answered within 20 s')), 20_000));
  await Promise.race([Promise.all(all), timeout]);
}

describe('fuzz: random edits through the protocol', () => {
  it(`${RUNS} documents × ${EDITS_PER_RUN} edits: every request answered, the server stays up and in step`, async () => {
    let totalEdits = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: EDITS_PER_RUN, maxLength: EDITS_PER_RUN }), fc.nat(examples.length - 1), fc.integer(), async (ops, start, seed) => {
        const uri = `untitled:/fuzz-${++run}.backplan.yaml`;
        let text = examples[start];
        let version = 1;
        let state = seed;
        const rnd = () => {
          state = (Math.imul(state, 1103515245) + 12345) | 0;
          return ((state >>> 8) & 0xffff) / 0x10000;
        };
        await client.open(uri, text, version);
        let mirror = TextDocument.create(uri, 'backplan', version, text);
        for (let i = 0; i < ops.length; i++) {
          const op = ops[i];
          let change: TextDocumentContentChangeEvent;
          if (op.t === 'replace') {
            text = asSent(op.example ? examples[op.file % examples.length] : corpus[op.file % corpus.length]);
            change = { text };
          } else {
            const at = boundary(text, text.length === 0 ? 0 : op.at % (text.length + 1));
            let end = at;
            let insert = '';
            if (op.t === 'insert') insert = op.text;
            else if (op.t === 'paste') {
              const src = corpus[op.file % corpus.length];
              insert = src.slice(0, op.len);
            } else end = boundary(text, Math.min(text.length, at + op.len));
            insert = asSent(insert);
            change = { range: { start: positionAt(text, at), end: positionAt(text, end) }, text: insert };
          }
          // Applied here the way the server applies it (the same TextDocument library, kept
          // across edits as the server keeps it), so that the comparison below is about the
          // server, not about how a lone \r and a \n that an edit brings together are counted.
          mirror = TextDocument.update(mirror, [change], version + 1);
          text = mirror.getText();
          await client.change(uri, ++version, [change]);
          totalEdits++;
          if (i % REQUEST_EVERY === REQUEST_EVERY - 1) await requests(uri, text, rnd);
        }
        // the server's text is ours: its diagnostics equal those of the same text opened fresh
        const edited = await client.diagnosticsFor(uri, version, 30_000);
        const fresh = `untitled:/fuzz-${run}-fresh.backplan.yaml`;
        await client.open(fresh, text, 1);
        const again = await client.diagnosticsFor(fresh, 1, 30_000);
        const strip = (ds: Diagnostic[]) => ds.map((d) => ({ code: d.code, range: d.range, message: d.message }));
        expect(strip(edited)).toEqual(strip(again));
        await client.close(uri);
        await client.close(fresh);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
    expect(totalEdits).toBeGreaterThanOrEqual(RUNS * EDITS_PER_RUN);
    expect(client.exited).toBe(false);
    // no handler failed (they answer an empty result and log "<feature> failed: ...")
    errors.push(...client.logs.filter((l) => / failed: |uncaught|unhandled rejection/.test(l)));
    expect(errors).toEqual([]);
    // and it still works
    const uri = 'untitled:/after-fuzz.backplan.yaml';
    await client.open(uri, examples[0]);
    expect(Array.isArray(await client.diagnosticsFor(uri, 1))).toBe(true);
  }, 900_000);
});
