// Inlay hints: the cron in words after each schedule, and after each retention the projected set
// at the horizon ("≈114 kept, oldest 6mo"), per tier or rule inside the policy. Projections come
// from the bounded, cached simulations of projections.ts; a request computes what it can within
// INLAY_BUDGET_MS and queues the rest (the server then asks the client to refresh).
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import { COUNT_RULES, WITHIN_RULES } from '../../engine/retention/common';
import { describeSchedule } from '../../engine/time/words';
import type { Analysis } from '../documents';
import { FULL_FIRES, roughAge, ruleProjections, summaryLine, type Projection, type RuleProjection } from '../projections';
import type { Path } from '../yaml-path';
import { keyNodeByPath, nodeByPath, sectionEntries, type EntryNodes, type FeatureEnv } from './env';

/** Time an inlay request may spend simulating before it queues the rest. */
export const INLAY_BUDGET_MS = 30;

export interface InlayResult {
  hints: InlayHint[];
  /** Projections were queued: ask the client to refresh once they are done. */
  queued: boolean;
}

const words = new Map<string, string | undefined>();
/** describeSchedule, remembered per expression (cronstrue is not free and schedules repeat). */
export function scheduleWords(expr: string): string | undefined {
  if (words.has(expr)) return words.get(expr);
  const w = describeSchedule(expr);
  if (words.size >= 5000) words.clear();
  words.set(expr, w);
  return w;
}

const SCHEDULE_PATHS: Path[] = [['schedule'], ['prune_schedule'], ['verify', 'schedule']];

export function inlayHints(a: Analysis, range: Range, env: FeatureEnv): InlayResult {
  const out: InlayHint[] = [];
  const doc = a.parsed.doc;
  if (!doc || a.parsed.value === undefined) return { hints: out, queued: false };
  const first = range.start.line;
  const last = range.end.line;
  const visible = (offset: number) => {
    const line = a.lines.position(offset).line;
    return line >= first && line <= last;
  };
  const push = (offset: number, label: string, tooltip?: string) => {
    if (!visible(offset)) return;
    out.push({ position: a.lines.position(offset), label, paddingLeft: true, kind: InlayHintKind.Type, ...(tooltip ? { tooltip } : {}) });
  };
  const plan = a.model;
  const jobs = sectionEntries(a, 'jobs');
  const policies = sectionEntries(a, 'policies');
  const inRange = (e: EntryNodes) => e.lastLine >= first && e.firstLine <= last;

  let queued = false;
  const t0 = performance.now();
  const projectionOf = (job: string): Projection | undefined => {
    const cached = env.projector.peek(plan, job, a.now, FULL_FIRES);
    if (cached) return cached;
    if (performance.now() - t0 < INLAY_BUDGET_MS && !env.cancelled?.()) return env.projector.get(plan, job, a.now, FULL_FIRES);
    env.projector.queue(plan, job, a.now, FULL_FIRES);
    queued = true;
    return undefined;
  };

  for (const [name, e] of jobs) {
    if (!inRange(e)) continue;
    if (env.settings.inlayHints.schedules) {
      for (const rel of SCHEDULE_PATHS) {
        const n = nodeByPath(doc, rel, e.value);
        if (!isScalar(n) || typeof n.value !== 'string' || !n.range) continue;
        const w = scheduleWords(n.value);
        if (w) push(n.range[1], w);
      }
    }
    if (!env.settings.inlayHints.retention) continue;
    const job = plan.jobs.get(name);
    if (!job || job.retention === undefined || !job.schedule) continue;
    const key = keyNodeByPath(doc, ['retention'], e.value);
    const value = nodeByPath(doc, ['retention'], e.value);
    const at = hintOffset(a, key, value);
    const inline = typeof job.retention !== 'string';
    const vr = value?.range;
    const inlineVisible = inline && !!vr && a.lines.position(vr[0]).line <= last && a.lines.position(vr[1]).line >= first;
    if (!(at !== undefined && visible(at)) && !inlineVisible) continue;
    const invalid = invalidRetention(a, job.retention, value);
    if (invalid) {
      if (at !== undefined) push(at, INVALID_LABEL, invalid);
      continue;
    }
    const p = projectionOf(name);
    if (!p) continue;
    const line = summaryLine(p);
    if (line && at !== undefined) push(at, line, tooltipOf(p));
    if (inlineVisible && value) ruleHints(a, value, [p], push);
  }

  if (env.settings.inlayHints.retention) {
    const users = a.memo('policyUsers', () => {
      const m = new Map<string, string[]>();
      for (const j of plan.jobs.values()) {
        if (typeof j.retention !== 'string' || !j.schedule) continue;
        const list = m.get(j.retention) ?? [];
        list.push(j.name);
        m.set(j.retention, list);
      }
      return m;
    });
    for (const [name, e] of policies) {
      if (!inRange(e)) continue;
      const list = users.get(name);
      if (!list || list.length === 0) continue;
      if (invalidRetention(a, name, e.value)) continue; // its diagnostic says why; no number
      // every job's projection (a shared policy shows the spread over its jobs), or none yet
      const ps = list.map((j) => projectionOf(j));
      if (ps.some((p) => !p)) continue;
      ruleHints(a, e.value, ps as Projection[], push);
    }
  }
  out.sort((x, y) => x.position.line - y.position.line || x.position.character - y.position.character);
  return { hints: out, queued };
}

