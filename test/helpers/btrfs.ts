// Real btrfs filesystems for the tests (root only): each one made in a sparse file, put on a loop
// device and mounted; `unmountAll()` (in afterAll) takes them all down again, newest first.
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { requireRoot, requireTools } from './integration';

/** True when btrfs loop filesystems can be made here; throws in CI when they cannot. */
export function btrfsAvailable(): boolean {
  return requireRoot('the btrfs tests (mount, losetup)') && requireTools('btrfs', 'mkfs.btrfs', 'losetup', 'mount');
}

/** Runs a command; its stdout, or an error with its stderr. */
export function sh(argv: string[]): string {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const mounts: { dir: string; loop: string }[] = [];

/** A fresh btrfs filesystem of `size` on a loop device, mounted at `dir` (its image beside it). */
export function btrfsAt(dir: string, size = '300M'): string {
  const img = `${dir}.img`;
  sh(['truncate', '-s', size, img]);
  sh(['mkfs.btrfs', '-q', img]);
  const loop = sh(['losetup', '--find', '--show', img]).trim();
  mkdirSync(dir, { recursive: true });
  sh(['mount', loop, dir]);
  mounts.push({ dir, loop });
  return dir;
}

/** Unmount and detach every filesystem btrfsAt made in this test file. */
export function unmountAll(): void {
  for (const m of mounts.splice(0).reverse()) {
    spawnSync('umount', [m.dir]);
    spawnSync('losetup', ['-d', m.loop]);
  }
}
