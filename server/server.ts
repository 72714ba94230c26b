// The language server's wiring: capabilities, settings, the document cache, debounced
// validation, and one handler per feature. Every handler runs behind `guarded`: it yields once so
// that a cancellation sent right after the request is seen, answers a cancelled request with
// RequestCancelled, and turns any exception into a logged error and an empty answer, so no input
// can bring the server down.
import {
  CodeActionKind,
  LSPErrorCodes,
  ResponseError,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type ClientCapabilities,
  type Connection,
  type CodeAction,
  type CodeActionParams,
  type CodeLens,
  type CompletionList,
  type CompletionParams,
  type DefinitionParams,
  type DocumentFormattingParams,
  type DocumentRangeFormattingParams,
  type DocumentSymbol,
  type FoldingRange,
  type Hover,
  type HoverParams,
  type InitializeResult,
  type InlayHint,
  type InlayHintParams,
  type Location,
  type PrepareRenameParams,
  type PrepareRenameResult,
  type ReferenceParams,
  type RenameParams,
  type TextEdit,
  type WorkspaceEdit,
} from 'vscode-languageserver/node';
import { fileURLToPath } from 'node:url';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { resolveStateDir } from '../engine/run/state/dir';
import { VerifyHistoryReader } from '../engine/run/state/verify-history';
import { RestoreHistoryReader } from '../engine/recovery/measured';
import { LastSuccessReader } from '../engine/ops/status/history';
import { DocumentStore, type Analysis, type Clock } from './documents';
import { codeActions } from './features/code-actions';
import { codeLenses } from './features/code-lens';
import { completion } from './features/completion';
import { coverage } from './features/coverage';
import { definition } from './features/definition';
import type { FeatureEnv } from './features/env';
import { foldingRanges } from './features/folding';
import { formatDocument, formatRange } from './features/formatting';
import { hover } from './features/hover';
import { inlayHints } from './features/inlay-hints';
import { planRequest } from './features/plan';
import { references } from './features/references';
import { prepareRename, rename } from './features/rename';
import { simulate } from './features/simulate';
import { documentSymbols } from './features/symbols';
import { Projector } from './projections';
import {
  COVERAGE_REQUEST,
  DEFAULT_SETTINGS,
  PLAN_REQUEST,
  SIMULATE_REQUEST,
  type CoverageParams,
  type CoverageResult,
  type InitializationOptions,
  type PlanParams,
  type PlanResult,
  type Settings,
  type SettingsInput,
  type SimulateParams,
  type SimulateResult,
} from './protocol';
import { Validator } from './validation';
import { referenceHref, type ReferenceHref } from './reference';

declare const __BACKPLAN_VERSION__: string;
const VERSION = typeof __BACKPLAN_VERSION__ === 'string' ? __BACKPLAN_VERSION__ : 'dev';

