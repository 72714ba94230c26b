// The table of kinds `backplan restore` can restore (ops/restore-job.ts reads it). A kind is
// either restored as files (FileRestorer: list the copies, fill an empty `.partial` root with the
// copy's tree) or into a database server (DbRestorer). Adding a kind: restore/<kind>.ts
// exporting one of those, and its line here; the operation does the rest (choosing the copy,
// the target checks, `.partial` and the rename, moving the current data aside, the lock, the
// journal, hooks, --dry-run).
import { archiveRestorer } from './archive';
import { borgRestorer } from './borg';
import { duplicityRestorer } from './duplicity';
import { mysqlRestorer, pgRestorer } from './dump';
import { resticRestorer } from './restic';
import { rsyncRestorer } from './rsync';
import { zfsRestorer } from './zfs';
import { btrfsRestorer } from './btrfs';
import { incusRestorer } from './incus';
import { openstackImageRestorer } from './openstack-image';
import { veleroRestorer } from './velero';
import { vzdumpRestorer } from './vzdump';
import type { KindRestorer } from './types';

export const RESTORERS: Record<string, KindRestorer> = {
  archive: archiveRestorer,
  rsync: rsyncRestorer,
  restic: resticRestorer,
  borg: borgRestorer,
  duplicity: duplicityRestorer,
  'pg-dump': pgRestorer,
  'mysql-dump': mysqlRestorer,
  velero: veleroRestorer,
  'openstack-image': openstackImageRestorer,
  vzdump: vzdumpRestorer,
  'zfs-snapshot': zfsRestorer,
  'zfs-send': zfsRestorer,
  'btrfs-snapshot': btrfsRestorer,
  'btrfs-send': btrfsRestorer,
  'incus-snapshot': incusRestorer,
  'incus-copy': incusRestorer,
};

export function restorerFor(kind: string): KindRestorer | undefined {
  return Object.hasOwn(RESTORERS, kind) ? RESTORERS[kind] : undefined;
}

export type { KindRestorer, FileRestorer, DbRestorer, RestoreCopy, CopyListing, RestoreAction } from './types';
export { RestoreError } from './types';
