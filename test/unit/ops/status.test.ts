// `backplan status` (SPEC §10): job states from the journal, the JSON shape, the Nagios line
// and exit codes, the metrics text, and bad input (torn lines, newer journals, unreadable state).
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../cli/main';
import type { Out } from '../../../cli/output';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { readHistory, summariseJournal } from '../../../engine/ops/status/history';
import { jobState, nagios, planStatus } from '../../../engine/ops/status/state';
import { renderMetrics } from '../../../engine/ops/metrics/metrics';
import { planName, pushUrl } from '../../../engine/ops/metrics/publish';
import { checkText } from '../../../engine/check';
import { appendRaw, writeJournal } from '../../helpers/journals';
import { STATUS_PLAN as PLAN } from '../../helpers/status-plan';

const HOUR = 3600_000;
const NOW = Date.parse('2026-06-10T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();


function capture(): Out & { stdout: string; stderr: string } {
  const o = {
    color: false,
    tty: false,
    stdout: '',
    stderr: '',
    write(t: string) {
      o.stdout += t;
    },
    error(t: string) {
      o.stderr += t;
    },
    progress() {},
    endProgress() {},
  };
  return o;
}

let dir: string;
let state: string;
let planFile: string;

/** fresh: ok 3 h ago; stale: ok 30 h ago (rpo 1 d); broken: ok then failed; newbie: nothing; parked: disabled. */
function history(now = NOW) {
  writeJournal(state, planFile, 'run', [{ job: 'stale', start: iso(now - 30 * HOUR - 60_000), end: iso(now - 30 * HOUR), bytes: 100 }]);
  writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(now - 27 * HOUR), end: iso(now - 27 * HOUR + 5000), bytes: 10 }]);
  writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(now - 3 * HOUR - 90_000), end: iso(now - 3 * HOUR), bytes: 2048, kept: 2 }]);
  writeJournal(state, planFile, 'run', [{ job: 'broken', start: iso(now - 50 * HOUR), end: iso(now - 50 * HOUR + 1000) }]);
  writeJournal(state, planFile, 'run', [{ job: 'broken', start: iso(now - 2 * HOUR), end: iso(now - 2 * HOUR + 1000), status: 'failed' }]);
  writeJournal(state, planFile, 'verify', [{ job: 'fresh', start: iso(now - HOUR - 4000), end: iso(now - HOUR) }]);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'backplan-status-'));
  state = join(dir, 'state');
  planFile = join(dir, 'site.backplan.yaml');
  writeFileSync(planFile, PLAN);
  mkdirSync(join(dir, 'metrics'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const model = () => buildModel(parsePlan(PLAN).value);

describe('job states from the journal', () => {
  it('calls each job ok, late, failed, never or disabled, worst first', () => {
    history();
    const r = planStatus(model(), readHistory(state, planFile).jobs, NOW);
    expect(r.jobs.map((j) => [j.job, j.state])).toEqual([
      ['broken', 'failed'],
      ['newbie', 'never'],
      ['stale', 'late'],
      ['fresh', 'ok'],
      ['parked', 'disabled'],
    ]);
  });

  it('uses 1.5 x the longest schedule gap when the job has no rpo', () => {
    history();
    const r = planStatus(model(), readHistory(state, planFile).jobs, NOW);
    expect(r.jobs.find((j) => j.job === 'newbie')!.rpoSeconds).toBe(1.5 * 6 * 3600);
    expect(r.jobs.find((j) => j.job === 'stale')!.rpoSeconds).toBe(86_400);
    expect(r.jobs.find((j) => j.job === 'parked')!.rpoSeconds).toBeNull();
  });

  it('is pure on (job, history, deadline, now)', () => {
    const h = { lastSuccess: iso(NOW - 2 * HOUR), runs: { ok: 1, failed: 0, skipped: 0 } };
    expect(jobState({ enabled: true }, h, HOUR, NOW)).toBe('late');
    expect(jobState({ enabled: true }, h, 3 * HOUR, NOW)).toBe('ok');
    expect(jobState({ enabled: true }, h, undefined, NOW)).toBe('ok');
    expect(jobState({ enabled: false }, h, HOUR, NOW)).toBe('disabled');
    expect(jobState({ enabled: true }, undefined, HOUR, NOW)).toBe('never');
    expect(jobState({ enabled: true }, { ...h, lastRun: { id: 'r', result: 'interrupted' } }, 3 * HOUR, NOW)).toBe('failed');
  });

  it('a run still in progress does not hide the previous result; a killed one counts as failed', () => {
    writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(NOW - 3 * HOUR), end: iso(NOW - 3 * HOUR + 1000) }]);
    writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(NOW - 60_000) }], { finished: false });
    const h = readHistory(state, planFile).jobs.get('fresh')!;
    // pid 999999 on another host: not alive here, so the unfinished run was interrupted
    expect(h.lastRun!.result).toBe('interrupted');
    const alive = summariseJournal(readFileSync(join(state, 'runs', readdirSync(join(state, 'runs')).sort()[1]), 'utf8'), () => true);
    expect(alive.ok && alive.summary.jobs.fresh.result).toBe('running');
  });

  it('ignores the journals of other plans', () => {
    writeJournal(state, join(dir, 'other.backplan.yaml'), 'run', [{ job: 'newbie', start: iso(NOW - HOUR) }]);
    expect(readHistory(state, planFile).jobs.has('newbie')).toBe(false);
  });
});

