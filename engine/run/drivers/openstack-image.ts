// openstack-image — OpenStack copies made through the `openstack` CLI (python-openstackclient)
// from the job's host, `cloud` naming the clouds.yaml entry (--os-cloud). By `flavor`:
// - `compute` (the instance's root disk is ephemeral, on the compute node): an instance snapshot
//   uploaded to Glance, `openstack server image create --name NAME --wait SERVER`; any `volume`
//   (attached data disks, which that snapshot leaves out) is also uploaded as an image.
// - `persistent` (the instance boots from Cinder volumes; a server image of it would only be a
//   volume snapshot plus an empty image): each `volume` is uploaded to Glance with
//   `openstack image create --volume VOL --force NAME` (a copy that leaves the volume's storage);
//   a job with `storage` (where snapshot-type output stays, SPEC §4) and no `to` instead
//   snapshots it in place, `openstack volume snapshot create --volume VOL --force NAME` (a
//   snapshot, which adds no copy, SPEC §5).
// Pruned natively (Backplan lists the images/snapshots named after the job).
// Syntax: https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/server-image.html,
// https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/image-v2.html#image-create
// (`[--file <file> | --volume <volume>] [--force] <image-name>`),
// https://docs.openstack.org/python-openstackclient/latest/cli/command-objects/volume-snapshot.html
// (`volume snapshot create --volume <volume> [--force] <snapshot-name>`). Not run here.
import type { JobModel, PlanModel } from '../../plan/model';
import { nameProblem } from '../exec/quote';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';
import type { EnvValue, Inventory } from '../steps/step';

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
  if (k.errors.length || !named) return k.result();

  const os = [k.tool(job.host, 'openstack'), ...(cloud ? [`--os-cloud=${cloud}`] : [])];
  const env: Record<string, EnvValue> | undefined = pw ? { OS_PASSWORD: pw } : undefined;
  const cmd = (argv: string[]) => ({ host, argv: [...os, ...argv], ...(env ? { env } : {}) });
  const inv: Inventory[] = [];
  if (flavor === 'compute') {
    k.command(
      'backup',
      `instance snapshot of ${server} to image ${named.name}`,
      cmd(['server', 'image', 'create', '--name', named.name, '--wait', server!]),
    );
    inv.push({ type: 'openstack-images', host, ...(cloud ? { cloud } : {}), match: named.match });
  }
  // A persistent job that names a `storage` (where snapshot-type output stays) and no `to` keeps
  // its copies as Cinder snapshots next to the volume instead of images.
  const snapshotOnly = flavor === 'persistent' && job.to === undefined && job.storage !== undefined;
  volumes.forEach((vol, i) => {
    const n = volumes.length > 1 || flavor === 'compute' ? `${named.name}-v${i + 1}` : named.name;
    if (snapshotOnly) {
      k.command(
        'backup',
        `snapshot of volume ${vol} as ${n}`,
        cmd(['volume', 'snapshot', 'create', '--volume', vol, '--force', n]),
      );
    } else {
      k.command(
        'backup',
        `upload volume ${vol} to image ${n}`,
        cmd(['image', 'create', '--volume', vol, '--force', n]),
      );
    }
  });
  if (volumes.length) {
    const type = snapshotOnly ? 'openstack-volume-snapshots' : 'openstack-images';
    if (!inv.some((i) => i.type === type))
      inv.push({ type, host, ...(cloud ? { cloud } : {}), match: named.match } as Inventory);
  }
  if (policy) {
    for (const inventory of inv)
      k.prune(
        `prune ${inventory.type.replace('openstack-', '')} named ${named.match} by policy`,
        host,
        policy,
        inventory,
      );
  }
  return k.result();
}
