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
  /**
   * How its output can be encrypted: `repository` (restic, borg encrypt by design), `gpg` (the
   * `encrypt: {gpg}` stage applies), or advice for kinds where `encrypt` cannot apply.
   */
  encryption: 'repository' | 'gpg' | { advice: string };
  /**
   * `backplan verify` has a restore test for the kind. A `verify` on any other kind can never
   * run, so it must not count as a restore test (coverage, `no-restore-test`, exports).
   */
  restoreTest: boolean;
}

const k = (
  kind: string,
  engine: EngineId,
  snapshot: boolean,
  copiesFrom: boolean,
  dataFields: string[],
  encryption: KindInfo['encryption'],
  restoreTest: boolean,
  builtin = false,
): KindInfo => ({ kind, engine, snapshot, copiesFrom, dataFields, encryption, restoreTest, builtin });

const advice = (text: string) => ({ advice: text });
const VIA_RESTIC = 'carry the copy offsite with a restic or borg job (encrypted repositories)';

export const KINDS: Record<string, KindInfo> = {
  archive: k('archive', 'native', false, false, ['paths'], 'gpg', true, true),
  restic: k('restic', 'restic', false, false, ['paths'], 'repository', true),
  borg: k('borg', 'borg', false, false, ['paths'], 'repository', true),
  rsync: k('rsync', 'native', false, false, ['paths'], advice(`rsync copies plain files: ${VIA_RESTIC}, or write to an encrypted disk`), true),
  'pg-dump': k('pg-dump', 'native', false, false, ['database'], 'gpg', true),
  'mysql-dump': k('mysql-dump', 'native', false, false, ['database'], 'gpg', true),
  'zfs-snapshot': k('zfs-snapshot', 'native', true, false, ['dataset'], advice('use ZFS native encryption on the dataset'), false),
  'zfs-send': k('zfs-send', 'native', false, true, ['dataset'], advice(`use ZFS native encryption on the source dataset and raw sends (\`zfs send -w\`), or ${VIA_RESTIC}`), true),
  'btrfs-snapshot': k('btrfs-snapshot', 'native', true, false, ['subvolume'], advice('btrfs has no encryption: put the filesystem on an encrypted disk (LUKS)'), false),
  'btrfs-send': k('btrfs-send', 'native', false, true, ['subvolume'], advice(`btrfs has no encryption: receive onto an encrypted disk (LUKS), or ${VIA_RESTIC}`), true),
  'incus-snapshot': k('incus-snapshot', 'incus', true, false, ['instance'], advice('put the storage pool on an encrypted disk'), false),
  'incus-copy': k('incus-copy', 'native', false, true, ['instance'], advice(`put the standby's storage pool on an encrypted disk, or ${VIA_RESTIC}`), true),
  velero: k('velero', 'velero', false, false, ['namespaces'], advice('enable server-side encryption of the bucket (e.g. S3 SSE with a KMS key), or carry the bucket offsite with restic'), false),
  'openstack-image': k('openstack-image', 'native', false, false, ['server', 'volume'], advice('use encrypted Cinder volume types and Glance image encryption, configured in the cloud'), false),
  vzdump: k('vzdump', 'pbs', false, false, ['vmid'], advice(`use a Proxmox Backup Server storage with client-side encryption, or ${VIA_RESTIC}`), false),
  // duplicity encrypts every volume with gpg itself (a passphrase or encrypt.gpg's key).
  duplicity: k('duplicity', 'duplicity', false, false, ['paths'], 'repository', true),
};

export const KIND_NAMES = Object.keys(KINDS);

/** The kinds `backplan verify` can restore-test, in declaration order. */
export const RESTORE_TEST_KINDS = KIND_NAMES.filter((n) => KINDS[n].restoreTest);

export function kindInfo(kind: string): KindInfo | undefined {
  return Object.prototype.hasOwnProperty.call(KINDS, kind) ? KINDS[kind] : undefined;
}
