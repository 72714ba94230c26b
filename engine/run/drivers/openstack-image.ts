// openstack-image — OpenStack copies made through the `openstack` CLI (python-openstackclient)
// from the job's host, `cloud` naming the clouds.yaml entry (--os-cloud). By `flavor`:
// - `compute` (the instance's root disk is ephemeral, on the compute node): an instance snapshot
//   uploaded to Glance, `openstack server image create --name NAME --wait SERVER`; any `volume`
//   (attached data disks, which that snapshot leaves out) is also uploaded as an image.
// - `persistent` (the instance boots from Cinder volumes; a server image of it would only be a
//   volume snapshot plus an empty image): each `volume` is uploaded to Glance with
//   `openstack image create --volume VOL --disk-format FORMAT NAME` (a copy that leaves the
//   volume's storage); a job with `storage` (where snapshot-type output stays, SPEC §4) and no
//   `to` instead snapshots it in place, `openstack volume snapshot create --volume VOL --force
//   NAME` (a snapshot, which adds no copy, SPEC §5).
// A volume is imaged detached (or with its server shut off), as the cloud's own guides say:
// without `force: true` there is no `--force`, a read-back first refuses a volume whose status
// is not `available` (attached volumes are `in-use`), and a volume the plan says is attached (a
// persistent job naming its `server`, a compute job's data disks) is an error at check time.
// `force: true` adds `--force`: Cinder then uploads the attached volume, crash-consistent.
// `disk_format` (default qcow2, the format to keep for a download) is `--disk-format`.
// `download: {to: STORAGE}` then saves each image outside the cloud, `openstack image save`, as
// NAME.FORMAT in `<path>/<job>/` on that storage's host: `--file NAME.FORMAT.partial` when the
// storage is on the job's host, else the image streamed from stdout to the storage's host; the
// runner renames the `.partial` when whole, and prunes the files with the job's retention. An
// image made from a volume is uploaded by Cinder after `image create` returns, so a wait (a
// fixed sh loop on `openstack image show -c status`, the plan's values passed as its arguments,
// never pasted into it; at most 6 h) comes before its download; `server image create --wait`
// waits by itself.
// Pruned natively (Backplan lists the images/snapshots named after the job).
// Syntax: https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/server-image.html,
// https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/image-v2.html#image-create
// (`[--disk-format <disk-format>] [--file <file> | --volume <volume>] [--force] <image-name>`; --force:
// "force image creation if volume is in use (only meaningful with --volume)"; disk formats ami, ari, aki,
// vhd, vmdk, raw, qcow2, vhdx, vdi, iso, ploop, default raw), `image save [--file <filename>] <image>` (default:
// stdout), `image show`, https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/volume.html
// (`volume show`), https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/volume-snapshot.html
// (`volume snapshot create --volume <volume> [--force] <snapshot-name>`). Not run here.
import type { JobModel, PlanModel, StorageModel, YamlPath } from '../../plan/model';
import { nameProblem } from '../exec/quote';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { Command, EnvValue, Inventory, StepOutput } from '../steps/step';

/** Disk formats Cinder can upload a volume as (the client's list, less the kernel/ramdisk and iso ones). */
const DISK_FORMATS = ['qcow2', 'raw', 'vmdk', 'vdi', 'vhd', 'vhdx', 'ploop'];
const WAIT_SECONDS = 6 * 3600;
/**
 * Waits until image $1 is `active`, at most $2 seconds; the rest of the arguments are the
 * `openstack` command (binary and --os-cloud). Fixed text: the plan's values are its arguments.
 */
export const WAIT_ACTIVE =
  'img=$1; max=$2; shift 2; t=0; while s=$("$@" image show -f value -c status "$img"); do case $s in ' +
  'active) exit 0;; killed|deleted|pending_delete|deactivated) echo "image $img is $s" >&2; exit 1;; esac; ' +
  'if [ "$t" -ge "$max" ]; then echo "image $img is still $s after ${max}s" >&2; exit 1; fi; ' +
  'sleep 10; t=$((t + 10)); done; exit 1';