describe('backplan status (CLI)', () => {
  const run = async (...args: string[]) => {
    const out = capture();
    const code = await main(['status', planFile, '--state-dir', state, ...args], out);
    return { code, ...out };
  };

  it('prints the JSON shape of SPEC §10 and exits 1 when a job is not ok', async () => {
    history(Date.now());
    const r = await run('--format', 'json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout);
    expect(Object.keys(j)).toEqual(['at', 'jobs']);
    const fresh = j.jobs.find((x: { job: string }) => x.job === 'fresh');
    expect(Object.keys(fresh).sort()).toEqual(['ageSeconds', 'bytes', 'copies', 'host', 'job', 'kind', 'lastRun', 'lastSuccess', 'lastVerify', 'rpoSeconds', 'state'].sort());
    expect(Object.keys(fresh.lastRun).sort()).toEqual(['durationSeconds', 'end', 'id', 'result', 'start']);
    expect(fresh.lastRun.durationSeconds).toBe(90);
    expect(fresh.lastRun.result).toBe('ok');
    expect(fresh).toMatchObject({ kind: 'archive', host: 'here', state: 'ok', bytes: 2048, copies: 2, rpoSeconds: 86400 });
    expect(fresh.lastVerify).toEqual({ time: expect.any(String), result: 'ok', durationSeconds: 4 });
    const newbie = j.jobs.find((x: { job: string }) => x.job === 'newbie');
    expect(newbie).toMatchObject({ state: 'never', lastRun: null, lastSuccess: null, ageSeconds: null, copies: null, bytes: null, lastVerify: null });
  });

  it('exits 0 when every job is ok or disabled, and --job selects one', async () => {
    history(Date.now());
    const r = await run('--job', 'fresh', '--format', 'json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).jobs.map((x: { job: string }) => x.job)).toEqual(['fresh']);
    const bad = await run('--job', 'nope');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/no job `nope`/);
  });

  it('text: one aligned line per job, worst first, no colour when not a terminal', async () => {
    history(Date.now());
    const r = await run();
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines.slice(0, 5).map((l) => l.split(/\s+/)[0])).toEqual(['failed', 'never', 'late', 'ok', 'disabled']);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const col = lines[0].indexOf('broken');
    for (const l of lines.slice(0, 5)) expect(l.split(/\s+/)[1]).toBe(l.slice(col).split(/\s+/)[0]);
    expect(lines[5]).toMatch(/5 jobs: 1 ok, 1 late, 1 failed, 1 never, 1 disabled/);
  });

  it('nagios: one Monitoring Plugins line, CRITICAL with a failed or never-run job', async () => {
    history(Date.now());
    const r = await run('--format', 'nagios');
    expect(r.code).toBe(2);
    expect(r.stdout).toMatch(/^BACKPLAN CRITICAL - failed: broken; never ran: newbie; late: stale \| ok=1;;;0;4 late=1;0;;0;4 failed=1;;0;0;4 never=1;;0;0;4 disabled=1\n$/);
  });

  it('nagios: WARNING when a job is late, CRITICAL when late by more than twice its rpo, OK otherwise', () => {
    const m = model();
    const mk = (ageH: number) => new Map([['stale', { lastSuccess: iso(NOW - ageH * HOUR), lastRun: { id: 'r', result: 'ok' as const }, runs: { ok: 1, failed: 0, skipped: 0 } }]]);
    const only = (ageH: number) => nagios(planStatus(m, mk(ageH), NOW, 'stale'));
    expect(only(30)).toMatchObject({ code: 1, line: expect.stringMatching(/^BACKPLAN WARNING - late: stale \|/) });
    expect(only(49).code).toBe(2);
    expect(only(5)).toMatchObject({ code: 0, line: expect.stringMatching(/^BACKPLAN OK - 1 of 1 jobs ok \|/) });
  });

  it('prometheus: prints the metrics and writes monitoring.textfile atomically', async () => {
    history();
    const r = await run('--format', 'prometheus');
    expect(r.stdout).toMatch(/^backplan_job_last_success_timestamp_seconds\{job_name="fresh",kind="archive",host="here",storage="disk"\} \d+/m);
    expect(readFileSync(join(dir, 'metrics', 'backplan.prom'), 'utf8')).toBe(r.stdout);
    expect(readdirSync(join(dir, 'metrics'))).toEqual(['backplan.prom']);
  });
});

