// A duplicity backup to a file:// target is made durable once it succeeded
// (engine/run/exec/durable-target.ts): every file it wrote there, and the directory, is fsynced;
// files it did not touch are not.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { duplicityFileTarget, listFiles, syncWritten } from '../../../engine/run/exec/durable-target';
import type { CommandStep } from '../../../engine/run/steps/step';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const step = (argv: string[], phase = 'backup'): CommandStep =>
  ({ type: 'command', id: 'j/backup', job: 'j', phase, description: '', host: 'local', after: [], argv }) as CommandStep;

describe('durable duplicity targets', () => {
  it('finds the file:// target of a duplicity backup step only', () => {
    expect(duplicityFileTarget(step(['/usr/bin/duplicity', '--name=j', '/', 'file:///srv/b/j']))).toBe('/srv/b/j');
    expect(duplicityFileTarget(step(['duplicity', '/', 'sftp://u@h//srv/b/j']))).toBeUndefined();
    expect(duplicityFileTarget(step(['duplicity', 'cleanup', '--force', 'file:///srv/b/j'], 'setup'))).toBeUndefined();
    expect(duplicityFileTarget(step(['restic', 'backup', 'file:///x']))).toBeUndefined();
  });

  it('fsyncs the new and changed files and the directory, not the untouched ones', () => {
    const d = mkdtempSync(join(tmpdir(), 'bp-durable-'));
    dirs.push(d);
    writeFileSync(join(d, 'old.vol1.difftar.gz'), 'old');
    writeFileSync(join(d, 'rewritten.manifest'), 'v1');
    utimesSync(join(d, 'old.vol1.difftar.gz'), 1_000_000, 1_000_000);
    utimesSync(join(d, 'rewritten.manifest'), 1_000_000, 1_000_000);
    const before = listFiles(d);
    writeFileSync(join(d, 'new.vol1.difftar.gz'), 'volume');
    writeFileSync(join(d, 'new.manifest'), 'manifest');
    writeFileSync(join(d, 'rewritten.manifest'), 'v2, longer');
    const synced: string[] = [];
    const written = syncWritten(d, before, { fsync: (p) => synced.push(p) });
    expect(written).toEqual(['new.manifest', 'new.vol1.difftar.gz', 'rewritten.manifest']);
    expect(synced).toEqual([...written.map((n) => join(d, n)), d]);
  });

  it('syncs every file of a target that did not exist before the step', () => {
    const d = join(mkdtempSync(join(tmpdir(), 'bp-durable-')), 'target');
    dirs.push(d);
    const before = listFiles(d);
    expect(before.size).toBe(0);
    const synced: string[] = [];
    mkdirSync(d);
    writeFileSync(join(d, 'a'), 'x');
    syncWritten(d, before, { fsync: (p) => synced.push(p) });
    expect(synced).toEqual([join(d, 'a'), d]);
  });
});
