// The shape of a check: one file per rule id, each a pure function from the plan to findings.
import type { Document } from 'yaml';
import type { Finding, Fix, OffsetRange, RelatedInfo, RuleId, Severity } from '../findings';
import type { PlanModel, YamlPath } from '../plan/model';
import type { ParsedPlan } from '../plan/parse';
import type { Part } from '../plan/locate';
import type { MeasuredRestore } from '../recovery/measured';

export interface CheckContext {
  text: string;
  parsed: ParsedPlan;
  doc: Document.Parsed | undefined;
  model: PlanModel;
  /** The moment the plan is checked (injectable for tests): DST look-ahead, projections. */
  now: number;
  /**
   * The newest journalled restore test of each job (`backplan verify`), when the face that checks
   * knows a state directory (`backplan check --state-dir D`); absent otherwise.
   */
  verified?: ReadonlyMap<string, { at: string; ok: boolean; copy?: string }>;
  /**
   * The newest journalled success of each job (ISO time), when the face that checks knows a
   * state directory and the plan is a saved file (rule backup-late); absent otherwise.
   */
  lastSuccess?: ReadonlyMap<string, string>;
  /**
   * The newest measured restore of each job (a journalled `backplan verify` or `backplan restore`
   * with its duration), when the face that checks knows a state directory (rule rto-exceeded).
   */
  restores?: ReadonlyMap<string, MeasuredRestore>;
  /**
   * The folder of the plan file, when the plan is a file: relative `paths` of local jobs resolve
   * against it (the 3-2-1 chains compare the data roots read). Absent for a plan checked from memory.
   */
  baseDir?: string;
  /** The key or value at `path`, or the deepest part of it that exists. */
  locate(path: YamlPath, part?: Part): OffsetRange;
  /** Whether `path` is written in the plan (merges included). */
  has(path: YamlPath): boolean;
  /** Memoised shared analyses (parsed schedules, chains ...), keyed by name; computed once per check. */
  memo<T>(key: string, compute: () => T): T;
  /**
   * What another rule reports on this plan (its own severities, before `checks:` levels): the
   * pipeline's result when that rule has run already, else computed now, once. For rules that
   * must not repeat a problem another rule reports. Throws what that rule throws.
   */
  findingsOf(id: RuleId): readonly RuleFinding[];
}

export interface RuleFinding {
  range: OffsetRange;
  message: string;
  /** Overrides the rule's default severity for this finding (e.g. a hint-level variant). */
  severity?: Severity;
  related?: RelatedInfo[];
  tags?: Finding['tags'];
  fixes?: Fix[];
}

export interface Rule {
  id: RuleId;
  defaultSeverity: Severity;
  /** One line for the reference (docs/reference/, scripts/gen-docs.mjs). */
  summary: string;
  check(ctx: CheckContext): RuleFinding[];
}
