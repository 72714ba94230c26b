// The comparison a restore test runs on another host (engine/run/verify/remote-tree.ts) gives
// the verdicts of the local one (verify/repo.ts compareTree) on the same trees, hostile names
// included (a newline, a leading `-`, shell syntax, bytes that are not UTF-8). Its fixed script
// runs here through the same Hosts.argv as over ssh (a local host runs the argv as it is).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hosts } from '../../../engine/run/exec/hosts';
import { LOCAL } from '../../../engine/run/exec/quote';
import { compareTree } from '../../../engine/run/verify/repo';
import { compareRemoteTree, remoteScratch, removeRemoteScratch } from '../../../engine/run/verify/remote-tree';
import type { PlanModel } from '../../../engine/plan/model';
import { HOSTILE_DIR, HOSTILE_NAMES, NON_UTF8_NAME, writeHostileTree } from '../../helpers/hostile-names';

const hosts = new Hosts({ hosts: new Map() } as unknown as PlanModel);
let dir = '';
let src = '';
let root = '';

async function local(paths: string[]) {
  const problems: string[] = [];
  const size = { bytes: 0 };
  let checked = 0;
  for (const p of paths) checked += await compareTree(join(root, p), p, problems, size);
  return { checked, bytes: size.bytes, problems: problems.sort() };
}

async function remote(paths: string[]) {
  const r = await compareRemoteTree(hosts, LOCAL, root, paths);
  return { ...r, problems: [...r.problems].sort() };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bp-remote-tree-'));
  src = join(dir, 'src');
  mkdirSync(src);
  writeHostileTree(src);
  root = join(dir, 'restored');
  mkdirSync(dirname(join(root, src)), { recursive: true });
  const cp = spawnSync('cp', ['-a', '--', src, join(root, src)]);
  expect(cp.status, String(cp.stderr)).toBe(0);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('compareRemoteTree', () => {
  it('finds an exact copy identical, with the same count and bytes as the local comparison', async () => {
    const there = await remote([src]);
    expect(there.problems).toEqual([]);
    expect(there.checked).toBe(HOSTILE_NAMES.length + 3);
    expect(there).toEqual(await local([src]));
  });

  it('names what differs, what is gone or no longer a file, and a path the copy lacks, as locally', async () => {
    writeFileSync(join(src, HOSTILE_NAMES[1]), 'changed\n');
    writeFileSync(Buffer.concat([Buffer.from(`${src}/`), NON_UTF8_NAME]), 'changed too\n');
    unlinkSync(join(src, HOSTILE_NAMES[2]));
    unlinkSync(join(src, HOSTILE_DIR, HOSTILE_NAMES[1]));
    symlinkSync('/etc/hostname', join(src, HOSTILE_DIR, HOSTILE_NAMES[1]));
    const missing = join(dir, 'never-backed-up');
    const there = await remote([src, missing]);
    expect(there).toEqual(await local([src, missing]));
    expect(there.problems).toEqual(
      [
        `${src}/new\\x0aline: differs from the source`,
        `${src}/latin1-\\xe9t\\xe9: differs from the source`,
        `${src}/-leading: in the snapshot but no longer a file in the source`,
        `${src}/${HOSTILE_DIR}/new\\x0aline: in the snapshot but no longer a file in the source`,
        `${missing}: not in the restored snapshot`,
      ].sort(),
    );
  });

  it('makes and removes a scratch directory on the host', async () => {
    const scratch = await remoteScratch(hosts, LOCAL);
    expect(scratch).toMatch(/\/bp-verify-[A-Za-z0-9]{8}$/);
    writeFileSync(join(scratch, 'x'), 'x');
    expect(await removeRemoteScratch(hosts, LOCAL, scratch)).toBeUndefined();
    expect(spawnSync('test', ['-e', scratch]).status).toBe(1);
  });
});
