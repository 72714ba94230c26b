// What each job kind is: which engine prunes it, whether its output is a snapshot that stays
// on the source storage (and so never adds a 3-2-1 copy), and which fields name its data.
import type { EngineId } from './retention/types';

export interface KindInfo {
  kind: string;
  engine: EngineId;
  /** Output lands on the source data's own storage (zfs/btrfs/incus/volume snapshots). */
  snapshot: boolean;
  /** Copies the output of its `from` job instead of reading live data. */
  copiesFrom: boolean;
  /** Fields that name the data the kind reads (for chains, db-without-dump ...). */
  dataFields: string[];
  /** Present when Backplan can run it without any external tool. */
  builtin?: boolean;
}

const k = (kind: string, engine: EngineId, snapshot: boolean, copiesFrom: boolean, dataFields: string[], builtin = false): KindInfo => ({
  kind,
  engine,
  snapshot,
  copiesFrom,
  dataFields,
  builtin,
});

export const KINDS: Record<string, KindInfo> = {
  archive: k('archive', 'native', false, false, ['paths'], true),
  restic: k('restic', 'restic', false, false, ['paths']),
  borg: k('borg', 'borg', false, false, ['paths']),
  rsync: k('rsync', 'native', false, false, ['paths']),
  'pg-dump': k('pg-dump', 'native', false, false, ['database']),
  'mysql-dump': k('mysql-dump', 'native', false, false, ['database']),
  'zfs-snapshot': k('zfs-snapshot', 'native', true, false, ['dataset']),
  'zfs-send': k('zfs-send', 'native', false, true, ['dataset']),
  'btrfs-snapshot': k('btrfs-snapshot', 'native', true, false, ['subvolume']),
  'btrfs-send': k('btrfs-send', 'native', false, true, ['subvolume']),
  'incus-snapshot': k('incus-snapshot', 'incus', true, false, ['instance']),
  'incus-copy': k('incus-copy', 'native', false, true, ['instance']),
  velero: k('velero', 'velero', false, false, ['namespaces']),
  'openstack-image': k('openstack-image', 'native', false, false, ['server', 'volume']),
  vzdump: k('vzdump', 'pbs', false, false, ['vmid']),
};

export const KIND_NAMES = Object.keys(KINDS);

export function kindInfo(kind: string): KindInfo | undefined {
  return Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
}
