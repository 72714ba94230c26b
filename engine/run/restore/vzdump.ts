// Restoring a `vzdump` copy on the Proxmox node (the job's host): `qmrestore ARCHIVE VMID` for a
// VM archive, `pct restore VMID ARCHIVE` for a container's, to a new guest id (`--to VMID`).
// Neither is given --force, so both refuse an id that is taken: a restore never replaces a guest,
// and `--in-place` is refused. The copies are the archives vzdump wrote into the dump directory
// of the job's `to` storage (`<path>/dump/vzdump-{qemu,lxc}-VMID-YYYY_MM_DD-HH_MM_SS.{vma,tar}`
// [.zst|.gz|.lzo], the node's local time), for the job's guests only, newest first; one archive
// is one guest, so a job of several guests restores the one its --copy names.
// Syntax: qmrestore(1) (`qmrestore <archive> <vmid> [OPTIONS]`, --force to overwrite), pct(1)
// (`pct restore <vmid> <ostemplate> [OPTIONS]`), vzdump(1) (the dump directory and file names).
// Not run here (no Proxmox): checked with stub programs.
import { DateTime } from 'luxon';
import { fsFor } from '../exec/files';
import { Kit } from '../steps/driver-kit';
import { backupStep, storageOf, zoneOf } from './common';
import { toolAction, toolCommand } from './tool';
import { RestoreError, type KindContext, type RestoreCopy, type ToolRestorer } from './types';

export const ARCHIVE =
  /^vzdump-(qemu|lxc)-([1-9][0-9]{2,8})-(\d{4}_\d{2}_\d{2}-\d{2}_\d{2}_\d{2})\.(vma|tar)(\.(zst|gz|lzo))?$/;
const VMID = /^[1-9][0-9]{2,8}$/;

function guests(ctx: KindContext): string[] {
  const v = ctx.job.raw.vmid;
  return (Array.isArray(v) ? v : [v]).map(String);
}

/** The dump directory of the job's `to` storage, on the node. */
function dumpDir(ctx: KindContext): string {
  const s = ctx.job.to !== undefined ? ctx.plan.storage.get(ctx.job.to) : undefined;
  if (!s || typeof s.path !== 'string' || !s.path.startsWith('/'))
    throw new RestoreError(
      `job ${ctx.job.name}: storage ${ctx.job.to ?? '(none)'} has no path, so its vzdump archives cannot be listed ` +
        '(backplan restore reads <path>/dump on the node; a Proxmox Backup Server storage is restored with ' +
        'qmrestore or pct restore and its volume id, by hand)',
    );
  return `${s.path.replace(/\/+$/, '')}/dump`;
}

function copyOf(ctx: KindContext, dir: string, name: string): RestoreCopy | undefined {
  const m = ARCHIVE.exec(name);
  if (!m || !guests(ctx).includes(m[2])) return undefined;
  const t = DateTime.fromFormat(m[3], 'yyyy_LL_dd-HH_mm_ss', { zone: zoneOf(ctx.job, ctx.plan) });
  if (!t.isValid) return undefined;
  return {
    name,
    time: t.toMillis(),
    path: `${dir}/${name}`,
    host: backupStep(ctx, 'vzdump').host,
    storage: storageOf(ctx.job),
  };
}

export const vzdumpRestorer: ToolRestorer = {
  target: 'tool',
  placeholder: '<free guest id>',
  async list(ctx) {
    const dir = dumpDir(ctx);
    const host = backupStep(ctx, 'vzdump').host;
    const entries = await fsFor(host, ctx.x.hosts).list(dir);
    if (!entries) throw new RestoreError(`${dir} does not exist${host === 'local' ? '' : ` on ${host}`}`);
    const copies = entries
      .filter((e) => e.type === 'file')
      .map((e) => copyOf(ctx, dir, e.name))
      .filter((c): c is RestoreCopy => c !== undefined)
      .sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
    return { storage: storageOf(ctx.job), copies, why: `the vzdump archives in ${dir}` };
  },
  named(ctx, name) {
    try {
      return copyOf(ctx, dumpDir(ctx), name);
    } catch {
      return undefined;
    }
  },
  restore(ctx, copy, req) {
    if (req.inPlace)
      throw new RestoreError(
        '--in-place is refused for vzdump: qmrestore and pct restore over an existing guest destroy it; restore to a ' +
          'free guest id with --to VMID and switch over to it',
      );
    const to = req.to ?? '';
    if (!req.placeholder && !VMID.test(to))
      throw new RestoreError(`--to ${JSON.stringify(to)} is not a Proxmox guest id (100-999999999)`);
    const all = guests(ctx);
    // The runbook's copy is a placeholder: shown as the first guest's VM archive.
    const m = req.placeholder ? [copy.name, 'qemu', all[0]] : ARCHIVE.exec(copy.name);
    if (!m) throw new RestoreError(`${copy.name} is not a vzdump archive name`);
    if (all.length > 1 && !req.named && !req.placeholder)
      throw new RestoreError(
        `job ${ctx.job.name} backs up guests ${all.join(', ')}, one archive each: name the archive to restore with ` +
          `--copy (the newest is ${copy.name})`,
      );
    const k = new Kit(ctx.job, ctx.plan, { now: 0 });
    const vm = m[1] === 'qemu';
    const argv = vm
      ? [k.tool(ctx.job.host, 'qmrestore'), copy.path, to]
      : [k.tool(ctx.job.host, 'pct'), 'restore', to, copy.path];
    const what = `${vm ? 'VM' : 'container'} ${to}`;
    const said = req.placeholder
      ? `restore an archive ${copy.name} of guest ${all.join(' or ')} (a container's: pct restore ID ARCHIVE)`
      : `restore guest ${m[2]}'s archive ${copy.name} as ${what}`;
    return {
      actions: [toolAction(ctx, said, toolCommand(ctx, argv))],
      target: `${what} (from guest ${m[2]})`,
      notes: [`${vm ? 'qmrestore' : 'pct restore'} refuses a guest id that is taken (no --force is given)`],
    };
  },
};
