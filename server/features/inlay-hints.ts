// Inlay hints: the cron in words after each schedule, and after each retention the projected set
// at the horizon ("≈114 kept, oldest 6mo"), per tier or rule inside the policy. Projections come
// from the bounded, cached simulations of projections.ts; a request computes what it can within
// INLAY_BUDGET_MS and queues the rest (the server then asks the client to refresh).
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import { InlayHintKind, type InlayHint, type Range } from 'vscode-languageserver/node';
import { annotatedValues, type AnnotatedValue } from '../../engine/plan/schema';
import { locate } from '../../engine/plan/locate';
import { COUNT_RULES, WITHIN_RULES } from '../../engine/retention/common';
import { describeSchedule } from '../../engine/time/words';
import type { Analysis } from '../documents';
import { FULL_FIRES, roughAge, ruleProjections, summaryLine, type Projection, type RuleProjection } from '../projections';
import type { Path } from '../yaml-path';
import { keyNodeByPath, nodeByPath, type FeatureEnv } from './env';

/** Time an inlay request may spend simulating before it queues the rest. */
export const INLAY_BUDGET_MS = 30;

export function annotated(a: Analysis): AnnotatedValue[] {
  return a.memo('annotated', () => {
    if (a.parsed.value === undefined) return [];
    try {
      return annotatedValues(a.parsed.value);
    } catch {
      return [];
    }
  });
}

export interface InlayResult {
  hints: InlayHint[];
  /** Projections were queued: ask the client to refresh once they are done. */
  queued: boolean;
}

export function inlayHints(a: Analysis, range: Range, env: FeatureEnv): InlayResult {
  const out: InlayHint[] = [];
  const doc = a.parsed.doc;
  if (!doc) return { hints: out, queued: false };
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

  if (env.settings.inlayHints.schedules) {
    for (const v of annotated(a)) {
      if (v.type !== 'cron' || typeof v.value !== 'string') continue;
      const words = describeSchedule(v.value);
      if (!words) continue;
      const r = locate(doc, v.path, 'value');
      push(r.end, words);
    }
  }

  let queued = false;
  if (env.settings.inlayHints.retention) {
    const t0 = performance.now();
    const plan = a.model;
    const projectionOf = (job: string): Projection | undefined => {
      const cached = env.projector.peek(plan, job, a.now, FULL_FIRES);
      if (cached) return cached;
      if (performance.now() - t0 < INLAY_BUDGET_MS && !env.cancelled?.()) return env.projector.get(plan, job, a.now, FULL_FIRES);
      env.projector.queue(plan, job, a.now, FULL_FIRES);
      queued = true;
      return undefined;
    };
    const policyDone = new Set<string>();
    for (const job of plan.jobs.values()) {
      if (job.retention === undefined || !job.schedule) continue;
      const retentionPath: Path = [...job.at, 'retention'];
      const policyPath: Path | undefined =
        typeof job.retention === 'string' ? (plan.policies.has(job.retention) ? ['policies', job.retention] : undefined) : retentionPath;
      const summaryAt = hintOffset(a, retentionPath);
      const policyVisible = policyPath !== undefined && spanVisible(a, policyPath, first, last);
      const needed = (summaryAt !== undefined && visible(summaryAt)) || (policyVisible && !policyDone.has(JSON.stringify(policyPath)));
      if (!needed) continue;
      const p = projectionOf(job.name);
      if (!p) continue;
      const line = summaryLine(p);
      if (line && summaryAt !== undefined) push(summaryAt, line, tooltipOf(p));
      if (policyPath && policyVisible && !policyDone.has(JSON.stringify(policyPath))) {
        policyDone.add(JSON.stringify(policyPath));
        const users = typeof job.retention === 'string' ? [...plan.jobs.values()].filter((j) => j.retention === job.retention).length : 1;
        ruleHints(a, policyPath, p, users > 1 ? ` (${job.name})` : '', push);
      }
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

function spanVisible(a: Analysis, path: Path, first: number, last: number): boolean {
  const n = nodeByPath(a.parsed.doc, path);
  if (!n?.range) return false;
  const s = a.lines.position(n.range[0]).line;
  const e = a.lines.position(n.range[1]).line;
  return s <= last && e >= first;
}

/**
 * Where a hint about the entry at `path` goes: after its value when the value starts on the key's
 * line (a scalar or a flow collection), else after the key's colon.
 */
function hintOffset(a: Analysis, path: Path): number | undefined {
  const doc = a.parsed.doc;
  const value = nodeByPath(doc, path);
  const key = typeof path[path.length - 1] === 'string' ? keyNodeByPath(doc, path) : undefined;
  if (!value?.range) return undefined;
  if (!key?.range) return value.range[1];
  const keyLine = a.lines.position(key.range[1]).line;
  if (a.lines.position(value.range[0]).line === keyLine && (isScalar(value) || (value as { flow?: boolean }).flow)) return value.range[1];
  const colon = a.text.indexOf(':', key.range[1]);
  return colon >= 0 && a.lines.position(colon).line === keyLine ? colon + 1 : key.range[1];
}

const ruleLabel = (r: RuleProjection): string => `≈${r.count} kept${r.oldestAge !== undefined && r.count > 0 ? `, oldest ${roughAge(r.oldestAge)}` : ''}`;

/** Per tier / per keep rule / expiry hints inside the policy at `policyPath`. */
function ruleHints(a: Analysis, policyPath: Path, p: Projection, suffix: string, push: (offset: number, label: string, tooltip?: string) => void): void {
  const rows = new Map(ruleProjections(p).map((r) => [r.id, r]));
  if (rows.size === 0) return;
  const doc = a.parsed.doc;
  const policy = nodeByPath(doc, policyPath);
  if (!isMap(policy)) return;
  const tooltip = tooltipOf(p);

  const tiers = nodeByPath(doc, [...policyPath, 'tiers']);
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

  const keep = nodeByPath(doc, [...policyPath, 'keep']);
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

  const expiry = nodeByPath(doc, [...policyPath, 'expiry']);
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
