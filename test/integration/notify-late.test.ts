// `late` is sent by `backplan status`, once per late episode (SPEC §10): a timer that runs
// status every few minutes sends one message when a job goes late, none while it stays late,
// and a new one only after a success ended the episode and the job went late again.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../helpers/cli';
import { cliAt } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';
import { startRecorder, type Recorder } from '../helpers/recorder';

const ok = requireTools('faketime');
const HOUR = 3_600_000;
const temps: string[] = [];
const servers: Recorder[] = [];

beforeAll(() => ensureBuilt(), 120_000);
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const d of temps.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!ok)('late notifications', () => {
  it('one message per late episode, only to targets that ask for late', async () => {
    const s = await startRecorder();
    servers.push(s);
    const dir = mkdtempSync(join(tmpdir(), 'backplan-late-'));
    temps.push(dir);
    mkdirSync(join(dir, 'data'));
    writeFileSync(join(dir, 'data', 'a.txt'), 'hello\n');
    const plan = join(dir, 'local.backplan.yaml');
    writeFileSync(
      plan,
      `version: 1
hosts:
  here: { site: home }
storage:
  disk: { host: here, media: ssd, path: backups }
notify:
  - { type: http, url: "${s.base}/late", on: [late] }
  - { type: http, url: "${s.base}/failures" }
jobs:
  docs:
    kind: archive
    host: here
    paths: [data]
    to: disk
    schedule: "0 3 * * *"
    rpo: 1d
    retention: { keep: { last: 3 } }
checks:
  coverage-3-2-1: off
`,
    );
    const state = join(dir, 'state');
    const t0 = Date.now() - 100 * HOUR;
    const lateCalls = () => s.requests.filter((q) => q.url === '/late');

    expect((await cliAt(t0, ['run', plan, '--state-dir', state])).code).toBe(0);
    // 100 h later, with rpo 1d: late. Status runs three times; one message.
    for (let i = 0; i < 3; i++) {
      const r = await cliAt(undefined, ['status', plan, '--state-dir', state]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/^late\s+docs/m);
    }
    expect(lateCalls()).toHaveLength(1);
    const event = JSON.parse(lateCalls()[0].body);
    expect(event).toMatchObject({ event: 'late', job: 'docs', kind: 'archive', plan: 'local' });
    expect(event.message).toMatch(/^docs is late: its newest good copy is 10\d h old \(rpo 24 h\)$/);
    expect(s.requests.some((q) => q.url === '/failures')).toBe(false);

    // A success ends the episode (status ok, nothing sent) ...
    expect((await cliAt(undefined, ['run', plan, '--state-dir', state])).code).toBe(0);
    expect((await cliAt(undefined, ['status', plan, '--state-dir', state])).code).toBe(0);
    expect(lateCalls()).toHaveLength(1);
    // ... and going late again, 50 h after it, is a new episode: one more message.
    for (let i = 0; i < 2; i++) await cliAt(Date.now() + 50 * HOUR, ['status', plan, '--state-dir', state]);
    expect(lateCalls()).toHaveLength(2);
  }, 120_000);
});
