// The pure parts of the client: the dry-run document's text, the retention page (inert SVG,
// strict CSP, escaping), and reading `backplan run --progress json`.
import { describe, expect, it } from 'vitest';
import { argvLine, dryRunText } from '../../../client/dry-run-text';
import { inertSvg, simulateHtml } from '../../../client/simulate-html';
import { logLine, parseEvent, summarize, type RunEventJson } from '../../../client/run-events';
import type { PlanResult, SimulateResult } from '../../../server/protocol';

const plan: PlanResult = {
  steps: [
    { id: 'db/1', job: 'db', phase: 'backup', host: 'scylla', description: 'pg_dump of shop', display: '[scylla] pg_dump shop', argv: ['pg_dump', '--dbname=shop; rm -rf /', "it's"] },
    { id: 'db/2', job: 'db', phase: 'prune', host: 'nfs', description: 'prune /srv/db by policy', display: '[nfs] prune (native rules, UTC) files by last=3; never fewer than 1 newest', prune: { engine: 'native', timezone: 'UTC', min: 1, inventory: { type: 'files', host: 'nfs', dir: '/srv/db', match: 'db-*.dump' } } },
    { id: 'rep/1', job: 'rep', phase: 'copy', host: 'a', description: 'send', display: 'x', pipe: [{ host: 'a', argv: ['zfs', 'send', 'p/d@s'] }, { host: 'b', argv: ['zfs', 'receive', 'p/e'] }], env: { RESTIC_PASSWORD: { fromEnv: 'SECRET_SOURCE' } } },
  ],
  errors: [{ job: 'x', message: 'cannot plan' }],
  skipped: [{ job: 'off', reason: 'enabled: false' }],
  order: ['db', 'rep'],
};

describe('dry-run document', () => {
  const text = dryRunText(plan, { plan: 'p.backplan.yaml', generated: new Date('2030-01-02T03:04:05.678Z') });

  it('lists every step with its host and argv, quoted as a shell would need', () => {
    expect(text).toContain('Dry run of p.backplan.yaml\n');
    expect(text).toContain('  db/1  backup  on scylla\n    pg_dump of shop\n');
    expect(text).toContain(`argv: pg_dump '--dbname=shop; rm -rf /' 'it'\\''s'`);
    expect(text).toContain('    argv: [a] zfs send p/d@s\n        | [b] zfs receive p/e\n');
    expect(text).toContain('Skipped off: enabled: false');
    expect(text).toContain('Error in x: cannot plan');
    expect(text).toContain('3 steps for 2 jobs.');
  });

  it('says what a prune step would remove and why', () => {
    expect(text).toContain('prunes: with native rules in UTC; never fewer than 1 newest copy');
    expect(text).toContain('why: prune (native rules, UTC) files by last=3; never fewer than 1 newest');
  });

  it('names secrets, never their values', () => {
    expect(text).toContain('env: RESTIC_PASSWORD (values are never shown)');
    expect(text).not.toContain('secret\n');
  });

  it('shows the plan errors instead of steps', () => {
    const t = dryRunText({ ...plan, steps: [], planErrors: ['p.yaml:3:1: bad [schema]'] }, { plan: 'p', generated: new Date(0) });
    expect(t).toContain('The plan has errors; fix them to see its steps:\n  p.yaml:3:1: bad [schema]');
  });

  it('quotes only what needs it', () => {
    expect(argvLine(['tar', '-czf', '/a b/c.tgz', '--', ''])).toBe("tar -czf '/a b/c.tgz' -- ''");
  });
});

