// The `tool-config` built-in: write the configuration a pruning tool (sanoid, btrbk) reads for
// one job, so the tool run after it takes and prunes exactly what `backplan simulate` shows. The
// file is written under a temporary name, fsynced and renamed over the old one, so the tool never
// reads half a file. Locally through node's fs; on a remote host in one ssh call, a fixed script
// whose paths are its positional arguments and whose content comes on stdin (SPEC §8.1).
import { mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../ops/atomic-write';
import type { ExecEnv } from '../exec/exec-env';
import { capture, describeExit, exitOk } from '../exec/process';
import type { ToolConfigOp } from '../steps/step';

const REMOTE = [
  'd=$1 f=$2; shift 2',
  'mkdir -p -m 700 -- "$d" || exit 1',
  'for c do rm -f -- "$c" || exit 1; done',
  'dd of="$f.partial" bs=1M conv=fsync status=none || exit 1',
  'mv -f -- "$f.partial" "$f"',
].join('\n');

export async function writeToolConfig(
  host: string,
  op: ToolConfigOp,
  x: ExecEnv,
): Promise<{ ok: boolean; message?: string }> {
  const dir = dirname(op.path);
  try {
    if (x.hosts.isLocal(host)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      for (const c of op.clear) rmSync(c, { force: true });
      writeFileAtomic(op.path, op.content, 0o600);
      return { ok: true };
    }
    await x.hosts.ready(host);
    const argv = x.hosts.argv(host, ['sh', '-c', REMOTE, 'sh', dir, op.path, ...op.clear]);
    const r = await capture(argv, { input: Buffer.from(op.content, 'utf8'), signal: x.signal });
    if (exitOk(r)) return { ok: true };
    return { ok: false, message: `cannot write ${op.path} on ${host}: ${describeExit('sh', r)}` };
  } catch (e) {
    return { ok: false, message: `cannot write ${op.path}: ${(e as Error).message}` };
  }
}
