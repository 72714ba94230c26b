// The driver of each kind (SPEC §4), one file per kind.
import type { Driver } from '../steps/driver-kit';
import * as archive from './archive';
import * as borg from './borg';
import * as btrfsSend from './btrfs-send';
import * as btrfsSnapshot from './btrfs-snapshot';
import * as duplicity from './duplicity';
import * as incusCopy from './incus-copy';
import * as incusSnapshot from './incus-snapshot';
import * as mysqlDump from './mysql-dump';
import * as openstackImage from './openstack-image';
import * as pgDump from './pg-dump';
import * as restic from './restic';
import * as rsync from './rsync';
import * as velero from './velero';
import * as vzdump from './vzdump';
import * as zfsSend from './zfs-send';
import * as zfsSnapshot from './zfs-snapshot';

export const DRIVERS: Record<string, Driver> = {
  archive: archive.steps,
  restic: restic.steps,
  borg: borg.steps,
  rsync: rsync.steps,
  'pg-dump': pgDump.steps,
  'mysql-dump': mysqlDump.steps,
  'zfs-snapshot': zfsSnapshot.steps,
  'zfs-send': zfsSend.steps,
  'btrfs-snapshot': btrfsSnapshot.steps,
  'btrfs-send': btrfsSend.steps,
  'incus-snapshot': incusSnapshot.steps,
  'incus-copy': incusCopy.steps,
  velero: velero.steps,
  'openstack-image': openstackImage.steps,
  vzdump: vzdump.steps,
  duplicity: duplicity.steps,
};

export function driverFor(kind: string): Driver | undefined {
  return Object.prototype.hasOwnProperty.call(DRIVERS, kind) ? DRIVERS[kind] : undefined;
}