describe('retention page', () => {
  const result: SimulateResult = {
    jobs: [
      {
        job: 'docs<b>',
        engine: 'native',
        timezone: 'UTC',
        schedule: '0 3 * * *',
        from: '2030-01-01T00:00:00Z',
        at: '2030-02-01T00:00:00Z',
        min: 1,
        snapshots: [{ time: '2030-01-31T03:00:00Z', reasons: ['last snapshot', 'daily <x>'] }],
        stats: { created: 31, removed: 30, expired: 0, count: 1, minCount: 1, maxCount: 2, oldest: '2030-01-31T03:00:00Z', newest: '2030-01-31T03:00:00Z', worstGap: null, prunes: 31 },
        rules: [{ id: 'last', label: 'last 1', count: 1 }],
        svg: '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script><a href="javascript:x"><g class="snapshot"><title>2030-01-31 03:00 — last</title><line/></g></a></svg>',
      },
    ],
    skipped: [{ job: 'velero', reason: 'pruned by Velero TTL' }],
  };
  const html = simulateHtml({ title: 'Retention', at: '2030-02-01', result, nonce: 'N0NCE', cspSource: 'vscode-webview://x' });

  it('has a strict CSP: only its own nonce for style and script, nothing remote', () => {
    const csp = /content="([^"]+)"/.exec(html)![1];
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'nonce-N0NCE'");
    expect(csp).toContain("style-src 'nonce-N0NCE'");
    expect(csp).not.toMatch(/unsafe|https?:/);
    expect(html.match(/<script/g)).toHaveLength(1);
    expect(html).toContain('<script nonce="N0NCE">');
  });

  it('draws the timeline with a hover title and an accessible name per snapshot, nothing of the engine SVG', () => {
    expect(html).toContain('<title>2030-01-31 03:00 — kept by last snapshot, daily &lt;x&gt;</title>');
    expect(html).toContain(
      '<g class="snap" tabindex="0" role="img" aria-roledescription="snapshot" ' +
        'aria-label="2030-01-31 03:00, kept by last snapshot, daily &lt;x&gt;"',
    );
    // row labels outside the scroller, one tick set per zoom level
    expect(html).toMatch(/<div class="tl-labels" aria-hidden="true"><div class="tl-label ch">held \(1\)<\/div>/);
    expect(html.match(/<g class="ticks z\d+"/g)).toHaveLength(5);
    expect(html).not.toMatch(/onload|alert|javascript:/);
    expect(inertSvg('<svg><foreignObject><div/></foreignObject><g onclick="x()"/></svg>')).toBe('<svg><g/></svg>');
  });

  it('escapes names and reasons, shows the table, the rules, the skipped jobs and the date picker', () => {
    expect(html).toContain('docs&lt;b&gt;');
    expect(html).toContain('daily &lt;x&gt;');
    expect(html).toMatch(/<table class="held">.*<td>1<\/td><td><time datetime="2030-01-31T03:00:00Z">2030-01-31 03:00<\/time><\/td><td>21 h<\/td>/s);
    expect(html).toContain('<code>last 1</code>: 1');
    expect(html).toContain('velero: not simulated (pruned by Velero TTL)');
    expect(html).toContain('<input type="date" id="at" name="at" value="2030-02-01">');
  });

  it('shows an error instead of a result', () => {
    const e = simulateHtml({ title: 't', at: '', error: 'no <job>', nonce: 'n', cspSource: 'c' });
    expect(e).toContain('<p class="error">no &lt;job&gt;</p>');
  });
});

describe('run progress', () => {
  const lines = [
    '{"event":"run-start","run":"R1","journal":"/s/runs/R1.jsonl","jobs":["docs"]}',
    '{"event":"step-start","job":"docs","step":"docs/2","phase":"backup","description":"archive /a to /b"}',
    '{"event":"step-end","job":"docs","step":"docs/2","status":"ok","ms":60,"detail":{"output":"/b/docs-1.tar.gz","bytes":3277,"files":6}}',
    '{"event":"step-end","job":"docs","step":"docs/3","status":"ok","ms":5,"detail":{"removed":["x"],"kept":["y","z"]}}',
    '{"event":"notice","job":"docs","message":"removed 1 leftover"}',
    'not json',
  ];

  it('reads events and turns them into log lines', () => {
    const events = lines.map(parseEvent);
    expect(events[5]).toBeUndefined();
    expect(logLine(events[0]!)).toBe('run R1 started: docs (journal /s/runs/R1.jsonl)');
    expect(logLine(events[1]!)).toBe('docs/2 backup: archive /a to /b');
    expect(logLine(events[2]!)).toBe('docs/2 ok in 60 ms — wrote /b/docs-1.tar.gz (3.28 kB, 6 files)');
    expect(logLine(events[3]!)).toBe('docs/3 ok in 5 ms — pruned 1, kept 2');
    expect(logLine(events[4]!)).toBe('notice (docs): removed 1 leftover');
  });

  it('summarizes a success, a failure with its problems, and a cancel', () => {
    const ok = { event: 'summary', run: 'R1', journal: 'j', ok: true, ms: 1200, jobs: [{ job: 'docs', status: 'ok', steps: [{ id: 'docs/2', phase: 'backup', status: 'ok', ms: 1, detail: { output: '/b/docs-1.tar.gz' } }] }] } as Extract<RunEventJson, { event: 'summary' }>;
    expect(summarize(ok, [], false)).toEqual({ ok: true, message: 'Backplan: backup succeeded — 1 ok in 1.2 s. Wrote docs-1.tar.gz.', problems: [] });
    const failed = { ...ok, ok: false, jobs: [...ok.jobs, { job: 'db', status: 'failed', message: 'pg_dump exited with 1', steps: [] }, { job: 'copy', status: 'skipped', message: 'db failed', steps: [] }] };
    const s = summarize(failed, ['docs: removed 1 leftover'], false);
    expect(s.ok).toBe(false);
    expect(s.message).toBe('Backplan: backup failed — 1 ok, 1 failed, 1 skipped in 1.2 s. Wrote docs-1.tar.gz. Problems: db failed: pg_dump exited with 1; copy skipped: db failed; docs: removed 1 leftover.');
    expect(summarize(ok, [], true).message).toMatch(/^Backplan: run cancelled/);
    expect(summarize(ok, [], true).ok).toBe(false);
  });
});
