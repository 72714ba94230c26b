// The pure half of the status view and lens: reading `backplan status --format json` (SPEC §10),
// the one-line state of a job ("✓ 3 h ago · 12 copies", "late by 2 d", "failed 2026-12-01 03:00",
// "never ran"), the rows of the view, the job headers of a plan's text and its metrics file.
// No 'vscode' import: test/unit/client/status-data.test.ts runs it as it is.
import { DateTime } from 'luxon';
import { isMap, isScalar } from 'yaml';
import { monitoringOf } from '../engine/ops/metrics/publish';
import { parsePlan } from '../engine/plan/parse';

export type JobStateJson = 'ok' | 'late' | 'failed' | 'never' | 'disabled';

export interface JobStatusJson {
  job: string;
  kind: string;
  host: string | null;
  state: JobStateJson;
  lastRun: { id: string; start: string | null; end: string | null; durationSeconds: number | null; result: string } | null;
  lastSuccess: string | null;
  ageSeconds: number | null;
  rpoSeconds: number | null;
  copies: number | null;
  bytes: number | null;
  lastVerify: { time: string; result: string; durationSeconds: number } | null;
}

export interface StatusJson {
  at: string;
  jobs: JobStatusJson[];
}

const STATES: readonly string[] = ['ok', 'late', 'failed', 'never', 'disabled'];

/** The JSON of `backplan status --format json`, or undefined when stdout is not that. */
export function parseStatus(stdout: string): StatusJson | undefined {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object' || !Array.isArray((v as { jobs?: unknown }).jobs)) return undefined;
  const r = v as StatusJson;
  if (!r.jobs.every((j) => j && typeof j.job === 'string' && STATES.includes(j.state))) return undefined;
  return r;
}

/** True when the state directory knows something of this plan (a run or a restore test of any job). */
export function hasState(r: StatusJson | undefined): r is StatusJson {
  return !!r && r.jobs.some((j) => j.lastRun !== null || j.lastVerify !== null || j.lastSuccess !== null);
}

