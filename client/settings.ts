// Every setting of the extension, typed in one place. The manifest's
// `contributes.configuration` is checked against this table by test/unit/client/manifest.test.ts,
// and the language server receives the same object (initializationOptions.settings and
// workspace/didChangeConfiguration), so client, server and manifest cannot drift apart.
// No 'vscode' import here: the table is pure data, also read by the manifest test.

export interface BackplanSettings {
  /** Wait after the last keystroke before validating a document (ms). */
  'validation.debounceMs': number;
  /** Validation time above which the language status turns amber (ms). */
  'validation.budgetMs': number;
  /** Inlay hint after each schedule: the cron in words. */
  'inlayHints.schedules': boolean;
  /** Inlay hint after each retention: the projected set (count, oldest, per rule). */
  'inlayHints.retention': boolean;
  /** Code lenses "Run now · Dry run · Simulate retention" on jobs and policies. */
  'codeLens.enabled': boolean;
  /** A `backplan` executable to run instead of the one shipped with the extension. */
  'cli.path': string;
  /** Where runs keep their journal and locks (`--state-dir`); empty = the CLI's default. */
  stateDir: string;
}

interface SettingSpec<K extends keyof BackplanSettings> {
  default: BackplanSettings[K];
  description: string;
  /** Machine-specific or able to run something: ignored in untrusted workspaces. */
  restricted?: boolean;
  /**
   * `window` for the two paths (cli.path, stateDir): `machine-overridable` hides a setting from
   * the User tab of every remote window (code-server is one), where it shows only under Remote;
   * `window` shows under User, Remote and Workspace alike. A workspace could set them under either
   * scope, so `restricted` is what keeps an untrusted workspace from choosing them.
   */
  minimum?: number;
  maximum?: number;
  scope?: 'window' | 'resource' | 'machine-overridable' | 'machine';
}

export const SETTINGS: { [K in keyof BackplanSettings]: SettingSpec<K> } = {
  'validation.debounceMs': {
    default: 150,
    minimum: 0,
    maximum: 5000,
    description: 'Milliseconds to wait after the last edit before a plan is validated again.',
  },
  'validation.budgetMs': {
    default: 50,
    minimum: 1,
    maximum: 10000,
    description: 'Validation time (ms) above which the Backplan language status turns amber.',
  },
  'inlayHints.schedules': {
    default: true,
    description: 'Show the cron in words after each schedule (an inlay hint).',
  },
  'inlayHints.retention': {
    default: true,
    description: 'Show the projected snapshot set after each retention: count kept, oldest, per rule (an inlay hint).',
  },
  'codeLens.enabled': {
    default: true,
    description: 'Show "Run now · Dry run · Simulate retention" above jobs and "Simulate retention" above policies.',
  },
  'cli.path': {
    default: '',
    restricted: true,
    scope: 'window',
    description: 'Path of a `backplan` executable to use for runs, dry runs and simulations. Empty: the one shipped with the extension.',
  },
  stateDir: {
    default: '',
    restricted: true,
    scope: 'window',
    description: 'Directory where runs keep their journal and job locks (`backplan run --state-dir`). The restore tests journalled there by `backplan verify` also inform the `no-restore-test` check. Empty: the command\'s default.',
  },
};

export const SECTION = 'backplan';

/** Reads every setting from `workspace.getConfiguration('backplan')`, falling back on defaults. */
export function readSettings(cfg: { get<T>(key: string, defaultValue: T): T }): BackplanSettings {
  const out = {} as Record<string, unknown>;
  for (const [key, spec] of Object.entries(SETTINGS)) {
    const v: unknown = cfg.get<unknown>(key, spec.default);
    out[key] = typeof v === typeof spec.default ? v : spec.default;
  }
  return out as unknown as BackplanSettings;
}

/** The section as the language server reads it (server/protocol.ts SettingsInput). */
export function serverSettings(s: BackplanSettings): {
  validation: { debounceMs: number; budgetMs: number };
  inlayHints: { schedules: boolean; retention: boolean };
  stateDir: string;
} {
  return {
    validation: { debounceMs: s['validation.debounceMs'], budgetMs: s['validation.budgetMs'] },
    inlayHints: { schedules: s['inlayHints.schedules'], retention: s['inlayHints.retention'] },
    stateDir: s.stateDir,
  };
}

/** The manifest's `contributes.configuration.properties`, built from the table above. */
export function manifestProperties(): Record<string, Record<string, unknown>> {
  const props: Record<string, Record<string, unknown>> = {};
  for (const [key, spec] of Object.entries(SETTINGS) as [string, SettingSpec<keyof BackplanSettings>][]) {
    props[`${SECTION}.${key}`] = {
      type: typeof spec.default === 'boolean' ? 'boolean' : typeof spec.default === 'number' ? 'number' : 'string',
      default: spec.default,
      ...(spec.minimum !== undefined ? { minimum: spec.minimum } : {}),
      ...(spec.maximum !== undefined ? { maximum: spec.maximum } : {}),
      ...(spec.scope ? { scope: spec.scope } : {}),
      markdownDescription: spec.description,
    };
  }
  return props;
}

/** Settings ignored in an untrusted workspace (manifest `restrictedConfigurations`). */
export function restrictedSettings(): string[] {
  return Object.entries(SETTINGS)
    .filter(([, s]) => (s as SettingSpec<keyof BackplanSettings>).restricted)
    .map(([k]) => `${SECTION}.${k}`);
}