describe('bad input', () => {
  const run = async (...args: string[]) => {
    const out = capture();
    const code = await main(['status', planFile, '--state-dir', state, ...args], out);
    return { code, ...out };
  };

  it('skips a torn or corrupt journal line and reads the others', async () => {
    const id = writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(NOW - HOUR), end: iso(NOW - HOUR + 1000) }]);
    appendRaw(state, id, '{"t":"2026-06-10T11:59:00Z","type":"job-st');
    const other = writeJournal(state, planFile, 'run', [{ job: 'stale', start: iso(NOW - HOUR), end: iso(NOW - HOUR + 1000) }]);
    const path = join(state, 'runs', `${other}.jsonl`);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.splice(2, 0, '\u0000garbage{]');
    writeFileSync(path, lines.join('\n'));
    const h = readHistory(state, planFile, { index: false }).jobs;
    expect(h.get('fresh')!.lastSuccess).toBe(iso(NOW - HOUR + 1000));
    expect(h.get('stale')!.lastSuccess).toBe(iso(NOW - HOUR + 1000));
  });

  it('leaves out a journal written by a newer Backplan, with one line', async () => {
    writeJournal(state, planFile, 'run', [{ job: 'fresh', start: iso(NOW - HOUR) }], { format: 99 });
    const r = await run('--format', 'json');
    expect(r.stderr).toBe('backplan: 1 journal was written by a newer Backplan and left out; upgrade to read them\n');
    expect(JSON.parse(r.stdout).jobs.find((j: { job: string }) => j.job === 'fresh').state).toBe('never');
  });

  it('an unreadable state directory is one line and exit 2 (nagios: UNKNOWN, 3)', async () => {
    writeFileSync(state, 'not a directory');
    const r = await run();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^backplan: state directory .* is not a directory\n$/);
    const n = await run('--format', 'nagios');
    expect(n.code).toBe(3);
    expect(n.stdout).toMatch(/^BACKPLAN UNKNOWN - /);
  });

  it('a state directory with no journal yet: every enabled job never ran', async () => {
    const r = await run('--format', 'json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).jobs.filter((j: { state: string }) => j.state === 'never')).toHaveLength(4);
  });

  it('a corrupt index is rebuilt; a finished journal is read once and then served from the index', () => {
    history();
    const a = readHistory(state, planFile);
    expect(JSON.parse(readFileSync(join(state, 'status-index.json'), 'utf8')).files).toHaveLength(6);
    writeFileSync(join(state, 'status-index.json'), '{"v":2,"files":');
    const b = readHistory(state, planFile);
    expect([...b.jobs]).toEqual([...a.jobs]);
    // a journal added later is folded in; one removed makes the index rebuilt
    const id = writeJournal(state, planFile, 'run', [{ job: 'newbie', start: iso(NOW - HOUR), end: iso(NOW - HOUR + 1000) }]);
    expect(readHistory(state, planFile).jobs.get('newbie')!.lastSuccess).toBe(iso(NOW - HOUR + 1000));
    rmSync(join(state, 'runs', `${id}.jsonl`));
    expect(readHistory(state, planFile).jobs.has('newbie')).toBe(false);
    expect([...readHistory(state, planFile).jobs]).toEqual([...a.jobs]);
  });
});

