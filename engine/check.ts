// The check pipeline: parse once, build the model once, run every rule, apply `checks:` levels.
import type { Finding } from './findings';
import { buildModel } from './plan/build-model';
import { keyExists, locate } from './plan/locate';
import type { PlanModel } from './plan/model';
import { parsePlan, type ParsedPlan } from './plan/parse';
import { RULES } from './checks';
import type { CheckContext, Rule } from './checks/rule';
import { applyAccepts, collectAccepts } from './checks/shared/accept';

export interface CheckResult {
  parsed: ParsedPlan;
  /** Undefined when the YAML could not be read at all. */
  model?: PlanModel;
  /** Sorted by position. */
  findings: Finding[];
  /** Rules that threw: a bug in Backplan, reported instead of crashing the face. */
  internalErrors: { rule: string; error: string }[];
}

export interface CheckOptions {
  now?: number;
  /** Run only these rules (tests, and the language server's fast path). */
  rules?: readonly Rule[];
  /** Journalled restore tests by job (CheckContext.verified). */
  verified?: CheckContext['verified'];
  /** The plan file's folder, when the plan is a file (CheckContext.baseDir). */
  baseDir?: string;
  /** Journalled last successes by job (CheckContext.lastSuccess). */
  lastSuccess?: CheckContext['lastSuccess'];
  /** Journalled measured restores by job (CheckContext.restores). */
  restores?: CheckContext['restores'];
}

export function createContext(
  parsed: ParsedPlan,
  model: PlanModel,
  now: number,
  verified?: CheckContext['verified'],
  baseDir?: string,
  lastSuccess?: CheckContext['lastSuccess'],
  restores?: CheckContext['restores'],
): CheckContext {
  const memo = new Map<string, unknown>();
  const ctx: CheckContext = {
    text: parsed.text,
    parsed,
    doc: parsed.doc,
    model,
    now,
    ...(verified ? { verified } : {}),
    ...(baseDir !== undefined ? { baseDir } : {}),
    ...(lastSuccess ? { lastSuccess } : {}),
    ...(restores ? { restores } : {}),
    locate: (path, part) => locate(parsed.doc, path, part),
    has: (path) => keyExists(parsed.doc, path),
    memo<T>(key: string, compute: () => T): T {
      if (!memo.has(key)) memo.set(key, compute());
      return memo.get(key) as T;
    },
    findingsOf(id) {
      return ctx.memo(findingsKey(id), () => RULES.find((r) => r.id === id)?.check(ctx) ?? []);
    },
  };
  return ctx;
}

/** The memo key under which a rule's findings are kept, shared by the pipeline and findingsOf. */
const findingsKey = (id: string) => `findings:${id}`;

export function checkText(text: string, options: CheckOptions = {}): CheckResult {
  const parsed = parsePlan(text);
  return checkParsed(parsed, options);
}

export function checkParsed(parsed: ParsedPlan, options: CheckOptions = {}): CheckResult {
  const now = options.now ?? Date.now();
  const rules = options.rules ?? RULES;
  const internalErrors: CheckResult['internalErrors'] = [];
  const model = parsed.value === undefined && parsed.findings.length > 0 ? undefined : buildModel(parsed.value);
  const ctx = createContext(parsed, model ?? buildModel(undefined), now, options.verified, options.baseDir, options.lastSuccess, options.restores);
  let findings: Finding[] = [];
  const ran = new Set<string>();
  for (const rule of rules) {
    // Without a readable document only the syntax findings mean anything.
    if (!model && rule.id !== 'yaml-syntax') continue;
    const level = ctx.model.checks.levels[rule.id];
    if (level === 'off') continue;
    ran.add(rule.id);
    let out;
    try {
      out = ctx.memo(findingsKey(rule.id), () => rule.check(ctx));
    } catch (e) {
      internalErrors.push({ rule: rule.id, error: String((e as Error)?.stack ?? e) });
      continue;
    }
    for (const f of out) {
      findings.push({
        rule: rule.id,
        severity: level ?? f.severity ?? rule.defaultSeverity,
        message: f.message,
        range: f.range,
        ...(f.related ? { related: f.related } : {}),
        ...(f.tags ? { tags: f.tags } : {}),
        ...(f.fixes ? { fixes: f.fixes } : {}),
      });
    }
  }
  if (model) findings = accepting(ctx, findings, ran);
  findings.sort((a, b) => a.range.start - b.range.start || a.range.end - b.range.end || a.rule.localeCompare(b.rule));
  return { parsed, model, findings, internalErrors };
}

/**
 * SPEC §7: the accepts of the plan turn the findings they name into information with their
 * reason; an accept that matched nothing is reported (accept-invalid, at its level). The quick fix
 * that writes an accept is the editor's (server/features/code-actions.ts).
 */
function accepting(ctx: CheckContext, findings: Finding[], ran: ReadonlySet<string>): Finding[] {
  const { accepts } = ctx.memo('accepts', () => collectAccepts(ctx.text, ctx.doc, ctx.parsed.value));
  const level = ctx.model.checks.levels['accept-invalid'];
  const stale =
    level === 'off' || !ran.has('accept-invalid')
      ? null
      : (range: Finding['range'], message: string): Finding => ({ rule: 'accept-invalid', severity: level ?? 'warning', message, range, tags: ['unnecessary'] });
  return applyAccepts(findings, accepts, ran, stale);
}
