// ZFS through zfs-fuse (TESTING.md "ZFS"): one daemon per machine. A test uses the running one,
// or starts its own and stops it at the end; pools live in files in the test's temporary
// directory, under unique names, and are destroyed by the test.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function zpoolWorks(): boolean {
  return spawnSync('zpool', ['list', '-H'], { encoding: 'utf8' }).status === 0;
}

export interface ZfsFuse {
  /** Creates a pool named `name` on a sparse file in `dir`, mounted at `mountpoint`. */
  pool(name: string, dir: string, mountpoint: string, size?: string): void;
  close(): Promise<void>;
}

export async function startZfsFuse(dir: string): Promise<ZfsFuse> {
  let pidfile: string | undefined;
  if (!zpoolWorks()) {
    pidfile = join(dir, 'zfs-fuse.pid');
    const r = spawnSync('zfs-fuse', ['--pidfile', pidfile, '--no-kstat-mount'], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`zfs-fuse did not start: ${r.stderr}`);
    const t0 = Date.now();
    while (!zpoolWorks()) {
      if (Date.now() - t0 > 15_000) throw new Error('zfs-fuse did not answer within 15 s');
      await new Promise((res) => setTimeout(res, 100));
    }
  }
  const pools: string[] = [];
  return {
    pool(name, poolDir, mountpoint, size = '256M') {
      const img = join(poolDir, `${name}.img`);
      spawnSync('truncate', ['-s', size, img]);
      const r = spawnSync('zpool', ['create', '-m', mountpoint, name, img], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`zpool create ${name}: ${r.stderr}`);
      pools.push(name);
    },
    async close() {
      for (const p of pools.reverse()) spawnSync('zpool', ['destroy', '-f', p]);
      if (pidfile && existsSync(pidfile)) {
        const pid = Number(readFileSync(pidfile, 'utf8').trim());
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGTERM');
          } catch {
            return;
          }
          const t0 = Date.now();
          while (Date.now() - t0 < 10_000) {
            try {
              process.kill(pid, 0);
            } catch {
              return;
            }
            await new Promise((res) => setTimeout(res, 100));
          }
        }
      }
    },
  };
}
