// Secrets are resolved at exec time and handed to processes by environment only (SPEC §8.8).
// As a second line of defence, every text a run reports (journal records, progress events,
// error messages that quote a tool's stderr) goes through the run's Redactor, which replaces
// each secret value it was told about by `***`.

export const REDACTED = '***';

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Remember a secret value (and its common multi-line fragments) for redaction. */
  add(value: string): void {
    if (value === '') return;
    this.secrets.add(value);
    // A tool may echo a multi-line secret (a key file) one line at a time.
    for (const line of value.split(/\r?\n/)) if (line.trim().length >= 4) this.secrets.add(line);
  }

  get size(): number {
    return this.secrets.size;
  }

  text(s: string): string {
    if (this.secrets.size === 0 || s === '') return s;
    let out = s;
    // Longest first, so a secret containing another is replaced whole.
    for (const v of [...this.secrets].sort((a, b) => b.length - a.length)) {
      if (out.includes(v)) out = out.split(v).join(REDACTED);
    }
    return out;
  }

  /** A deep copy of a JSON-like value with every string redacted. */
  value<T>(v: T): T {
    if (this.secrets.size === 0) return v;
    return this.walk(v) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.walk(x);
      return out;
    }
    return v;
  }
}