function tooltipOf(p: Projection): string | undefined {
  const r = p.result;
  if (!r) return undefined;
  const bounded = p.capped ? ` Bounded to the first ${p.capped.fires} runs of the ${roughAge(p.capped.horizonMs)} horizon.` : '';
  return `Projected at ${r.at} (${r.engine}, ${r.timezone}) by simulating the schedule from ${r.from}.${bounded}`;
}

/**
 * Where a hint about an entry goes: after its value when the value starts on the key's line (a
 * scalar or a flow collection), else after the key's colon.
 */
function hintOffset(a: Analysis, key: Node | undefined, value: Node | undefined): number | undefined {
  if (!value?.range) return undefined;
  if (!key?.range) return value.range[1];
  const keyLine = a.lines.position(key.range[1]).line;
  if (a.lines.position(value.range[0]).line === keyLine && (isScalar(value) || (value as { flow?: boolean }).flow)) return value.range[1];
  const colon = a.text.indexOf(':', key.range[1]);
  return colon >= 0 && a.lines.position(colon).line === keyLine ? colon + 1 : key.range[1];
}

/** The label of an invalid retention: no projected number (the diagnostic says what is wrong). */
export const INVALID_LABEL = 'invalid: nothing projected';

/**
 * The message of an error of retention-invalid or retention-unsupported inside the policy the job
 * uses (`retention` a policy name: that policy's entry; inline: the retention value), if any.
 */
export function invalidRetention(a: Analysis, retention: unknown, inlineValue: Node | undefined): string | undefined {
  const node = typeof retention === 'string' ? sectionEntries(a, 'policies').get(retention)?.value : inlineValue;
  const r = node?.range;
  if (!r) return undefined;
  const f = a.result.findings.find(
    (x) => (x.rule === 'retention-invalid' || x.rule === 'retention-unsupported') && x.severity === 'error' && x.range.start >= r[0] && x.range.start < r[1],
  );
  return f ? `${f.rule}: ${f.message}` : undefined;
}

/** Longest inlay label, in characters: VS Code cuts longer ones (editor.inlayHints.maximumLength, 43). */
export const MAX_LABEL = 43;

const figures = (r: RuleProjection): string => `≈${r.count} kept${r.oldestAge !== undefined && r.count > 0 ? `, oldest ${roughAge(r.oldestAge)}` : ''}`;

/**
 * One rule's hint for the jobs of a policy: `≈7 kept, oldest 7d` for one job; for several, the
 * spread and how many jobs (`≈7–14 kept, oldest 7d–14d · 2 jobs`), each job's figures in the
 * tooltip.
 */
