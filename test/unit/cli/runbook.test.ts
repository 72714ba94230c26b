// `backplan runbook`: exit codes, formats, --out written atomically, same bytes twice.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { backplan, ensureBuilt } from '../../helpers/cli';

const PLAN = 'examples/zfs-proxmox.backplan.yaml';
const AT = '2026-06-01T03:00:00Z';

beforeAll(() => ensureBuilt());

describe('backplan runbook', () => {
  it('exits 0 with the Markdown on stdout, the same bytes on a second run', () => {
    const a = backplan(['runbook', PLAN, '--at', AT]);
    expect(a.code).toBe(0);
    expect(a.stdout).toMatch(/^# Disaster recovery runbook: examples\/zfs-proxmox\.backplan\.yaml\n/);
    expect(a.stdout).toContain('## If `scylla` is lost');
    expect(backplan(['runbook', PLAN, '--at', AT]).stdout).toBe(a.stdout);
  });

  it('--lost limits the chapters; --format json and html', () => {
    const j = backplan(['runbook', PLAN, '--at', AT, '--lost', 'nfs', '--lost', 'sql', '--format', 'json']);
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout).chapters.map((c: { host: string }) => c.host)).toEqual(['nfs', 'sql']);
    const h = backplan(['runbook', PLAN, '--at', AT, '--format', 'html']);
    expect(h.code).toBe(0);
    expect(h.stdout.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it('exits 2 on an unknown --lost host, with did-you-mean', () => {
    const r = backplan(['runbook', PLAN, '--lost', 'scyla']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no host `scyla`');
    expect(r.stderr).toContain('did you mean `scylla`?');
    expect(r.stdout).toBe('');
  });

  it('exits 2 on bad usage: no plan, a bad --at, an unknown format', () => {
    expect(backplan(['runbook']).code).toBe(2);
    expect(backplan(['runbook', PLAN, '--at', 'yesterday']).code).toBe(2);
    expect(backplan(['runbook', PLAN, '--format', 'pdf']).code).toBe(2);
  });

  it('--out writes the file (through a temporary file renamed over it) and prints nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bp-runbook-'));
    const out = join(dir, 'RUNBOOK.md');
    const r = backplan(['runbook', PLAN, '--at', AT, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(backplan(['runbook', PLAN, '--at', AT]).stdout);
    expect(readdirSync(dir)).toEqual(['RUNBOOK.md']);
  });

  it('is in --help', () => {
    const r = backplan(['runbook', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('backplan runbook PLAN [--lost HOST]...');
  });
});
