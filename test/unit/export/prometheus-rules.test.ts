// export --to prometheus-rules: one rule file from the plan (SPEC §10), late per job from its own
// rpo, never succeeded, restore test stale, last run failed, metrics file stale.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildModel } from '../../../engine/plan/build-model';
import { parsePlan } from '../../../engine/plan/parse';
import { exportPlan } from '../../../engine/export';
import { STATUS_PLAN as PLAN } from '../../helpers/status-plan';

describe('export --to prometheus-rules', () => {
  const model = buildModel(parsePlan(PLAN).value);
  const r = exportPlan(model, 'prometheus-rules', { planPath: '/etc/backplan/site.backplan.yaml' });
  const rules = parse(r.files[0].content).groups[0].rules as { alert: string; expr: string; for?: string; labels: Record<string, string> }[];

  it('writes one group named after the plan', () => {
    expect(r.files).toHaveLength(1);
    expect(r.files[0].path).toBe('/etc/prometheus/rules/backplan-site.rules.yml');
    expect(parse(r.files[0].content).groups[0].name).toBe('backplan-site');
    expect(r.skipped).toEqual([{ job: 'parked', reason: 'disabled (enabled: false)' }]);
  });

  it('has a late rule per job from its own rpo (else 1.5 x its schedule gap)', () => {
    const late = rules.filter((x) => x.alert === 'BackplanJobLate');
    expect(late.map((x) => x.labels.job_name)).toEqual(['fresh', 'stale', 'broken', 'newbie']);
    expect(late[1].expr).toBe('backplan_job_last_success_timestamp_seconds{job_name="stale"} > 0 and time() - backplan_job_last_success_timestamp_seconds{job_name="stale"} > 86400');
    expect(late[3].expr).toMatch(/ > 32400$/);
  });

  it('has never-succeeded, restore-test-stale, failed and metrics-stale rules', () => {
    expect(rules.filter((x) => x.alert === 'BackplanJobNeverSucceeded').map((x) => x.for)).toEqual(['86400s', '86400s', '129600s', '32400s']);
    const verify = rules.filter((x) => x.alert === 'BackplanRestoreTestStale');
    expect(verify.map((x) => x.labels.job_name)).toEqual(['fresh']);
    expect(verify[0].expr).toBe(`time() - backplan_job_last_verify_timestamp_seconds{job_name="fresh"} > ${2 * 7 * 86400}`);
    expect(rules.find((x) => x.alert === 'BackplanJobFailed')!.expr).toBe('backplan_job_last_run_success{job_name=~"fresh|stale|broken|newbie"} == 0');
    expect(rules.find((x) => x.alert === 'BackplanMetricsStale')!.expr).toBe('time() - node_textfile_mtime_seconds{file=~"(.*/)?backplan\\\\.prom"} > 64800');
  });
});
