// The metrics and alert rules against the real Prometheus stack (Debian's prometheus 2.42 with
// promtool, prometheus-node-exporter 1.5, prometheus-pushgateway 1.5): a real `backplan run`
// writes the textfile and pushes to a Pushgateway; promtool accepts the file and the exported
// rules; node_exporter serves the file, Prometheus scrapes it and, evaluating the exported rules,
// fires the late alert for the job whose last success is older than its rpo, and for no other.
// Every process listens on loopback, is started here and stopped here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backplan } from '../helpers/cli';
import { requireTools } from '../helpers/integration';
import { writeJournal } from '../helpers/journals';

const ok = requireTools('promtool', 'prometheus', 'prometheus-node-exporter', 'prometheus-pushgateway');
const HOUR = 3600_000;

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

describe.skipIf(!ok)('monitoring with the real Prometheus stack', () => {
  const procs: ChildProcess[] = [];
  let dir: string;
  let textDir: string;
  let planFile: string;
  let state: string;
  let pgPort: number;
  const logs: Record<string, string> = {};

  const start = (name: string, cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    logs[name] = '';
    p.stdout!.on('data', (d) => (logs[name] += d));
    p.stderr!.on('data', (d) => (logs[name] += d));
    procs.push(p);
    return p;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'backplan-monitoring-'));
    textDir = join(dir, 'textfile');
    state = join(dir, 'state');
    mkdirSync(textDir);
    mkdirSync(join(dir, 'data'));
    mkdirSync(join(dir, 'backups'));
    writeFileSync(join(dir, 'data', 'a.txt'), 'hello\n');
    pgPort = await freePort();
    planFile = join(dir, 'site.backplan.yaml');
    const job = (name: string, rpo: string) =>
      `  ${name}:\n    kind: archive\n    host: here\n    paths: [data]\n    to: disk\n    schedule: "0 3 * * *"\n    rpo: ${rpo}\n    retention: { keep: { last: 3 } }\n`;
    writeFileSync(
      planFile,
      `version: 1\ntimezone: UTC\nmonitoring:\n  textfile: ${join(textDir, 'backplan.prom')}\n  pushgateway: http://127.0.0.1:${pgPort}\n` +
        `hosts:\n  here: { site: home }\nstorage:\n  disk: { host: here, media: ssd, path: backups }\njobs:\n` +
        job('docs', '1d') + job('old', '1d') + job('recent', '1d') +
        'checks: { coverage-3-2-1: off }\n',
    );
    // History: `old` last succeeded 3 days ago (rpo 1d), `recent` an hour ago; `docs` runs for real below.
    const iso = (ms: number) => new Date(ms).toISOString();
    const now = Date.now();
    writeJournal(state, planFile, 'run', [{ job: 'old', start: iso(now - 72 * HOUR - 60_000), end: iso(now - 72 * HOUR) }]);
    writeJournal(state, planFile, 'run', [{ job: 'recent', start: iso(now - HOUR - 60_000), end: iso(now - HOUR) }]);
    start('pushgateway', 'prometheus-pushgateway', [`--web.listen-address=127.0.0.1:${pgPort}`, `--persistence.file=${join(dir, 'pg.store')}`]);
    await waitFor('the pushgateway', async () => ((await fetch(`http://127.0.0.1:${pgPort}/-/ready`)).ok ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => (p.exitCode !== null ? undefined : new Promise((r) => p.once('exit', r)))));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a real run writes the metrics file, which promtool accepts, and pushes it to the Pushgateway', async () => {
    const r = backplan(['run', planFile, '--job', 'docs', '--state-dir', state]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const text = readFileSync(join(textDir, 'backplan.prom'), 'utf8');
    expect(text).toMatch(/^backplan_job_last_run_success\{job_name="docs",kind="archive",host="here",storage="disk"\} 1$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.status, lint.stdout + lint.stderr).toBe(0);
    // status --format prometheus prints (and writes) the same metrics; promtool accepts them too
    const s = backplan(['status', planFile, '--state-dir', state, '--format', 'prometheus']);
    expect(spawnSync('promtool', ['check', 'metrics'], { input: s.stdout, encoding: 'utf8' }).status).toBe(0);
    const pushed = await (await fetch(`http://127.0.0.1:${pgPort}/metrics`)).text();
    const line = pushed.split('\n').find((l) => l.startsWith('backplan_job_last_run_success{') && l.includes('job_name="docs"'));
    expect(line, pushed.slice(0, 2000)).toBeDefined();
    expect(line).toMatch(/job="backplan"/);
    expect(line).toMatch(/plan="site"/);
    expect(line).toMatch(/ 1$/);
  });

  it('a Pushgateway that does not answer is one warning; the run still succeeds', () => {
    const broken = planFile.replace(/\.backplan\.yaml$/, '-nopush.backplan.yaml');
    writeFileSync(
      broken,
      readFileSync(planFile, 'utf8')
        .replace(/pushgateway: .*/, 'pushgateway: http://127.0.0.1:1')
        .replace(/textfile: .*/, `textfile: ${join(dir, 'nopush.prom')}`),
    );
    const r = backplan(['run', broken, '--job', 'docs', '--state-dir', state]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => /warning/.test(l))).toEqual([expect.stringMatching(/^backplan: warning: could not push the metrics to http:\/\/127\.0\.0\.1:1: /)]);
  });

  it('promtool accepts the exported rules; Prometheus fires the late alert for `old` only', async () => {
    const e = backplan(['export', planFile, '--to', 'prometheus-rules', '--format', 'json']);
    expect(e.code, e.stderr).toBe(0);
    const rulesFile = join(dir, 'backplan.rules.yml');
    writeFileSync(rulesFile, JSON.parse(e.stdout).files[0].content);
    const check = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);

    // status --format prometheus also writes monitoring.textfile (so this test stands alone)
    expect(backplan(['status', planFile, '--state-dir', state, '--format', 'prometheus']).stderr).toBe('');
    const nePort = await freePort();
    start('node_exporter', 'prometheus-node-exporter', [
      `--web.listen-address=127.0.0.1:${nePort}`,
      '--collector.disable-defaults',
      '--collector.textfile',
      `--collector.textfile.directory=${textDir}`,
    ]);
    await waitFor('node_exporter', async () => {
      const t = await (await fetch(`http://127.0.0.1:${nePort}/metrics`)).text();
      return t.includes('backplan_job_last_success_timestamp_seconds') ? true : undefined;
    });
    const promPort = await freePort();
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global: { scrape_interval: 1s, evaluation_interval: 1s }\nrule_files: ["${rulesFile}"]\n` +
        `scrape_configs:\n  - job_name: node\n    static_configs: [{ targets: ["127.0.0.1:${nePort}"] }]\n`,
    );
    start('prometheus', 'prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`]);
    type Alert = { labels: Record<string, string>; state: string };
    const alerts = await waitFor(
      'the late alert',
      async () => {
        const j = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
        return j.data.alerts.some((a) => a.labels.alertname === 'BackplanJobLate' && a.state === 'firing') ? j.data.alerts : undefined;
      },
      45_000,
    ).catch(async (err) => {
      const rules = await (await fetch(`http://127.0.0.1:${promPort}/api/v1/rules`)).text().catch(() => '');
      throw new Error(`${err}\n${rules.slice(0, 3000)}\n${logs.prometheus?.slice(-1000)}`);
    });
    // One more evaluation so that every rule has been looked at with the scraped data.
    await new Promise((r) => setTimeout(r, 2500));
    const j = (await (await fetch(`http://127.0.0.1:${promPort}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } };
    const late = j.data.alerts.filter((a) => a.labels.alertname === 'BackplanJobLate').map((a) => `${a.labels.job_name}:${a.state}`);
    expect(late).toEqual(['old:firing']);
    expect(alerts.some((a) => a.labels.alertname === 'BackplanJobFailed')).toBe(false);
  }, 90_000);
});
