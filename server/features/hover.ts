// Hover: schedules (words + the next runs in the job's zone and in UTC), durations (normalised
// and their length), names (what they point to), jobs (the chain's 3-2-1 line), retention (the
// projected set at the horizon, which rules keep what, the pruning engine's notes about the forms
// the policy uses and a link to the rest), and every other key: its documentation from the schema.
import { DateTime } from 'luxon';
import { MarkupKind, type Hover, type Position } from 'vscode-languageserver/node';
import { jobPolicy, jobZone } from '../../engine/plan/build-model';
import type { PlanModel } from '../../engine/plan/model';
import { fieldAt } from '../../engine/plan/schema';
import { engineForJob } from '../../engine/retention/index';
import { approxMs, formatDuration, formatSpan, maxMs, minMs, parseDuration, type Duration } from '../../engine/time/duration';
import { parseSchedule } from '../../engine/time/schedule';
import { describeSchedule } from '../../engine/time/words';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';
import { FULL_FIRES, QUICK_FIRES, roughAge, ruleProjections, type Projection } from '../projections';
import { engineDocMarkdown } from '../retention-docs';
import { nodeAt, type Path } from '../yaml-path';
import { code, jobOfPath, nodeByPath, type FeatureEnv } from './env';
import { invalidRetention } from './inlay-hints';
import { summary } from './summaries';

export const NEXT_RUNS = 5;
/** Held snapshots listed in a retention hover (newest ones, then the oldest ones). */
const LISTED = 6;

export function hover(a: Analysis, position: Position, env: FeatureEnv): Hover | null {
  const offset = a.lines.offset(position);
  const doc = a.parsed.doc;
  const at = nodeAt(doc, offset);
  if (!at) return null;
  const plan = a.model;
  const value = a.lenientValue;
  const range = at.range ? toRange(a.lines, at.range) : undefined;
  const md = (text: string | undefined): Hover | null =>
    text ? { contents: { kind: MarkupKind.Markdown, value: text }, ...(range ? { range } : {}) } : null;
  const path = at.path;

  // names: a definition key or a reference value (a job's `retention: NAME` is about retention)
  const name = nameIndex(a).at(offset);
  const retentionRef = name && !name.isDefinition && name.section === 'policies' && path[0] === 'jobs' && path[2] === 'retention';
  if (name && !retentionRef && !(name.isDefinition && name.section === 'policies')) {
    return md(summary(a, name.section, name.name) ?? `${code(name.name)} is not defined under \`${name.section}\``);
  }
  if (at.part === 'key' && path.length === 2 && path[0] === 'policies') return md(policyHover(a, String(path[1]), env));

  // retention: the `retention` key or its value, and anything inside an inline policy
  const job = jobOfPath(path);
  if (job && path[2] === 'retention' && (path.length === 3 || at.part === 'key')) {
    const policy = retentionRef ? summary(a, 'policies', name.name) : undefined;
    // the key's general documentation (every form of a policy) only when no projection is shown
    const r = retentionHover(a, job, env);
    return md(joinParts(r.text, policy, r.projected ? undefined : describe(path, value)));
  }
  if (job && path[2] === 'retention' && path.length > 3) return md(joinParts(describe(path, value), retentionHover(a, job, env).text));

  if (at.part === 'value' && at.scalar) {
    const field = safeField(path, value);
    const text = at.scalar.value;
    if (field?.valueType === 'cron' && typeof text === 'string') return md(scheduleHover(plan, path, text, a.now, field.description));
    if (field?.valueType === 'duration' && (typeof text === 'string' || typeof text === 'number')) return md(durationHover(String(text), field.description));
    if (field?.values && field.values.length > 0) {
      const v = field.values.find((e) => e.value === text);
      if (v?.description) return md(`${code(text)} — ${v.description}`);
    }
    return md(field?.description);
  }
  if (at.part === 'key') return md(describe(path, value));
  return null;
}

function safeField(path: Path, value: unknown): ReturnType<typeof fieldAt> | undefined {
  try {
    return fieldAt(path, value);
  } catch {
    return undefined;
  }
}