/** A span in the largest unit that fits, rounded down: "45 s", "12 min", "3 h", "2 d". */
export function span(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86400)} d`;
}

/** "3 h ago" for an ISO time, seen at `now` (epoch ms). */
export function ago(iso: string, now: number): string {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  const s = (now - t) / 1000;
  return s < 60 ? 'just now' : `${span(s)} ago`;
}

/** "2026-12-01 03:00" in the editor's local zone. */
export function shortTime(iso: string): string {
  const d = DateTime.fromISO(iso);
  return d.isValid ? d.toLocal().toFormat('yyyy-MM-dd HH:mm') : iso;
}

const copiesText = (n: number) => `${n} ${n === 1 ? 'copy' : 'copies'}`;

/** Seconds since the last success at `now` (the report's age moves on between refreshes). */
function ageAt(j: JobStatusJson, now: number): number | null {
  if (j.lastSuccess) {
    const t = Date.parse(j.lastSuccess);
    if (!Number.isNaN(t)) return Math.max(0, (now - t) / 1000);
  }
  return j.ageSeconds;
}

/** The lens above a job: its state in one line. */
export function lensText(j: JobStatusJson, now: number): string {
  switch (j.state) {
    case 'ok': {
      const bits = [`✓ ${j.lastSuccess ? ago(j.lastSuccess, now) : 'ok'}`];
      if (j.copies !== null) bits.push(copiesText(j.copies));
      return bits.join(' · ');
    }
    case 'late': {
      const age = ageAt(j, now);
      return age !== null && j.rpoSeconds !== null ? `late by ${span(age - j.rpoSeconds)}` : 'late';
    }
    case 'failed': {
      const t = j.lastRun?.start ?? j.lastRun?.end;
      return t ? `failed ${shortTime(t)}` : 'failed';
    }
    case 'never':
      return 'never ran';
    case 'disabled':
      return 'disabled';
  }
}

/** The last restore test in words. */
export function verifyText(j: JobStatusJson, now: number): string {
  if (!j.lastVerify) return 'no restore test';
  return `restore test ${j.lastVerify.result} ${ago(j.lastVerify.time, now)}`;
}

/** The description beside a job in the view: state · last success · copies · restore test. */
export function rowDescription(j: JobStatusJson, now: number): string {
  const bits: string[] = [j.state];
  if (j.state === 'late') bits[0] = lensText(j, now);
  if (j.state === 'failed') bits[0] = lensText(j, now);
  bits.push(j.lastSuccess ? `last success ${ago(j.lastSuccess, now)}` : 'no success yet');
  if (j.copies !== null) bits.push(copiesText(j.copies));
  bits.push(verifyText(j, now));
  return bits.join(' · ');
}

function size(b: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = b;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}

/** The detail rows under a job: label and value. */
export function detailRows(j: JobStatusJson, now: number): { label: string; value: string }[] {
  const rows: { label: string; value: string }[] = [{ label: 'State', value: j.state }];
  rows.push({
    label: 'Last run',
    value: j.lastRun
      ? `${j.lastRun.result}${j.lastRun.start ? ` ${shortTime(j.lastRun.start)} (${ago(j.lastRun.start, now)})` : ''}${j.lastRun.durationSeconds !== null ? `, ${j.lastRun.durationSeconds.toFixed(1)} s` : ''}`
      : 'none',
  });
  rows.push({ label: 'Last success', value: j.lastSuccess ? `${ago(j.lastSuccess, now)} (${shortTime(j.lastSuccess)})` : 'none' });
  if (j.rpoSeconds !== null) rows.push({ label: 'RPO', value: span(j.rpoSeconds) });
  rows.push({ label: 'Copies', value: j.copies === null ? 'unknown' : `${j.copies}${j.bytes !== null ? ` (${size(j.bytes)})` : ''}` });
  rows.push({ label: 'Last restore test', value: j.lastVerify ? `${j.lastVerify.result} ${ago(j.lastVerify.time, now)} (${shortTime(j.lastVerify.time)})` : 'none' });
  rows.push({ label: 'Kind', value: `${j.kind}${j.host ? ` on ${j.host}` : ''}` });
  return rows;
}

/** The text status document: one block per job. */
export function statusDocument(plan: string, r: StatusJson, now: number): string {
  const lines = [`Status of ${plan} at ${shortTime(r.at)}`, ''];
  for (const j of r.jobs) {
    lines.push(`${j.job}: ${lensText(j, now)}`);
    for (const d of detailRows(j, now)) lines.push(`  ${d.label}: ${d.value}`);
    lines.push('');
  }
  const n = (s: string) => r.jobs.filter((j) => j.state === s).length;
  lines.push(`${r.jobs.length} jobs: ${n('ok')} ok, ${n('late')} late, ${n('failed')} failed, ${n('never')} never, ${n('disabled')} disabled`);
  return `${lines.join('\n')}\n`;
}

/** Where each job's name is in the plan's text (UTF-16 offsets), for the lenses. */
export function jobHeaders(text: string): Map<string, number> {
  const out = new Map<string, number>();
  const doc = parsePlan(text).doc;
  const root = doc?.contents;
  if (!isMap(root)) return out;
  const jobs = root.items.find((p) => isScalar(p.key) && p.key.value === 'jobs');
  if (!jobs || !isMap(jobs.value)) return out;
  for (const p of jobs.value.items) {
    if (isScalar(p.key) && typeof p.key.value === 'string' && p.key.range) out.set(p.key.value, p.key.range[0]);
  }
  return out;
}

/** The plan's `monitoring.textfile`, absolute (relative to the plan's folder), or undefined. */
export function metricsFile(text: string, planPath: string): string | undefined {
  const v = parsePlan(text).value;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  return monitoringOf({ monitoring: (v as { monitoring?: unknown }).monitoring } as Parameters<typeof monitoringOf>[0], planPath).textfile;
}
