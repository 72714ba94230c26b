// The restore test of a zfs-send or btrfs-send job (`backplan verify --job J`): the newest
// snapshot both sides hold (or the one named) is read on each side and every file's sha256 is
// compared. btrfs snapshots are read-only directories, read as they are; a zfs snapshot is
// restored first — cloned into a scratch dataset of its pool (`zfs clone`), read there, and the
// clone destroyed whatever happened — so the test also proves the replica's snapshot can be
// brought back as a filesystem.
import { randomBytes } from 'node:crypto';
import type { Hosts } from '../exec/hosts';
import { capture, describeExit, exitOk } from '../exec/process';
import { readSides } from '../live/replication';
import type { PlanModel } from '../../plan/model';
import type { CommandStep, Inventory, Step } from '../steps/step';

export interface ReplicaVerifyResult {
  ok: boolean;
  copy: string;
  /** The replica's snapshot (`pool/fs@NAME` or `DIR/NAME`). */
  path: string;
  checked: number;
  problems: string[];
  summary: string;
}

/** Every regular file under `dir` on `host` with its sha256, by path relative to `dir`. */
async function checksums(hosts: Hosts, host: string, dir: string, signal?: AbortSignal): Promise<Map<string, string>> {
  await hosts.ready(host);
  // The directory is an argument of a fixed script, never part of it (SPEC §8.1).
  const r = await capture(
    hosts.argv(host, ['sh', '-c', 'cd -- "$1" && find . -type f -exec sha256sum -- {} +', 'sh', dir]),
    { signal, maxOut: 256 * 1024 * 1024 },
  );
  if (!exitOk(r)) throw new Error(`cannot read ${dir} on ${host}: ${describeExit('sha256sum', r)}`);
  const out = new Map<string, string>();
  for (const line of r.stdout.toString('utf8').split('\n')) {
    const m = /^\\?([0-9a-f]{64}) [ *](.*)$/.exec(line);
    if (m) out.set(m[2], m[1]);
  }
  return out;
}

async function run(hosts: Hosts, host: string, argv: string[], what: string, signal?: AbortSignal): Promise<string> {
  const r = await capture(hosts.argv(host, argv), { signal });
  if (!exitOk(r)) throw new Error(`${what} on ${host}: ${describeExit(argv[0], r)}`);
  return r.stdout.toString('utf8').trim();
}

/** Clone `snapshot` (pool/fs@NAME) into a scratch dataset, call `read` on its mountpoint, destroy the clone. */
async function withZfsClone<T>(
  hosts: Hosts,
  host: string,
  zfs: string,
  snapshot: string,
  read: (dir: string) => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const pool = snapshot.split(/[/@]/)[0];
  const clone = `${pool}/bpv-verify-${randomBytes(4).toString('hex')}`;
  await hosts.ready(host);
  await run(hosts, host, [zfs, 'clone', '--', snapshot, clone], `cannot clone ${snapshot}`, signal);
  try {
    const mnt = await run(
      hosts,
      host,
      [zfs, 'get', '-H', '-o', 'value', 'mountpoint', clone],
      `cannot read the mountpoint of ${clone}`,
      signal,
    );
    if (!mnt.startsWith('/')) throw new Error(`${clone} is not mounted (mountpoint ${mnt})`);
    return await read(mnt);
  } finally {
    // A clone just read can stay busy for a moment (zfs-fuse): unmount, then destroy, a few times.
    let r = await capture(hosts.argv(host, [zfs, 'destroy', '-f', '--', clone]));
    for (let i = 0; i < 10 && !exitOk(r); i++) {
      await new Promise((done) => setTimeout(done, 300 * (i + 1)));
      await capture(hosts.argv(host, [zfs, 'unmount', '-f', clone]));
      r = await capture(hosts.argv(host, [zfs, 'destroy', '-f', '--', clone]));
    }
    if (!exitOk(r))
      throw new Error(
        `the scratch clone ${clone} on ${host} could not be destroyed (${describeExit(zfs, r)}): destroy it by hand`,
      );
  }
}

function snapshotDir(inv: Inventory, name: string): string {
  if (inv.type !== 'btrfs-snapshots') throw new Error(`not a btrfs inventory: ${inv.type}`);
  return `${inv.dir.replace(/\/+$/, '')}/${name}`;
}

export async function verifyReplica(
  jobName: string,
  plan: PlanModel,
  steps: readonly Step[],
  hosts: Hosts,
  opts: { copy?: string; signal?: AbortSignal },
): Promise<ReplicaVerifyResult> {
  const job = plan.jobs.get(jobName)!;
  const sides = await readSides(job, { plan, hosts, signal: opts.signal });
  const there = new Set(sides.dst.copies.map((c) => c.name));
  const common = sides.src.copies.filter((c) => there.has(c.name)).map((c) => c.name);
  const name = opts.copy ?? common[0];
  if (name === undefined)
    throw new Error(`the replica of ${sides.source.name} holds no snapshot the source still has: nothing to compare`);
  if (!common.includes(name))
    throw new Error(`no snapshot ${name} on both sides; common snapshots: ${common.join(', ') || 'none'}`);
  const src = sides.sourceInventory;
  const dst = sides.targetInventory;
  const copyStep = steps.find((s): s is CommandStep => s.type === 'command' && s.phase === 'copy');
  let a: Map<string, string>;
  let b: Map<string, string>;
  let path: string;
  if (src.type === 'zfs-snapshots' && dst.type === 'zfs-snapshots') {
    const zfsSrc = copyStep?.argv[0] ?? 'zfs';
    const zfsDst = copyStep?.pipe?.[0]?.argv[0] ?? 'zfs';
    path = `${dst.dataset}@${name}`;
    a = await withZfsClone(
      hosts,
      src.host,
      zfsSrc,
      `${src.dataset}@${name}`,
      (d) => checksums(hosts, src.host, d, opts.signal),
      opts.signal,
    );
    b = await withZfsClone(
      hosts,
      dst.host,
      zfsDst,
      path,
      (d) => checksums(hosts, dst.host, d, opts.signal),
      opts.signal,
    );
  } else {
    path = snapshotDir(dst, name);
    a = await checksums(hosts, src.host, snapshotDir(src, name), opts.signal);
    b = await checksums(hosts, dst.host, path, opts.signal);
  }
  const problems: string[] = [];
  for (const [f, h] of a) {
    const got = b.get(f);
    if (got === undefined) problems.push(`${f}: missing from the replica`);
    else if (got !== h) problems.push(`${f}: differs from the source's snapshot`);
  }
  for (const f of b.keys()) if (!a.has(f)) problems.push(`${f}: only in the replica`);
  return {
    ok: problems.length === 0,
    copy: name,
    path,
    checked: a.size,
    problems,
    summary: `snapshot ${name}: all ${a.size} files of the replica are identical to the source's (sha256)`,
  };
}