function describe(path: Path, value: unknown): string | undefined {
  const f = safeField(path, value);
  if (!f?.description) return undefined;
  const key = [...path].reverse().find((s) => typeof s === 'string');
  const head = key !== undefined ? `**${key}**` : '';
  const example = f.examples.length > 0 ? `\n\nExample: ${code(typeof f.examples[0] === 'object' ? JSON.stringify(f.examples[0]) : f.examples[0])}` : '';
  return `${head}${head ? ' — ' : ''}${f.description}${example}`;
}

const joinParts = (...parts: (string | undefined)[]): string | undefined => {
  const p = parts.filter((x): x is string => !!x);
  return p.length > 0 ? p.join('\n\n---\n\n') : undefined;
};

// ---------------------------------------------------------------------------------------------
// Schedules

/** The zone a schedule at `path` is evaluated in: its job's (host's, else the plan's). */
function zoneOfPath(plan: PlanModel, path: Path): string {
  const job = jobOfPath(path);
  const j = job !== undefined ? plan.jobs.get(job) : undefined;
  return j ? jobZone(plan, j) : plan.timezone;
}

const fmt = (t: number, zone: string): string => DateTime.fromMillis(t, { zone }).toFormat('ccc yyyy-LL-dd HH:mm');

export function scheduleHover(plan: PlanModel, path: Path, expr: string, now: number, description?: string): string {
  const zone = zoneOfPath(plan, path);
  const words = describeSchedule(expr);
  const parsed = parseSchedule(expr, zone);
  const lines = [`**${code(expr)}** — ${words ?? 'not a valid schedule'}`];
  if (parsed.ok) {
    const runs = parsed.schedule.nextRuns(now, NEXT_RUNS);
    if (runs.length > 0) {
      const utc = zone === 'UTC' || zone === 'Etc/UTC';
      lines.push('', `Next ${runs.length} runs:`, '');
      if (utc) {
        lines.push('| UTC |', '|---|', ...runs.map((t) => `| ${fmt(t, 'UTC')} |`));
      } else {
        lines.push(`| ${zone} | UTC |`, '|---|---|', ...runs.map((t) => `| ${fmt(t, zone)} ${DateTime.fromMillis(t, { zone }).toFormat('ZZ')} | ${fmt(t, 'UTC')} |`));
      }
    } else lines.push('', '_Never fires._');
  } else {
    lines.push('', parsed.message);
  }
  if (description) lines.push('', '---', '', description);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Durations

const UNIT_WORDS: Record<keyof Duration, [string, string]> = {
  y: ['year', 'years'],
  mo: ['month', 'months'],
  w: ['week', 'weeks'],
  d: ['day', 'days'],
  h: ['hour', 'hours'],
  min: ['minute', 'minutes'],
};

export function durationWords(d: Duration): string {
  const parts = (Object.keys(UNIT_WORDS) as (keyof Duration)[])
    .filter((u) => d[u] !== 0)
    .map((u) => `${d[u]} ${UNIT_WORDS[u][d[u] === 1 ? 0 : 1]}`);
  return parts.length === 0 ? 'zero' : parts.join(', ');
}

export function durationHover(text: string, description?: string): string {
  const r = parseDuration(text);
  if (!r.ok) return joinParts(`**${code(text)}** — ${r.message}`, description)!;
  const d = r.value;
  const normal = formatDuration(d);
  const lines = [`**${code(normal)}** — ${durationWords(d)}${normal !== text.trim() ? ` (written ${code(text)})` : ''}`];
  if (d.y !== 0 || d.mo !== 0) {
    lines.push('', `≈ ${formatSpan(approxMs(d))} on average; calendar months and years: between ${formatSpan(minMs(d))} and ${formatSpan(maxMs(d))}.`);
  } else {
    const ms = approxMs(d);
    lines.push('', `= ${formatSpan(ms)}${ms >= 86_400_000 ? ` = ${Math.round(ms / 3_600_000)} h` : ''}`);
  }
  if (description) lines.push('', '---', '', description);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// Retention

/** The projection for a hover: the full one when cached, else a quick one now and the full one queued. */
function hoverProjection(a: Analysis, job: string, env: FeatureEnv): Projection {
  const full = env.projector.peek(a.model, job, a.now, FULL_FIRES);
  if (full) return full;
  env.projector.queue(a.model, job, a.now, FULL_FIRES);
  return env.projector.get(a.model, job, a.now, QUICK_FIRES);
}

const day = (iso: string): string => iso.replace(/T(\d\d:\d\d).*$/, ' $1');

export function projectionMarkdown(p: Projection, title: string): string {
  const r = p.result;
  if (!r) return `${title}\n\n_No projection: ${p.error ?? 'unknown reason'}._`;
  const at = Date.parse(r.at);
  const horizon = roughAge(at - Date.parse(r.from));
  const lines = [
    title,
    '',
    `At ${day(r.at)} (${horizon} from now, ${r.timezone}): **${r.stats.count} held**` +
      (r.stats.oldest ? `, oldest ${day(r.stats.oldest)} (${roughAge(at - Date.parse(r.stats.oldest))} old)` : ''),
  ];
  const rows = ruleProjections(p);
  if (rows.length > 0) {
    lines.push('', '| rule | keeps | oldest |', '|---|---:|---|');
    for (const row of rows) lines.push(`| ${row.label} | ${row.count} | ${row.oldestAge !== undefined ? roughAge(row.oldestAge) : '—'} |`);
  }
  const s = r.stats;
  lines.push(
    '',
    `Over the run: ${s.created} created, ${s.removed} removed${s.expired ? ` (${s.expired} expired)` : ''}, between ${s.minCount} and ${s.maxCount} held` +
      (s.worstGap ? `; worst gap ${s.worstGap.human}` : '') +
      '.',
  );
  if (r.snapshots.length > 0) {
    const shown = r.snapshots.length <= 2 * LISTED ? r.snapshots : [...r.snapshots.slice(0, LISTED), undefined, ...r.snapshots.slice(-LISTED)];
    lines.push('', 'Held (newest first):', '');
    for (const snap of shown) lines.push(snap ? `- ${day(snap.time)} — ${snap.reasons.join('; ')}` : `- … ${r.snapshots.length - 2 * LISTED} more …`);
  }
  if (p.capped) {
    lines.push(
      '',
      `_Bounded: the first ${p.capped.fires} runs (${roughAge(p.capped.simulatedMs)}) of the ${roughAge(p.capped.horizonMs)} horizon` +
        (p.maxFires < FULL_FIRES ? '; a longer projection is being computed — hover again' : '') +
        '. `Simulate retention` runs the whole horizon._',
    );
  }
  return lines.join('\n');
}

function retentionHover(a: Analysis, job: string, env: FeatureEnv): { text?: string; projected: boolean } {
  const plan = a.model;
  const j = plan.jobs.get(job);
  if (!j) return { projected: false };
  const policy = jobPolicy(plan, j);
  if (!policy) return { text: typeof j.retention === 'string' ? `Policy ${code(j.retention)} is not defined.` : undefined, projected: false };
  const engine = engineForJob(plan, j, policy);
  const invalid = invalidRetention(a, j.retention, nodeByPath(a.parsed.doc, ['jobs', job, 'retention']) ?? undefined);
  if (invalid) return { text: `**Retention of ${code(job)}**\n\n_No projection: the policy is invalid (${invalid})._`, projected: false };
  const p = hoverProjection(a, job, env);
  const title = `**Retention of ${code(job)}** (${typeof j.retention === 'string' ? `policy ${code(j.retention)}` : 'inline'})`;
  return { text: joinParts(projectionMarkdown(p, title), engineDocMarkdown(engine.id, engine.release, policy)), projected: true };
}

function policyHover(a: Analysis, name: string, env: FeatureEnv): string | undefined {
  const plan = a.model;
  const head = summary(a, 'policies', name);
  const users = [...plan.jobs.values()].filter((j) => j.retention === name);
  const engines = new Set<string>();
  const parts: (string | undefined)[] = [head];
  const invalid = users.length > 0 ? invalidRetention(a, name, undefined) : undefined;
  if (invalid) parts.push(`_No projection: the policy is invalid (${invalid})._`);
  else {
    for (const u of users.slice(0, 2)) {
      parts.push(projectionMarkdown(hoverProjection(a, u.name, env), `**For job ${code(u.name)}**`));
    }
  }
  const policy = plan.policies.get(name);
  for (const u of users) {
    const e = engineForJob(plan, u, policy);
    engines.add(engineDocMarkdown(e.id, e.release, policy));
  }
  if (engines.size === 0) engines.add(engineDocMarkdown('native', undefined, policy));
  for (const e of engines) parts.push(e);
  return joinParts(...parts);
}

