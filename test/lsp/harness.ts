// A minimal LSP client for protocol-level tests: spawns the server bundle (`node server.js
// --stdio`), speaks JSON-RPC with vscode-jsonrpc, records published diagnostics and lets a test
// wait for those of a given version. Every server a test starts is ended by stop() (kill by pid).
//
// The bundle is built from server/index.ts once per test process, with the options of
// scripts/build.mjs, into a temporary folder: test files run in parallel, and a shared
// dist/server.js being rewritten by one of them while another starts it would make tests flaky.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll } from 'vitest';
import { pathToFileURL } from 'node:url';
import {
  createMessageConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type MessageConnection,
} from 'vscode-jsonrpc/node';
import type {
  ClientCapabilities,
  Diagnostic,
  InitializeResult,
  PublishDiagnosticsParams,
  TextDocumentContentChangeEvent,
} from 'vscode-languageserver/node';
import { ROOT } from '../helpers/cli';

let bundle: string | undefined;
let bundleDir: string | undefined;

// registered in the suite of each test file that imports this module (modules are per file)
afterAll(() => {
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  bundle = bundleDir = undefined;
});

/** The server bundle of this test file (built on first use, removed after its tests). */
export function serverBundle(): string {
  if (bundle) return bundle;
  const dir = mkdtempSync(join(tmpdir(), 'backplan-lsp-'));
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { version: string };
  buildSync({
    entryPoints: [resolve(ROOT, 'server/index.ts')],
    outfile: join(dir, 'server.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    define: { __BACKPLAN_VERSION__: JSON.stringify(pkg.version) },
    logLevel: 'warning',
    legalComments: 'none',
  });
  bundleDir = dir;
  bundle = join(dir, 'server.js');
  return bundle;
}

export const uriOf = (path: string): string => pathToFileURL(resolve(ROOT, path)).href;
export const readRepo = (path: string): string => readFileSync(resolve(ROOT, path), 'utf8');

export interface StartOptions {
  initializationOptions?: Record<string, unknown>;
  capabilities?: ClientCapabilities;
}

/** Capabilities of a typical editor (VS Code-like) for the tests that need them. */
export const RICH_CAPABILITIES: ClientCapabilities = {
  textDocument: {
    completion: { completionItem: { snippetSupport: true } },
    hover: { contentFormat: ['markdown', 'plaintext'] },
    publishDiagnostics: { relatedInformation: true, versionSupport: true, tagSupport: { valueSet: [1, 2] } },
    foldingRange: { rangeLimit: 5000 },
  },
  workspace: { inlayHint: { refreshSupport: true } },
};

export class LspClient {
  readonly diagnostics = new Map<string, PublishDiagnosticsParams>();
  readonly logs: string[] = [];
  readonly notifications: { method: string; params: unknown }[] = [];
  initializeResult!: InitializeResult;
  private waiters: (() => void)[] = [];
  exited = false;
  inlayRefreshes = 0;

  private constructor(
    readonly proc: ChildProcessWithoutNullStreams,
    readonly conn: MessageConnection,
  ) {}

  static async start(opts: StartOptions = {}): Promise<LspClient> {
    const proc = spawn(process.execPath, [serverBundle(), '--stdio'], { stdio: 'pipe' });
    const conn = createMessageConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
    const client = new LspClient(proc, conn);
    proc.on('exit', () => {
      client.exited = true;
      client.wake();
    });
    proc.stderr.on('data', (d: Buffer) => client.logs.push(d.toString()));
    conn.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
      client.diagnostics.set(p.uri, p);
      client.notifications.push({ method: 'textDocument/publishDiagnostics', params: p });
      client.wake();
    });
    conn.onNotification((method: string, params: unknown) => {
      client.notifications.push({ method, params });
      if (method === 'window/logMessage') client.logs.push(String((params as { message?: string })?.message));
      client.wake();
    });
    conn.onRequest('workspace/inlayHint/refresh', () => {
      client.inlayRefreshes++;
      client.wake();
      return null;
    });
    conn.onRequest('workspace/configuration', () => [null]);
    conn.onRequest('client/registerCapability', () => null);
    conn.listen();
    client.initializeResult = await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: pathToFileURL(ROOT).href,
      capabilities: opts.capabilities ?? {},
      initializationOptions: opts.initializationOptions,
    });
    await conn.sendNotification('initialized', {});
    return client;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves when `pred` holds (checked after every message), rejects after `ms`. */
  async until<T>(pred: () => T | undefined | false, ms = 15_000, what = 'condition'): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v) return v;
      if (this.exited) throw new Error(`server exited while waiting for ${what}\n${this.logs.join('')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  async open(uri: string, text: string, version = 1, languageId = 'backplan'): Promise<void> {
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version, text } });
  }

  async change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): Promise<void> {
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: changes });
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** The diagnostics published for `uri` at `version` (waits for them). */
  async diagnosticsFor(uri: string, version?: number, ms = 15_000): Promise<Diagnostic[]> {
    const p = await this.until(() => {
      const d = this.diagnostics.get(uri);
      return d && (version === undefined || d.version === version) ? d : undefined;
    }, ms, `diagnostics of ${uri}${version !== undefined ? ` v${version}` : ''}`);
    return p.diagnostics;
  }

  request<R>(method: string, params: unknown): Promise<R> {
    return this.conn.sendRequest(method, params) as Promise<R>;
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 2000))]);
        await this.conn.sendNotification('exit');
      } catch {
        // already gone
      }
      await Promise.race([this.until(() => this.exited, 3000).catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
    }
    this.conn.dispose();
    if (!this.exited && this.proc.pid !== undefined) {
      try {
        process.kill(this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** A text with `|` marking a position: the text without it, and the position. */
export function marked(text: string, marker = '|'): { text: string; line: number; character: number } {
  const i = text.indexOf(marker);
  const before = text.slice(0, i);
  const line = before.split('\n').length - 1;
  const character = i - (before.lastIndexOf('\n') + 1);
  return { text: before + text.slice(i + marker.length), line, character };
}

/** The position of the `n`-th occurrence of `needle` (plus `delta` characters). */
export function positionOf(text: string, needle: string, delta = 0, n = 1): { line: number; character: number } {
  let i = -1;
  for (let k = 0; k < n; k++) {
    i = text.indexOf(needle, i + 1);
    if (i < 0) throw new Error(`\`${needle}\` not found`);
  }
  const before = text.slice(0, i + delta);
  return { line: before.split('\n').length - 1, character: i + delta - (before.lastIndexOf('\n') + 1) };
}

/** Apply LSP text edits (non-overlapping) to a text. */
export function applyEdits(text: string, edits: { range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }[]): string {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
  const off = (p: { line: number; character: number }) => (p.line >= starts.length ? text.length : Math.min(starts[p.line] + p.character, text.length));
  const sorted = [...edits].sort((a, b) => off(b.range.start) - off(a.range.start));
  let out = text;
  for (const e of sorted) out = out.slice(0, off(e.range.start)) + e.newText + out.slice(off(e.range.end));
  return out;
}