/** `download: {to}`: the storage, its host and the job's directory on it. */
function downloadTarget(k: Kit): { host: string; dir: string } | undefined {
  const raw = k.raw.download;
  if (raw === undefined || raw === null) return undefined;
  const to = (raw as Record<string, unknown>).to;
  if (typeof raw !== 'object' || Array.isArray(raw) || typeof to !== 'string') {
    k.err('`download` must be `{to: STORAGE}` (the storage that receives the image files)', k.at('download'));
    return undefined;
  }
  const at: YamlPath = k.at('download', 'to');
  const s: StorageModel | undefined = k.plan.storage.get(to);
  if (!s) {
    k.err(`download.to \`${to}\` is not defined under storage`, at);
    return undefined;
  }
  if (to === k.job.to) {
    k.err('`download.to` is the job\'s `to` (where the images already are): name a storage outside the cloud', at);
    return undefined;
  }
  const base = k.storagePath(s);
  const host = k.storageHost(s);
  return base ? { host, dir: `${base}/${k.job.name}` } : undefined;
}

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const flavor = job.raw.flavor ?? 'compute';
  if (flavor !== 'compute' && flavor !== 'persistent')
    k.err('`flavor` must be `persistent` or `compute`', k.at('flavor'));
  const server = k.name('server', job.raw.server, flavor === 'compute');
  const volumes = k.list('volume', nameProblem, flavor === 'persistent');
  const cloud = k.name('cloud', job.raw.cloud, false);
  const pw = k.secret('password');
  const named = k.copyName(`${job.name}-`);
  const policy = k.policy();
  if (job.encrypt)
    k.err(
      '`encrypt` is not supported for openstack-image (Glance and Cinder encryption are configured in the cloud)',
      k.at('encrypt'),
    );
  const force = job.raw.force ?? false;
  if (typeof force !== 'boolean') k.err('`force` must be true or false', k.at('force'));
  const format = job.raw.disk_format ?? 'qcow2';
  if (typeof format !== 'string' || !DISK_FORMATS.includes(format))
    k.err(`\`disk_format\` must be one of ${DISK_FORMATS.join(', ')}`, k.at('disk_format'));
  // A persistent job that names a `storage` (where snapshot-type output stays) and no `to` keeps
  // its copies as Cinder snapshots next to the volume instead of images.
  const snapshotOnly = flavor === 'persistent' && job.to === undefined && job.storage !== undefined;
  if (volumes.length && !snapshotOnly && force !== true && (flavor === 'compute' || server !== undefined))
    k.err(
      `${flavor === 'compute' ? 'the `volume` of a compute job is a data disk of' : '`volume` is the disk of'} ` +
        `server \`${server}\`: Cinder images an attached volume only with \`--force\`. Detach it before each run, or ` +
        'set `force: true` (a crash-consistent image; shut the server off around the run for a consistent one)',
      k.at('volume'),
    );
  const download = downloadTarget(k);
  if (download && snapshotOnly)
    k.err(
      '`download` saves images, and this job keeps Cinder snapshots (a `storage` and no `to`): give it a `to`',
      k.at('download'),
    );
  if (k.errors.length || !named) return k.result();

  const os = [k.tool(job.host, 'openstack'), ...(cloud ? [`--os-cloud=${cloud}`] : [])];
  const env: Record<string, EnvValue> | undefined = pw ? { OS_PASSWORD: pw } : undefined;
  const cmd = (argv: string[], on = host): Command => ({ host: on, argv, ...(env ? { env } : {}) });
  const osc = (argv: string[]): Command => cmd([...os, ...argv]);
  const inv: Inventory[] = [];
  /** The images this run makes: name, file extension of a download, whether it must be waited for. */
  const images: { name: string; ext: string; wait: boolean }[] = [];
  if (download) k.mkdir(download.host, download.dir);
  if (flavor === 'compute') {
    k.command(
      'backup',
      `instance snapshot of ${server} to image ${named.name}`,
      osc(['server', 'image', 'create', '--name', named.name, '--wait', server!]),
    );
    // Nova picks the disk format of an instance snapshot (qcow2 or raw, by the compute backend).
    images.push({ name: named.name, ext: 'img', wait: false });
    inv.push({ type: 'openstack-images', host, ...(cloud ? { cloud } : {}), match: named.match });
  }
  volumes.forEach((vol, i) => {
    const n = volumes.length > 1 || flavor === 'compute' ? `${named.name}-v${i + 1}` : named.name;
    if (snapshotOnly) {
      k.command(
        'backup',
        `snapshot of volume ${vol} as ${n}`,
        osc(['volume', 'snapshot', 'create', '--volume', vol, '--force', n]),
      );
      return;
    }
    if (!force)
      k.command(
        'setup',
        `check that volume ${vol} is detached (status available)`,
        osc(['volume', 'show', '-f', 'value', '-c', 'status', vol]),
        {
          expect: { stdout: 'available' },
          notes: ['an attached volume (in-use) is refused: detach it, or set `force: true` to image it attached'],
        },
      );
    k.command(
      'backup',
      `upload volume ${vol} to image ${n} (${format})`,
      osc(['image', 'create', '--volume', vol, '--disk-format', format as string, ...(force ? ['--force'] : []), n]),
      force
        ? {
            notes: [
              'force: the volume is imaged while attached, a crash-consistent image (shut the server off around the ' +
                'run for a consistent one)',
            ],
          }
        : {},
    );
    images.push({ name: n, ext: format as string, wait: true });
  });
  if (volumes.length) {
    const type = snapshotOnly ? 'openstack-volume-snapshots' : 'openstack-images';
    if (!inv.some((i) => i.type === type))
      inv.push({ type, host, ...(cloud ? { cloud } : {}), match: named.match } as Inventory);
  }
  const files: Inventory | undefined = download
    ? { type: 'files', host: download.host, dir: download.dir, match: named.match }
    : undefined;
  if (download) {
    for (const img of images) {
      if (img.wait)
        k.command(
          'copy',
          `wait until image ${img.name} is active`,
          cmd(['sh', '-c', WAIT_ACTIVE, 'sh', img.name, String(WAIT_SECONDS), ...os]),
        );
      const path = `${download.dir}/${img.name}.${img.ext}`;
      const here = download.host === host;
      const output: StepOutput = {
        host: download.host,
        path,
        partial: `${path}.partial`,
        kind: 'file',
        via: here ? 'tool' : 'stdout',
      };
      k.command(
        'copy',
        `download image ${img.name} to ${path}`,
        osc(['image', 'save', ...(here ? ['--file', output.partial] : []), img.name]),
        { output, inventory: files },
      );
    }
  }
  if (policy) {
    for (const inventory of inv)
      k.prune(
        `prune ${inventory.type.replace('openstack-', '')} named ${named.match} by policy`,
        host,
        policy,
        inventory,
      );
    if (files) k.prune(`prune ${download!.dir} by policy`, download!.host, policy, files);
  }
  return k.result();
}
