// runTool (exec/guard.ts) with tools that misbehave on purpose: one that prints without end, and
// one that exits while a child it left behind holds its output open (issue #16's mutation run:
// the output cap and the group kill after exit survived every test).
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { runTool } from '../../../engine/run/exec/guard';
import { Hosts } from '../../../engine/run/exec/hosts';
import { LOCAL } from '../../../engine/run/exec/quote';
import { Redactor } from '../../../engine/run/exec/redact';
import { plan } from './helpers';

const x = () => ({ hosts: new Hosts(plan({ jobs: [] })), redactor: new Redactor() });
const alive = (marker: string): boolean => {
  try {
    execFileSync('pgrep', ['-f', marker]);
    return true;
  } catch {
    return false;
  }
};

describe('runTool with misbehaving tools', () => {
  it('stops a tool that prints more than 256 MiB and says so', async () => {
    const r = await runTool({ host: LOCAL, argv: ['yes', 'backplan-guard-cap'] }, x());
    expect(r.error).toBe(`yes printed more than ${256 * 1024 * 1024} bytes`);
    expect(r.stdout.length).toBeLessThanOrEqual(256 * 1024 * 1024);
    expect(r.code).toBeNull();
  }, 60_000);

  it('kills the process group a tool left behind after it exited', async () => {
    const marker = `backplan-guard-orphan-${process.pid}`;
    const argv = ['sh', '-c', `sh -c 'sleep 30; : ${marker}' & echo started`];
    const t0 = Date.now();
    const r = await runTool({ host: LOCAL, argv }, x(), undefined, { stallMs: 500 });
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.stdout).toBe('started\n');
    expect(r.error).toMatch(/^sh stopped: /);
    await new Promise((done) => setTimeout(done, 300));
    expect(alive(marker)).toBe(false);
  }, 30_000);
});