function ruleLabel(rows: RuleProjection[]): string {
  if (rows.length === 1) return figures(rows[0]);
  const counts = rows.map((r) => r.count);
  const lo = Math.min(...counts);
  const hi = Math.max(...counts);
  const ages = rows.filter((r) => r.oldestAge !== undefined && r.count > 0).map((r) => r.oldestAge!);
  const agesText = ages.map(roughAge);
  const loAge = ages.length > 0 ? roughAge(Math.min(...ages)) : undefined;
  const hiAge = ages.length > 0 ? roughAge(Math.max(...ages)) : undefined;
  const oldest = loAge === undefined ? '' : new Set(agesText).size === 1 ? `, oldest ${loAge}` : `, oldest ${loAge}–${hiAge}`;
  return `≈${lo === hi ? lo : `${lo}–${hi}`} kept${oldest} · ${rows.length} jobs`;
}

/** The tooltip of a rule's hint: what the rule is, and each job's figures when there are several. */
function ruleTooltip(rows: RuleProjection[], jobs: string[], ps: Projection[]): string {
  const per = rows.length > 1 ? `\n${rows.map((r, i) => `${jobs[i]}: ${figures(r)}`).join('\n')}` : '';
  return `${rows[0].label}.${per}\n${tooltipOf(ps[0]) ?? ''}`.trim();
}

/**
 * Per tier / per keep rule / expiry hints inside the policy `policy` (its mapping node), for the
 * projections of the jobs that use it. Each hint goes right after the value of its rule (in a
 * flow mapping or sequence too), so that every label is short enough to be read whole.
 */
function ruleHints(a: Analysis, policy: Node, ps: Projection[], push: (offset: number, label: string, tooltip?: string) => void): void {
  const tables = ps.map((p) => new Map(ruleProjections(p).map((r) => [r.id, r])));
  if (tables.every((t) => t.size === 0)) return;
  const jobs = ps.map((p) => p.job);
  const doc = a.parsed.doc;
  if (!isMap(policy)) return;
  const rowsOf = (id: string): RuleProjection[] | undefined => {
    const rows = tables.map((t) => t.get(id));
    return rows.every((r): r is RuleProjection => !!r) ? rows : undefined;
  };
  const hint = (offset: number | undefined, id: string) => {
    const rows = rowsOf(id);
    if (rows && offset !== undefined) push(offset, ruleLabel(rows), ruleTooltip(rows, jobs, ps));
  };

  const tiers = nodeByPath(doc, ['tiers'], policy);
  if (isSeq(tiers)) {
    tiers.items.forEach((item, i) => hint(tiers.flow ? (item as Node | null)?.range?.[1] : itemEnd(a, item as Node | null), `tier-${i + 1}`));
  }

  const keep = nodeByPath(doc, ['keep'], policy);
  const keepRules = [...COUNT_RULES, ...WITHIN_RULES] as readonly string[];
  if (isMap(keep)) {
    for (const pair of keep.items) {
      const id = isScalar(pair.key) ? String(pair.key.value) : '';
      const v = pair.value as Node | null;
      if (keepRules.includes(id) && v?.range) hint(v.range[1], id);
    }
  }

  const expiry = nodeByPath(doc, ['expiry'], policy);
  if (expiry?.range && isScalar(expiry)) hint(expiry.range[1], 'expiry');
}

/** End of a sequence item on its first line (a flow mapping or scalar), else undefined. */
function itemEnd(a: Analysis, item: Node | null): number | undefined {
  if (!item?.range) return undefined;
  if (isScalar(item) || (item as { flow?: boolean }).flow) return item.range[1];
  // a block mapping item: after its first entry's value when it is on the item's first line
  if (isMap(item) && item.items.length > 0) {
    const firstLine = a.lines.position(item.range[0]).line;
    let end: number | undefined;
    for (const pair of item.items) {
      const v = pair.value as Node | null;
      if (v?.range && a.lines.position(v.range[1]).line === firstLine) end = v.range[1];
    }
    return end;
  }
  return undefined;
}
