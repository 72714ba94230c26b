// Notifications (SPEC §10): one lifecycle for every job, and the targets a plan names.
// Events: `start` (a job begins), `success` (it fully succeeded), `warning` (it finished, but a
// step was skipped or a prune refused), `failure`, `late` (sent by `backplan status`). The
// plan-level `notify:` list applies to every job; a job's own `notify:` replaces it.
// This module holds the pure part (which targets, which event, the event JSON, the body
// templates); sending is in send.ts and in one module per target type.
import type { JobModel, PlanModel, YamlPath } from '../../plan/model';
import { approxMs, parseDuration } from '../../time/duration';

export const NOTIFY_EVENTS = ['start', 'success', 'warning', 'failure', 'late'] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

export const TARGET_TYPES = ['http', 'healthchecks', 'email', 'apprise', 'command'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

/** The default `on:` of a target: failures only, except healthchecks, whose ping API needs every outcome. */
export function defaultEvents(type: string): NotifyEventName[] {
  return type === 'healthchecks' ? ['start', 'success', 'warning', 'failure'] : ['failure'];
}

/** The event JSON of SPEC §10: the body of `http` targets without a template, `command` stdin. */
export interface NotifyEvent {
  event: NotifyEventName;
  plan: string;
  job: string;
  kind: string;
  host: string;
  /** The run (its journal's id); null for a `start` sent before the run's journal exists, and for `late`. */
  runId: string | null;
  time: string;
  durationSeconds: number | null;
  message: string;
  /** Only for targets with `send_log: true`: the job's journal records as lines, redacted like the journal. */
  logTail?: string;
}

/** A target as written in the plan, with where it is. */
export interface TargetSpec {
  raw: Record<string, unknown>;
  at: YamlPath;
  type: string;
  on: string[];
  /** A short label for warnings and the journal: `` `notify[0]` ``, `` `ops` (jobs.home.notify[1]) ``; never a URL. */
  label: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function specsOf(list: unknown, at: YamlPath): TargetSpec[] {
  if (!Array.isArray(list)) return [];
  const out: TargetSpec[] = [];
  list.forEach((raw, i) => {
    if (!isObj(raw)) return;
    const type = typeof raw.type === 'string' ? raw.type : '';
    const on = Array.isArray(raw.on) ? raw.on.map(String) : typeof raw.on === 'string' ? [raw.on] : defaultEvents(type);
    const path = `${at.map(String).join('.')}[${i}]`;
    const label = typeof raw.name === 'string' && raw.name !== '' ? `\`${raw.name}\` (${path})` : `\`${path}\``;
    out.push({ raw, at: [...at, i], type, on, label });
  });
  return out;
}

/** The targets of a job: its own `notify:` when it has one (even empty), else the plan's. */
export function targetsOf(plan: PlanModel, job: JobModel | undefined): TargetSpec[] {
  if (job && job.raw.notify !== undefined) return specsOf(job.raw.notify, [...job.at, 'notify']);
  return specsOf(plan.notify, ['notify']);
}

/** Every target written in the plan (the check walks them all). */
export function allTargets(plan: PlanModel): TargetSpec[] {
  const out = specsOf(plan.notify, ['notify']);
  for (const j of plan.jobs.values()) if (j.raw.notify !== undefined) out.push(...specsOf(j.raw.notify, [...j.at, 'notify']));
  return out;
}

export function wants(t: TargetSpec, event: NotifyEventName): boolean {
  return t.on.includes(event);
}

/** The plan's name in events and metrics: its file name without `.backplan.yaml`/`.yaml`. */
export function planName(planPath: string): string {
  const base = planPath.split(/[\\/]/).pop() ?? planPath;
  return base.replace(/(\.backplan)?\.ya?ml$/i, '') || base;
}

/** `timeout:` in ms: a number of seconds, `Ns`, `Nms`, or a plan duration (`2min`); undefined if it does not parse. */
export function parseTimeout(v: unknown): number | undefined {
  if (typeof v === 'number') return v > 0 ? v * 1000 : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s)\s*$/.exec(v);
  if (m) return Number(m[1]) * (m[2] === 'ms' ? 1 : 1000) || undefined;
  const d = parseDuration(v);
  if (!d.ok) return undefined;
  return approxMs(d.value) || undefined;
}

// ---- body templates ----------------------------------------------------------------------
// `{{field}}` is replaced by that field of the event JSON (`{{event}}`, `{{job}}`, `{{message}}`,
// `{{host}}`, `{{kind}}`, `{{plan}}`, `{{runId}}`, `{{time}}`, `{{durationSeconds}}`,
// `{{logTail}}`), `{{json}}` by the whole event JSON; an unknown or absent field by nothing.
// A body written as a YAML mapping or list is sent as JSON: placeholders are substituted inside
// its strings, so every value is JSON-escaped by construction. A body written as a string is
// sent as it is (text/plain, unless a Content-Type header says otherwise); when that header
// says JSON, substituted values are JSON-escaped.

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

function fieldText(e: NotifyEvent, name: string): string {
  if (name === 'json') return JSON.stringify(e);
  const v = (e as unknown as Record<string, unknown>)[name];
  if (v === undefined || v === null) return '';
  return String(v);
}

export function renderText(template: string, e: NotifyEvent, escape: 'none' | 'json' = 'none'): string {
  return template.replace(PLACEHOLDER, (_, name: string) => {
    const s = fieldText(e, name);
    return escape === 'json' ? JSON.stringify(s).slice(1, -1) : s;
  });
}

function renderValue(v: unknown, e: NotifyEvent): unknown {
  if (typeof v === 'string') {
    // A string that is one placeholder of a number field keeps its type.
    const whole = /^\{\{\s*(durationSeconds)\s*\}\}$/.exec(v);
    if (whole) return e.durationSeconds;
    return renderText(v, e);
  }
  if (Array.isArray(v)) return v.map((x) => renderValue(x, e));
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, renderValue(x, e)]));
  return v;
}

/** The body of an http request and its content type. */
export function renderBody(template: unknown, e: NotifyEvent, contentType?: string): { body: string; contentType: string } {
  if (template === undefined || template === null) return { body: JSON.stringify(e), contentType: 'application/json' };
  if (typeof template === 'string') {
    const json = contentType !== undefined && /json/i.test(contentType);
    return { body: renderText(template, e, json ? 'json' : 'none'), contentType: contentType ?? 'text/plain; charset=utf-8' };
  }
  return { body: JSON.stringify(renderValue(template, e)), contentType: contentType ?? 'application/json' };
}

/** A one-line summary for titles and subjects: `backplan: job home failed`. */
export function title(e: NotifyEvent): string {
  const what = { start: 'started', success: 'succeeded', warning: 'finished with warnings', failure: 'FAILED', late: 'is LATE' }[e.event];
  return `backplan: job ${e.job} ${what}`;
}

/** The text of an e-mail or an apprise message. */
export function textBody(e: NotifyEvent): string {
  const lines = [
    `${title(e)}${e.host ? ` on ${e.host}` : ''}`,
    '',
    e.message,
    '',
    `event: ${e.event}`,
    `plan: ${e.plan}`,
    `job: ${e.job} (${e.kind})`,
    `host: ${e.host}`,
    `run: ${e.runId ?? '-'}`,
    `time: ${e.time}`,
    ...(e.durationSeconds !== null ? [`duration: ${e.durationSeconds} s`] : []),
  ];
  if (e.logTail) lines.push('', 'log:', e.logTail);
  return `${lines.join('\n')}\n`;
}
