// Two `backplan run`s of one job at the same instant (a retry, a chain started by hand twice,
// a test): the second used to fail at its final rename after doing all the work. Now each copy
// gets a name of its own, decided before the work starts, and both are real, verifiable copies.
// The wall clock is frozen with libfaketime (`i0.0`: it does not advance; the monotonic clock
// stays real so timers still fire), so the runs fall in the same second however loaded the machine.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from '../helpers/cli';
import { cliAt as cliAtRunning, faketimeLib } from '../helpers/faketime';
import { requireTools } from '../helpers/integration';

const ok = requireTools('faketime');
const AT = '2026-12-03 07:19:52';
const cliAt = (at: string, args: string[]) =>
  cliAtRunning(undefined, args, { FAKETIME: `@${at} i0.0`, DONT_FAKE_MONOTONIC: '1', LD_PRELOAD: faketimeLib() });
let dir = '';

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'bp-same-second-'));
  mkdirSync(join(dir, 'examples'));
  writeFileSync(join(dir, 'examples', 'notes.txt'), 'hello\n');
  writeFileSync(
    join(dir, 'examples', 'local.backplan.yaml'),
    readFileSync(join(ROOT, 'examples', 'local.backplan.yaml'), 'utf8'),
  );
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!ok)('runs in the same second', () => {
  it('each get a copy of their own (-2, -3), every one verifies, and a prune keeps them all', async () => {
    const plan = join(dir, 'examples', 'local.backplan.yaml');
    const state = join(dir, 'state');
    const out = join(dir, 'backups', 'docs-archive');
    for (let i = 0; i < 3; i++) {
      const r = await cliAt(AT, ['run', plan, '--state-dir', state]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
    }
    const archives = readdirSync(out).filter((n) => n.endsWith('.tar.gz')).sort();
    expect(archives).toEqual([
      'docs-archive-20261203T071952Z-2.tar.gz',
      'docs-archive-20261203T071952Z-3.tar.gz',
      'docs-archive-20261203T071952Z.tar.gz',
    ]);
    expect(readdirSync(out).filter((n) => n.endsWith('.partial'))).toEqual([]);
    for (const copy of archives) {
      const v = await cliAt(AT, ['verify', plan, '--job', 'docs-archive', '--copy', copy, '--state-dir', state]);
      expect(v.code, v.stdout + v.stderr).toBe(0);
    }
    // keep { last: 3 }: the three copies are the three newest
    const dry = await cliAt(AT, ['prune', plan, '--job', 'docs-archive', '--dry-run', '--format', 'json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).remove ?? []).toEqual([]);
  }, 120_000);
});
