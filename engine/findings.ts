// A finding is what a check reports. Positions stay as UTF-16 offsets into the plan text
// inside the engine; the faces (CLI, language server) convert them to line/character once.

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export const RULE_IDS = [
  'yaml-syntax',
  'schema',
  'cron-invalid',
  'duration-invalid',
  'unknown-reference',
  'dependency-cycle',
  'expiry-gap',
  'expiry-before-copy',
  'autostart-on-standby',
  'coverage-3-2-1',
  'snapshot-not-backup',
  'rpo-exceeded',
  'retention-invalid',
  'retention-unsupported',
  'retention-too-short',
  'replication-base-at-risk',
  'db-without-dump',
  'dst-schedule',
  'no-restore-test',
  'capacity-exceeded',
  'secret-inline',
  'offsite-unencrypted',
  'unused',
  'job-not-runnable',
  'backup-late',
  'notify-invalid',
  'rto-exceeded',
  'accept-invalid',
  'path-missing',
  'duplicity-rpo-gap',
  'duplicity-full-window',
] as const;
export type RuleId = (typeof RULE_IDS)[number];

export interface OffsetRange {
  start: number;
  end: number;
}

export interface TextEdit {
  range: OffsetRange;
  newText: string;
}

export interface Fix {
  title: string;
  edits: TextEdit[];
  /** The fix the editor should offer first. */
  preferred?: boolean;
}

export interface RelatedInfo {
  message: string;
  range: OffsetRange;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  message: string;
  range: OffsetRange;
  related?: RelatedInfo[];
  tags?: ('unnecessary' | 'deprecated')[];
  fixes?: Fix[];
  /** The reason of the `accept:` (or `# backplan: accept` comment) that accepted it (SPEC §7). */
  accepted?: string;
}
