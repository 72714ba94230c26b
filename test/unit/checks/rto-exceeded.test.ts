import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkText } from '../../../engine/check';
import { rule } from '../../../engine/checks/rto-exceeded';
import type { MeasuredRestore } from '../../../engine/recovery/measured';
import { restoreHistory } from '../../../engine/recovery/measured';

const run = (text: string, restores?: Map<string, MeasuredRestore>) =>
  checkText(text, { rules: [rule], now: Date.parse('2026-03-01T00:00:00Z'), ...(restores ? { restores } : {}) });
const m = (seconds: number, via: MeasuredRestore['via'] = 'verify'): MeasuredRestore => ({ at: '2026-02-01T03:00:00.000Z', seconds, via });

const PLAN = `version: 1
storage:
  disk: { path: /srv/b }
jobs:
  db: { kind: pg-dump, database: app, to: disk, rto: 1h }
  files:
    kind: rsync
    paths: [/srv/app]
    to: disk
    after: [db]
    rto: 2h
`;

describe('rto-exceeded', () => {
  it('is off without a state directory (no measured restores known)', () => {
    expect(run(PLAN).findings).toEqual([]);
  });

  it('warns when the last measured restore took longer than rto, on the rto value', () => {
    const f = run(PLAN, new Map([['db', m(4000)], ['files', m(60)]])).findings;
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('warning');
    expect(PLAN.slice(f[0].range.start, f[0].range.end)).toBe('1h');
    expect(f[0].message).toMatch(/^the last measured restore of `db` \(backplan verify, 2026-02-01\) took 1 h 6 min, longer than its rto 1h/);
  });

  it('sums the after: chain: each part fits, the chain does not', () => {
    // db 50 min fits its 1h, files 80 min fits its 2h; together 2h10 does not.
    const f = run(PLAN, new Map([['db', m(3000)], ['files', m(4800)]])).findings;
    expect(f).toHaveLength(1);
    expect(PLAN.slice(f[0].range.start, f[0].range.end)).toBe('2h');
    expect(f[0].message).toContain('`db` 50 min 0 s + `files` 1 h 20 min = 2 h 10 min');
    expect(f[0].message).toContain('longer than its rto 2h');
  });

  it('reports "RTO never measured" as information, only for jobs with rto', () => {
    const text = PLAN.replace('  db: { kind: pg-dump, database: app, to: disk, rto: 1h }', '  db: { kind: pg-dump, database: app, to: disk }');
    const f = run(text, new Map()).findings;
    expect(f).toHaveLength(1);
    expect(f[0].severity).toBe('info');
    expect(f[0].message).toMatch(/^RTO never measured: no `backplan verify` or `backplan restore` of `files` is journalled \(its restore needs `db` first\)/);
    const partial = run(text, new Map([['files', m(60)]])).findings;
    expect(partial).toHaveLength(1);
    expect(partial[0].severity).toBe('info');
    expect(partial[0].message).toMatch(/^RTO not fully measured: the restore of `files` needs `db` first, never measured/);
    expect(run(text, new Map([['files', m(60)], ['db', m(60)]])).findings).toEqual([]);
  });

  it('counts the base of an incremental chain (a send of a send), not the snapshot job', () => {
    const text = `version: 1
storage:
  a: { host: h }
  b: { host: h }
hosts:
  h: { address: 10.0.0.1 }
jobs:
  snap: { kind: zfs-snapshot, host: h, dataset: tank/d, storage: a }
  send1: { kind: zfs-send, from: snap, host: h, dataset: tank/r1, to: b }
  send2: { kind: zfs-send, from: send1, host: h, dataset: tank/r2, to: a, rto: 1h }
`;
    const f = run(text, new Map([['send1', m(2000)], ['send2', m(2000)]])).findings;
    expect(f).toHaveLength(1);
    expect(f[0].message).toContain('`send1` 33 min 20 s + `send2` 33 min 20 s = 1 h 6 min');
  });

  it('reads measured restores from journalled verify and restore runs, newest per job, failures ignored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-rto-'));
    mkdirSync(join(dir, 'runs'));
    const plan = join(dir, 'p.backplan.yaml');
    const line = (o: object) => JSON.stringify(o);
    const journal = (name: string, command: string, lines: object[]) =>
      writeFileSync(
        join(dir, 'runs', `${name}.jsonl`),
        [line({ t: '2026-01-01T00:00:00Z', run: name, type: 'run-start', command, plan, jobs: [], pid: 1, host: 'x' }), ...lines.map(line)].join('\n') + '\n',
      );
    journal('r1', 'verify', [{ t: '2026-01-02T00:00:00Z', type: 'step-end', job: 'db', step: 'db/verify', status: 'ok', ms: 90_000 }]);
    journal('r2', 'restore', [
      { t: '2026-01-03T00:00:00Z', type: 'step-end', job: 'db', step: 'db/restore/1', status: 'ok', ms: 5 },
      { t: '2026-01-03T00:00:01Z', type: 'step-end', job: 'db', step: 'db/restore', status: 'ok', ms: 99_999, detail: { durationSeconds: 42.5, copy: 'c1' } },
    ]);
    journal('r3', 'restore', [{ t: '2026-01-04T00:00:00Z', type: 'step-end', job: 'db', step: 'db/restore', status: 'failed', ms: 1 }]);
    journal('r4', 'verify', [{ t: '2026-01-05T00:00:00Z', type: 'step-end', job: 'files', step: 'files/verify', status: 'ok', ms: 7_000 }]);
    journal('other', 'verify', [{ t: '2026-01-06T00:00:00Z', type: 'step-end', job: 'files', step: 'files/verify', status: 'ok', ms: 1 }].map((l) => l));
    // a journal of another plan does not count
    writeFileSync(join(dir, 'runs', 'other.jsonl'), line({ t: 'x', run: 'o', type: 'run-start', command: 'verify', plan: '/elsewhere.yaml', jobs: [], pid: 1, host: 'x' }) + '\n');
    const h = restoreHistory(dir, plan);
    expect(h.get('db')).toEqual({ at: '2026-01-03T00:00:01Z', seconds: 42.5, via: 'restore', copy: 'c1' });
    expect(h.get('files')).toEqual({ at: '2026-01-05T00:00:00Z', seconds: 7, via: 'verify' });
  });
});
