// Debounced validation, per document: each change restarts the document's timer; when it fires,
// the current version is analysed (once: the analysis is the cache every feature reads) and its
// diagnostics published with that version, unless a newer version arrived meanwhile. Opening a
// document validates it at once; closing it clears its diagnostics.
import type { Connection } from 'vscode-languageserver/node';
import type { DocumentStore } from './documents';
import { countBySeverity, diagnostics } from './features/diagnostics';
import { STATUS_NOTIFICATION, type Settings, type StatusParams } from './protocol';
import { withReferences, type ReferenceHref } from './reference';

export class Validator {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Versions whose diagnostics were published (tests and the status item read it). */
  readonly published = new Map<string, number>();

  constructor(
    private readonly connection: Connection,
    private readonly store: DocumentStore,
    private readonly settings: () => Settings,
    private readonly log: (message: string) => void,
    /** Where each rule's reference page is (codeDescription.href), known once the client said hello. */
    private readonly references: () => ReferenceHref = () => () => undefined,
  ) {}

  /** Validate `uri` after the debounce delay (or `delay` ms). */
  schedule(uri: string, delay = this.settings().validation.debounceMs): void {
    const old = this.timers.get(uri);
    if (old) clearTimeout(old);
    const timer = setTimeout(() => {
      this.timers.delete(uri);
      this.run(uri);
    }, Math.max(0, delay));
    this.timers.set(uri, timer);
  }

  /** Validate now and publish (when the document is still at the analysed version). */
  run(uri: string): void {
    try {
      const a = this.store.analysis(uri);
      if (!a) return;
      if (this.store.version(uri) !== a.version) return; // a newer change is on its way
      const diags = withReferences(diagnostics(a), this.references());
      void this.connection.sendDiagnostics({ uri, version: a.version, diagnostics: diags });
      this.published.set(uri, a.version);
      const status: StatusParams = {
        uri,
        version: a.version,
        ms: Math.round(a.ms * 10) / 10,
        budgetMs: this.settings().validation.budgetMs,
        counts: countBySeverity(diags),
      };
      void this.connection.sendNotification(STATUS_NOTIFICATION, status);
    } catch (e) {
      this.log(`validation of ${uri} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    }
  }

  /** Forget the document: no pending validation, no diagnostics left in the client. */
  clear(uri: string): void {
    const t = this.timers.get(uri);
    if (t) clearTimeout(t);
    this.timers.delete(uri);
    this.published.delete(uri);
    void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
