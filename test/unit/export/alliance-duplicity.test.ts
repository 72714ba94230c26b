// The Alliance seed example (examples/alliance-duplicity.backplan.yaml, duplicity jobs on remote
// hosts) simulated and exported to every target: the schedulers (systemd, cron) run Backplan's
// own run and verify for each job at its schedule in its zone, prometheus-rules watches each job
// by its rpo and restore test, and the tool-specific targets decline duplicity jobs by name.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { EXPORT_TARGETS, exportPlan } from '../../../engine/export/index';
import { prometheusRules } from '../../../engine/export/prometheus-rules';
import { simulateJob } from '../../../engine/simulate/simulate-job';
import { ROOT } from '../../helpers/cli';

const NOW = Date.parse('2026-11-22T00:00:00Z');
const text = readFileSync(join(ROOT, 'examples', 'alliance-duplicity.backplan.yaml'), 'utf8');
const plan = checkText(text, { now: NOW }).model!;
const JOBS = ['web-files', 'files-homes', 'web-files-offsite', 'files-homes-offsite'];
const PLAN_PATH = '/etc/backplan/alliance.backplan.yaml';
const opts = { planPath: PLAN_PATH };

describe('examples/alliance-duplicity', () => {
  it('holds four duplicity jobs on the servers, writing to the two backup servers', () => {
    expect([...plan.jobs.keys()]).toEqual(JOBS);
    for (const j of plan.jobs.values()) expect([j.kind, j.host]).toEqual(['duplicity', j.name.split('-')[0]]);
  });

  it('simulates monthly chains: three held, each whole, nightly restore points', () => {
    const from = Date.parse('2027-01-01T00:00:00Z');
    const sim = simulateJob(plan, 'web-files', { from, at: Date.parse('2027-06-01T00:00:00Z') });
    expect(sim.engine).toBe('duplicity');
    expect(sim.duplicity?.chains).toBe(3);
    expect(sim.duplicity?.restorePoints).toBe(sim.snapshots.length);
    const oldestFirst = [...sim.snapshots].reverse();
    expect(oldestFirst[0].type).toBe('full');
    // Fulls 30 days apart (duplicity's month), the sets in between incrementals of the night before.
    const fulls = oldestFirst.filter((s) => s.type === 'full').map((s) => Date.parse(s.time));
    for (let i = 1; i < fulls.length; i++) expect(fulls[i] - fulls[i - 1]).toBeGreaterThanOrEqual(30 * 86_400_000);
    const times = oldestFirst.map((s) => Date.parse(s.time));
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeLessThanOrEqual(25 * 3_600_000);
    expect(sim.duplicity?.bytes).toBeGreaterThan(3 * 40e9);
  });

  it('systemd: a run and a verify unit per job, at its schedule in America/Toronto', () => {
    const r = exportPlan(plan, 'systemd', opts);
    expect(r.problems).toEqual([]);
    expect(r.skipped).toEqual([]);
    const byPath = new Map(r.files.map((f) => [f.path.split('/').pop()!, f.content]));
    expect(byPath.size).toBe(JOBS.length * 4);
    const service = byPath.get('backplan-web\\x2dfiles.service')!;
    expect(service).toContain(`ExecStart=backplan run ${PLAN_PATH} --job web-files`);
    expect(byPath.get('backplan-web\\x2dfiles.timer')).toContain('OnCalendar=*-*-* 03:30:00 America/Toronto');
    expect(byPath.get('backplan-web\\x2dfiles-verify.service')).toContain(
      `ExecStart=backplan verify ${PLAN_PATH} --job web-files`,
    );
    expect(byPath.get('backplan-files\\x2dhomes\\x2doffsite.timer')).toContain(
      'OnCalendar=Sat *-*-* 06:00:00 America/Toronto',
    );
  });

  it('cron: one line per run and verify, under CRON_TZ of the plan', () => {
    const r = exportPlan(plan, 'cron', opts);
    expect(r.problems).toEqual([]);
    const lines = r.files[0].content.split('\n');
    expect(lines).toContain('CRON_TZ=America/Toronto');
    expect(lines.filter((l) => / root backplan (run|verify) /.test(l))).toHaveLength(JOBS.length * 2);
    expect(lines).toContain(`30 3 * * * root backplan run ${PLAN_PATH} --job web-files`);
    expect(lines).toContain(`0 9 1 * * root backplan verify ${PLAN_PATH} --job files-homes-offsite`);
  });

  it('prometheus-rules: late by each rpo, and a stale restore test for each job', () => {
    const rules = prometheusRules(plan, JOBS, PLAN_PATH, NOW);
    const late = (job: string) => rules.find((r) => r.alert === 'BackplanJobLate' && r.labels.job_name === job)!;
    expect(late('web-files').expr).toMatch(/> 90000$/); // rpo 25h
    expect(late('files-homes-offsite').expr).toMatch(/> 691200$/); // rpo 8d
    const stale = rules.filter((r) => r.alert === 'BackplanRestoreTestStale').map((r) => r.labels.job_name);
    expect(stale).toEqual(JOBS);
  });

  it('the tool-specific targets decline every duplicity job, naming its kind', () => {
    for (const target of EXPORT_TARGETS.filter((t) => !['systemd', 'cron', 'prometheus-rules'].includes(t))) {
      const r = exportPlan(plan, target, opts);
      expect(r.files, target).toEqual([]);
      expect(r.problems, target).toEqual([]);
      expect(r.skipped.map((s) => s.job), target).toEqual(JOBS);
      for (const s of r.skipped) expect(s.reason, target).toContain('kind duplicity');
    }
  });
});
