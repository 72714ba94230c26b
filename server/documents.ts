// The document cache: one parse + check per (uri, version), shared by every feature. A feature
// asks `store.analysis(uri)`; the first caller for a version pays for the check, the others
// read the result. Derived views (the name index, chains, annotated values, projections) are
// computed on first use and live as long as the version.
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TextDocuments } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CheckOptions, CheckResult } from '../engine/check';
import { checkIncremental } from '../engine/check-incremental';
import { buildModel } from '../engine/plan/build-model';
import type { PlanModel } from '../engine/plan/model';
import { MAX_ALIAS_COUNT, type ParsedPlan } from '../engine/plan/parse';
import { LineIndex } from '../engine/text/positions';

export class Analysis {
  readonly lines: LineIndex;
  readonly result: CheckResult;
  /** Time of parse + every check (ms). */
  readonly ms: number;
  /** Whether only the edited entry was re-parsed (from the previous version's analysis). */
  readonly incremental: boolean;
  private readonly memos = new Map<string, unknown>();

  constructor(
    readonly uri: string,
    readonly version: number,
    readonly text: string,
    /** The instant the checks ran at (epoch ms). */
    readonly now: number,
    /** Journalled restore tests of this plan's jobs (no-restore-test), when known. */
    verified?: CheckOptions['verified'],
    /** Journalled last successes of this plan's jobs (backup-late), when known. */
    lastSuccess?: CheckOptions['lastSuccess'],
    /** Journalled measured restores of this plan's jobs (rto-exceeded), when known. */
    restores?: CheckOptions['restores'],
    /** The previous version's analysis: an edit inside one entry re-parses that entry only. */
    previous?: Analysis,
  ) {
    const t0 = performance.now();
    this.lines = new LineIndex(text);
    const baseDir = planFolder(uri);
    const result = checkIncremental(previous?.result, text, {
      now,
      ...(verified ? { verified } : {}),
      ...(lastSuccess ? { lastSuccess } : {}),
      ...(restores ? { restores } : {}),
      ...(baseDir !== undefined ? { baseDir } : {}),
    });
    this.incremental = result.incremental;
    this.result = result;
    this.ms = performance.now() - t0;
  }

  get parsed(): ParsedPlan {
    return this.result.parsed;
  }

  /** The plan model (an empty one when the YAML could not be read). */
  get model(): PlanModel {
    return this.memo('model', () => this.result.model ?? buildModel(this.lenientValue));
  }

  /**
   * The plan's value even when the YAML has errors (the parser recovers what it can): completion
   * needs the job's kind while the line being typed is still broken.
   */
  get lenientValue(): unknown {
    return this.memo('lenient', () => {
      if (this.parsed.value !== undefined) return this.parsed.value;
      const doc = this.parsed.doc;
      if (!doc) return undefined;
      try {
        return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
      } catch {
        return undefined;
      }
    });
  }

  /** A value derived from this version, computed once. */
  memo<T>(key: string, compute: () => T): T {
    if (!this.memos.has(key)) this.memos.set(key, compute());
    return this.memos.get(key) as T;
  }
}

/** The folder of a `file:` document (relative paths of local jobs resolve against it); none for untitled ones. */
export function planFolder(uri: string): string | undefined {
  if (!uri.startsWith('file:')) return undefined;
  try {
    return dirname(fileURLToPath(uri));
  } catch {
    return undefined;
  }
}

export type Clock = () => number;

/** The journalled restore tests of the plan behind a document (undefined: none known). */
export type VerifiedOf = (uri: string) => CheckOptions['verified'];
export type LastSuccessOf = (uri: string) => CheckOptions['lastSuccess'];
export type RestoresOf = (uri: string) => CheckOptions['restores'];

export class DocumentStore {
  private readonly cache = new Map<string, Analysis>();

  constructor(
    readonly documents: TextDocuments<TextDocument>,
    private readonly clock: Clock = Date.now,
    private readonly verifiedOf: VerifiedOf = () => undefined,
    private readonly lastSuccessOf: LastSuccessOf = () => undefined,
    private readonly restoresOf: RestoresOf = () => undefined,
  ) {}

  /** The analysis of the document's current version (computed now if it is not cached). */
  analysis(uri: string): Analysis | undefined {
    const doc = this.documents.get(uri);
    if (!doc) return undefined;
    const cached = this.cache.get(uri);
    if (cached && cached.version === doc.version) return cached;
    const a = new Analysis(
      uri,
      doc.version,
      doc.getText(),
      this.clock(),
      this.verifiedOf(uri),
      this.lastSuccessOf(uri),
      this.restoresOf(uri),
      cached,
    );
    this.cache.set(uri, a);
    return a;
  }

  /** The cached analysis, whatever its version (never computes). */
  peek(uri: string): Analysis | undefined {
    return this.cache.get(uri);
  }

  version(uri: string): number | undefined {
    return this.documents.get(uri)?.version;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }

  /** Forget every analysis (what they depend on outside the text changed, e.g. the state directory). */
  forgetAll(): void {
    this.cache.clear();
  }
}
