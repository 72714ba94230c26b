// What `backplan export` produces: files for the native schedulers of each host, each with the
// host it belongs on and the path it is meant for there. Nothing is written or run by the engine.
export const EXPORT_TARGETS = [
  'systemd',
  'cron',
  'incus',
  'sanoid',
  'velero',
  'borgmatic',
  'prometheus-rules',
  'btrbk',
] as const;
export type ExportTarget = (typeof EXPORT_TARGETS)[number];

export interface ExportFile {
  /** A host of the plan, or `local` for the machine that holds the plan and runs `backplan`. */
  host: string;
  /** Where the file belongs on that host. */
  path: string;
  content: string;
  /** The jobs the file covers. */
  jobs: string[];
}

export interface ExportResult {
  target: ExportTarget;
  files: ExportFile[];
  /** Jobs this target does not handle (another kind), with why. */
  skipped: { job: string; reason: string }[];
  /** Jobs this target should handle but cannot express, with why. */
  problems: { job: string; message: string }[];
}

export interface ExportOptions {
  /** The plan file as the scheduler should name it (absolute). */
  planPath: string;
  /** How the scheduler calls Backplan (default `backplan`). */
  command?: string;
  job?: string;
}