describe('metrics', () => {
  it('has the SPEC §10 names and labels, 0 for never, nothing for unknown values', async () => {
    history();
    const text = await renderMetrics(model(), readHistory(state, planFile).jobs, NOW);
    for (const name of [
      'backplan_job_last_run_timestamp_seconds',
      'backplan_job_last_success_timestamp_seconds',
      'backplan_job_last_run_duration_seconds',
      'backplan_job_last_run_success',
      'backplan_job_runs_total',
      'backplan_job_expected_interval_seconds',
      'backplan_job_rpo_seconds',
      'backplan_job_copies',
      'backplan_job_bytes',
      'backplan_job_last_verify_timestamp_seconds',
      'backplan_job_last_verify_success',
      'backplan_job_last_restore_duration_seconds',
    ])
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (gauge|counter)$`, 'm'));
    const L = (job: string) => `job_name="${job}",kind="archive",host="here",storage="disk"`;
    expect(text).toContain(`backplan_job_last_success_timestamp_seconds{${L('newbie')}} 0\n`);
    expect(text).not.toContain(`backplan_job_last_run_success{${L('newbie')}}`);
    expect(text).toContain(`backplan_job_last_run_success{${L('broken')}} 0\n`);
    expect(text).toContain(`backplan_job_runs_total{${L('broken')},result="failed"} 1\n`);
    expect(text).toContain(`backplan_job_runs_total{${L('fresh')},result="ok"} 2\n`);
    expect(text).toContain(`backplan_job_expected_interval_seconds{${L('newbie')}} 21600\n`);
    expect(text).toContain(`backplan_job_copies{${L('fresh')}} 2\n`);
    expect(text).not.toMatch(/^backplan_job_rto_seconds\{/m);
  });

  it('groups pushes under job="backplan" and the plan file name', () => {
    expect(planName('/etc/backplan/site.backplan.yaml')).toBe('site');
    expect(pushUrl('http://127.0.0.1:9091/', 'site')).toBe('http://127.0.0.1:9091/metrics/job/backplan/plan/site');
  });
});

describe('rule backup-late', () => {
  it('warns on a job whose newest good copy is older than its rpo, at its rpo value', () => {
    const last = new Map([
      ['stale', iso(NOW - 30 * HOUR)],
      ['fresh', iso(NOW - 3 * HOUR)],
    ]);
    const r = checkText(PLAN, { now: NOW, lastSuccess: last });
    const late = r.findings.filter((f) => f.rule === 'backup-late');
    expect(late).toHaveLength(1);
    expect(late[0].severity).toBe('warning');
    expect(late[0].message).toMatch(/job `stale` last succeeded 1d 6h ago .* longer than its rpo 1d/);
    const at = PLAN.indexOf('rpo: 1d', PLAN.indexOf('  stale:')) + 'rpo: '.length;
    expect(late[0].range).toEqual({ start: at, end: at + 2 });
  });

  it('is off without journal state', () => {
    expect(checkText(PLAN, { now: NOW }).findings.filter((f) => f.rule === 'backup-late')).toEqual([]);
  });

  it('backplan check --state-dir reads the journal', async () => {
    history(Date.now());
    const out = capture();
    const code = await main(['check', planFile, '--state-dir', state, '--format', 'json'], out);
    expect(code).toBe(0);
    const rules = JSON.parse(out.stdout).files[0].diagnostics.map((d: { rule: string; message: string }) => `${d.rule}: ${d.message.split(' ')[1]}`);
    // stale: 30 h against its rpo 1d; broken: 50 h against 1.5 x its daily schedule; fresh is on time
    expect(rules.filter((x: string) => x.startsWith('backup-late')).sort()).toEqual(['backup-late: `broken`', 'backup-late: `stale`']);
  });
});
