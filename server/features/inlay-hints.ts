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
    const p = projectionOf(name);
    if (!p) continue;
    const line = summaryLine(p);
    if (line && at !== undefined) push(at, line, tooltipOf(p));
    if (inlineVisible && value) ruleHints(a, value, p, '', push);
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
      const p = projectionOf(list[0]);
      if (p) ruleHints(a, e.value, p, list.length > 1 ? ` (${list[0]})` : '', push);
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

const ruleLabel = (r: RuleProjection): string => `≈${r.count} kept${r.oldestAge !== undefined && r.count > 0 ? `, oldest ${roughAge(r.oldestAge)}` : ''}`;

/** Per tier / per keep rule / expiry hints inside the policy `policy` (its mapping node). */
function ruleHints(a: Analysis, policy: Node, p: Projection, suffix: string, push: (offset: number, label: string, tooltip?: string) => void): void {
  const rows = new Map(ruleProjections(p).map((r) => [r.id, r]));
  if (rows.size === 0) return;
  const doc = a.parsed.doc;
  if (!isMap(policy)) return;
  const tooltip = tooltipOf(p);

  const tiers = nodeByPath(doc, ['tiers'], policy);
  if (isSeq(tiers)) {
    if (tiers.flow && tiers.range) {
      const parts = tiers.items.map((_, i) => rows.get(`tier-${i + 1}`)).filter((r): r is RuleProjection => !!r);
      if (parts.length > 0) push(tiers.range[1], parts.map((r) => `${r.label}: ${ruleLabel(r)}`).join(' · ') + suffix, tooltip);
    } else {
      tiers.items.forEach((item, i) => {
        const row = rows.get(`tier-${i + 1}`);
        const off = itemEnd(a, item as Node | null);
        if (row && off !== undefined) push(off, ruleLabel(row) + suffix, `${row.label}. ${tooltip ?? ''}`);
      });
    }
  }

  const keep = nodeByPath(doc, ['keep'], policy);
  const keepRules = [...COUNT_RULES, ...WITHIN_RULES] as readonly string[];
  if (isMap(keep)) {
    if (keep.flow && keep.range) {
      const parts: string[] = [];
      for (const pair of keep.items) {
        const id = isScalar(pair.key) ? String(pair.key.value) : '';
        const row = rows.get(id);
        if (row && keepRules.includes(id)) parts.push(`${row.label.replace(/^(\w+) .*/, '$1')} ${ruleLabel(row)}`);
      }
      if (parts.length > 0) push(keep.range[1], parts.join(' · ') + suffix, tooltip);
    } else {
      for (const pair of keep.items) {
        const id = isScalar(pair.key) ? String(pair.key.value) : '';
        const row = rows.get(id);
        const v = pair.value as Node | null;
        if (row && keepRules.includes(id) && v?.range) push(v.range[1], ruleLabel(row) + suffix, `${row.label}. ${tooltip ?? ''}`);
      }
    }
  }

  const expiry = nodeByPath(doc, ['expiry'], policy);
  const row = rows.get('expiry');
  if (row && expiry?.range && isScalar(expiry)) push(expiry.range[1], ruleLabel(row) + suffix, tooltip);
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