export interface ServerOptions {
  /** The clock of the checks and projections (tests pin it). */
  clock?: Clock;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{'validation.debounceMs': 100}` → `{validation: {debounceMs: 100}}` (flat keys as some clients send them). */
function expandDotted(input: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(input)) {
    const parts = k.replace(/^backplan\./, '').split('.');
    let at = out;
    parts.forEach((p, i) => {
      if (i === parts.length - 1) at[p] = isObject(v) && isObject(at[p]) ? { ...(at[p] as object), ...v } : v;
      else at = (at[p] = isObject(at[p]) ? at[p] : {}) as Record<string, unknown>;
    });
  }
  return out;
}

/** Settings from a client's (possibly partial, possibly wrong) input. */
export function mergeSettings(base: Settings, input: unknown): Settings {
  if (!isObject(input)) return base;
  const i = expandDotted(input) as SettingsInput;
  const num = (v: unknown, d: number, min: number, max: number) => (typeof v === 'number' && Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : d);
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const validation = isObject(i.validation) ? i.validation : {};
  const inlay = isObject(i.inlayHints) ? i.inlayHints : {};
  return {
    validation: {
      debounceMs: num(validation.debounceMs, base.validation.debounceMs, 0, 10_000),
      budgetMs: num(validation.budgetMs, base.validation.budgetMs, 1, 60_000),
    },
    inlayHints: {
      schedules: bool(inlay.schedules, base.inlayHints.schedules),
      retention: bool(inlay.retention, base.inlayHints.retention),
    },
    stateDir: typeof i.stateDir === 'string' && !i.stateDir.includes('\0') ? i.stateDir : base.stateDir,
  };
}

/** How long journalled restore tests read for a plan are reused while it is edited (ms). */
const VERIFY_REREAD_MS = 5_000;

export function startServer(connection: Connection, options: ServerOptions = {}): void {
  const documents = new TextDocuments(TextDocument);
  let clock: Clock = options.clock ?? Date.now;
  let settings: Settings = DEFAULT_SETTINGS;
  const verifies = new VerifyHistoryReader();
  // Restore tests journalled by `backplan verify` for a plan saved on disk (SPEC §6
  // no-restore-test), read from the state directory the runs use. Every edit is checked again,
  // and a state directory holds a journal per run (thousands, in time): what was read is reused
  // for a few seconds instead of listing and stat-ing them all on each keystroke.
  let lastRead: { key: string; at: number; value: ReturnType<VerifyHistoryReader['read']> } | undefined;
  const verifiedOf = (uri: string) => {
    if (!uri.startsWith('file:')) return undefined;
    try {
      const stateDir = resolveStateDir(settings.stateDir || undefined);
      const path = fileURLToPath(uri);
      const key = `${stateDir}\0${path}`;
      const now = Date.now();
      if (lastRead?.key !== key || now - lastRead.at > VERIFY_REREAD_MS) lastRead = { key, at: now, value: verifies.read(stateDir, path) };
      return lastRead.value;
    } catch {
      return undefined;
    }
  };
  // The same for the last successes journalled by `backplan run` (SPEC §6 backup-late).
  const successes = new LastSuccessReader();
  let lastSuccessRead: { key: string; at: number; value: ReturnType<LastSuccessReader['read']> } | undefined;
  const lastSuccessOf = (uri: string) => {
    if (!uri.startsWith('file:')) return undefined;
    try {
      const stateDir = resolveStateDir(settings.stateDir || undefined);
      const path = fileURLToPath(uri);
      const key = `${stateDir}\0${path}`;
      const now = Date.now();
      if (lastSuccessRead?.key !== key || now - lastSuccessRead.at > VERIFY_REREAD_MS) lastSuccessRead = { key, at: now, value: successes.read(stateDir, path) };
      return lastSuccessRead.value;
    } catch {
      return undefined;
    }
  };
  // And the restores measured by `backplan verify` and `backplan restore` (SPEC §11 rto-exceeded).
  const measured = new RestoreHistoryReader();
  let lastRestoresRead: { key: string; at: number; value: ReturnType<RestoreHistoryReader['read']> } | undefined;
  const restoresOf = (uri: string) => {
    if (!uri.startsWith('file:')) return undefined;
    try {
      const stateDir = resolveStateDir(settings.stateDir || undefined);
      const key = `${stateDir}\0${fileURLToPath(uri)}`;
      const now = Date.now();
      if (lastRestoresRead?.key !== key || now - lastRestoresRead.at > VERIFY_REREAD_MS)
        lastRestoresRead = { key, at: now, value: measured.read(stateDir, fileURLToPath(uri)) };
      return lastRestoresRead.value;
    } catch {
      return undefined;
    }
  };
  const store = new DocumentStore(documents, () => clock(), verifiedOf, lastSuccessOf, restoresOf);
  const projector = new Projector();
  let commands = new Set<string>();
  let capabilities: ClientCapabilities = {};
  const log = (m: string) => connection.console.error(m);
  let referenceLinks: ReferenceHref = () => undefined;
  const validator = new Validator(connection, store, () => settings, log, () => referenceLinks);
  let inlayRefreshWanted = false;

  const env = (token?: CancellationToken): FeatureEnv => ({
    settings,
    commands,
    projector,
    cancelled: token ? () => token.isCancellationRequested : undefined,
  });

  connection.onInitialize((params): InitializeResult => {
    capabilities = params.capabilities ?? {};
    const init = (isObject(params.initializationOptions) ? params.initializationOptions : {}) as InitializationOptions & { now?: unknown };
    commands = new Set(Array.isArray(init.commands) ? init.commands.filter((c): c is string => typeof c === 'string') : []);
    // a link only for a client that shows one (LSP 3.16 codeDescriptionSupport)
    referenceLinks = capabilities.textDocument?.publishDiagnostics?.codeDescriptionSupport ? referenceHref(commands) : () => undefined;
    // the settings may come as `settings`, as the `backplan` section, or as flat `backplan.*` keys
    settings = mergeSettings(DEFAULT_SETTINGS, init.settings ?? (init as { backplan?: unknown }).backplan);
    const flat = Object.fromEntries(Object.entries(init).filter(([k]) => k.startsWith('backplan.')));
    if (Object.keys(flat).length > 0) settings = mergeSettings(settings, flat);
    // `now` (ISO-8601): a fixed clock for tests and reproducible demos
    if (typeof init.now === 'string' && !Number.isNaN(Date.parse(init.now))) {
      const fixed = Date.parse(init.now);
      clock = () => fixed;
    }
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental },
        hoverProvider: true,
        completionProvider: { triggerCharacters: [':', '-', '[', '{', ',', '"'] },
        definitionProvider: true,
        referencesProvider: true,
        renameProvider: { prepareProvider: true },
        documentSymbolProvider: true,
        foldingRangeProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        codeLensProvider: { resolveProvider: false },
        inlayHintProvider: { resolveProvider: false },
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
      },
      serverInfo: { name: 'backplan', version: VERSION },
    };
  });

  // A new state directory holds other restore tests: check the open documents again.
  const setSettings = (next: Settings) => {
    const moved = next.stateDir !== settings.stateDir;
    settings = next;
    if (!moved) return;
    store.forgetAll();
    for (const d of documents.all()) validator.schedule(d.uri, 0);
  };

  const pullSettings = async () => {
    if (!capabilities.workspace?.configuration) return;
    try {
      const s: unknown = await connection.workspace.getConfiguration('backplan');
      setSettings(mergeSettings(settings, s));
    } catch {
      // the client could not answer: keep what we have
    }
  };

  connection.onInitialized(() => {
    void pullSettings();
  });

  connection.onDidChangeConfiguration(async (change) => {
    const pushed = isObject(change.settings) ? (change.settings as Record<string, unknown>).backplan : undefined;
    if (pushed !== undefined) setSettings(mergeSettings(settings, pushed));
    else await pullSettings();
    refreshInlays();
  });

  // didOpen fires onDidOpen then onDidChangeContent: validate an opened document at once, and
  // debounce the changes that follow.
  const opening = new Set<string>();
  documents.onDidOpen((e) => {
    opening.add(e.document.uri);
    validator.schedule(e.document.uri, 0);
  });
  documents.onDidChangeContent((e) => {
    if (opening.delete(e.document.uri)) return;
    // projections queued for the previous version are obsolete: never let them delay this check
    const previous = store.peek(e.document.uri);
    if (previous) projector.dropQueued(previous.model);
    validator.schedule(e.document.uri);
  });
  documents.onDidClose((e) => {
    validator.clear(e.document.uri);
    store.forget(e.document.uri);
  });

  const refreshInlays = () => {
    if (!capabilities.workspace?.inlayHint?.refreshSupport) return;
    void connection.languages.inlayHint.refresh().catch(() => undefined);
  };
  projector.onIdle(() => {
    if (inlayRefreshWanted) {
      inlayRefreshWanted = false;
      refreshInlays();
    }
  });

  const cancelled = () => new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
  const yieldTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  /** A request handler on a document: yields, checks cancellation, never throws. */
  function guarded<P, R>(name: string, fallback: R, uriOf: (p: unknown) => string | undefined, fn: (a: Analysis, p: P, token: CancellationToken) => R | ResponseError<void>) {
    return async (p: P, token: CancellationToken): Promise<R | ResponseError<void>> => {
      // vscode-jsonrpc dispatches one queued message per turn, after this handler's first turn:
      // two turns let a $/cancelRequest queued right behind the request reach the token
      await yieldTurn();
      await yieldTurn();
      if (token.isCancellationRequested) return cancelled();
      try {
        const uri = uriOf(p);
        if (typeof uri !== 'string') return fallback;
        const fresh = store.peek(uri)?.version !== store.version(uri);
        const a = store.analysis(uri);
        if (!a) return fallback;
        if (fresh) {
          // the check just ran (it can take a while): let a cancellation sent meanwhile arrive
          await yieldTurn();
          await yieldTurn();
        }
        if (token.isCancellationRequested) return cancelled();
        return fn(a, p, token);
      } catch (e) {
        log(`${name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
        return fallback;
      }
    };
  }
  const doc = (p: unknown): string | undefined => {
    const uri = isObject(p) && isObject(p.textDocument) ? p.textDocument.uri : undefined;
    return typeof uri === 'string' ? uri : undefined;
  };
  const byUri = (p: unknown): string | undefined => (isObject(p) && typeof p.uri === 'string' ? p.uri : undefined);

  connection.onHover(guarded('hover', null as Hover | null, doc, (a, p: HoverParams, t) => hover(a, p.position, env(t))));
  connection.onCompletion(
    guarded('completion', { isIncomplete: false, items: [] } as CompletionList, doc, (a, p: CompletionParams, t) =>
      completion(a, p.position, env(t), { snippets: capabilities.textDocument?.completion?.completionItem?.snippetSupport === true }),
    ),
  );
  connection.onDefinition(guarded('definition', null as Location | null, doc, (a, p: DefinitionParams) => definition(a, p.position)));
  connection.onReferences(guarded('references', [] as Location[], doc, (a, p: ReferenceParams) => references(a, p.position, p.context?.includeDeclaration !== false)));
  connection.onPrepareRename(guarded('prepareRename', null as PrepareRenameResult | null, doc, (a, p: PrepareRenameParams) => prepareRename(a, p.position)));
  connection.onRenameRequest(guarded('rename', null as WorkspaceEdit | null, doc, (a, p: RenameParams) => rename(a, p.position, String(p.newName))));
  connection.onDocumentSymbol(guarded('documentSymbol', [] as DocumentSymbol[], doc, (a) => documentSymbols(a)));
  connection.onFoldingRanges(
    guarded('foldingRange', [] as FoldingRange[], doc, (a) => foldingRanges(a, capabilities.textDocument?.foldingRange?.rangeLimit ?? undefined)),
  );
  connection.onDocumentFormatting(guarded('formatting', [] as TextEdit[], doc, (a, p: DocumentFormattingParams) => formatDocument(a, p.options)));
  connection.onDocumentRangeFormatting(
    guarded('rangeFormatting', [] as TextEdit[], doc, (a, p: DocumentRangeFormattingParams) => formatRange(a, p.range, p.options)),
  );
  connection.onCodeAction(guarded('codeAction', [] as CodeAction[], doc, (a, p: CodeActionParams) => codeActions(a, p)));
  connection.onCodeLens(guarded('codeLens', [] as CodeLens[], doc, (a, _p, t) => codeLenses(a, env(t))));
  connection.languages.inlayHint.on(
    guarded('inlayHint', [] as InlayHint[], doc, (a, p: InlayHintParams, t) => {
      const r = inlayHints(a, p.range, env(t));
      if (r.queued) inlayRefreshWanted = true;
      return r.hints;
    }),
  );

  connection.onRequest(SIMULATE_REQUEST, guarded('simulate', { jobs: [], skipped: [], error: 'no such document' } as SimulateResult, byUri, (a, p: SimulateParams) => simulate(a, p)));
  connection.onRequest(PLAN_REQUEST, guarded('plan', { steps: [], errors: [], skipped: [], order: [], planErrors: ['no such document'] } as PlanResult, byUri, (a, p: PlanParams) => planRequest(a, p)));
  connection.onRequest(COVERAGE_REQUEST, guarded('coverage', { chains: [] } as CoverageResult, byUri, (a, _p: CoverageParams) => coverage(a)));

  connection.onShutdown(() => {
    validator.dispose();
    projector.clear();
  });

  documents.listen(connection);
  connection.listen();
}
