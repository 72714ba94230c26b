// Restoring a `velero` copy: `velero restore create NAME --from-backup BACKUP
// [--namespace-mappings=OLD:NEW,...] --wait` from the job's host, with the backup's
// --kubeconfig/--kubecontext. The copies are the job's Velero backups as `velero backup get -o
// json` lists them (a BackupList, or the one Backup when there is one), named as the driver names
// them (`JOB-YYYYMMDD-HHMM`), phase Completed only, newest first.
// `--to NS` restores a one-namespace job into the namespace NS, `--to OLD:NEW,...` maps each of
// the job's namespaces; `--in-place` restores into the namespaces the backup was taken from.
// Velero never replaces a resource that already exists (its default existing-resource-policy,
// none, which is never changed here): what exists is left as it is and reported by Velero.
// Syntax: Velero's restore reference (`velero restore create [RESTORE_NAME] --from-backup BACKUP
// --namespace-mappings src1:dst1,src2:dst2 --wait`) and `velero backup get -o json`. Not run here
// (no velero binary): checked against the documented flags with a stub program.
import { DateTime } from 'luxon';
import { NAMESPACE, objectName, OBJECT_NAME } from '../drivers/velero';
import { backupStep, storageOf } from './common';
import { runToolChecked, toolAction, toolCommand } from './tool';
import { RestoreError, type KindContext, type RestoreCopy, type ToolRestorer } from './types';

const GLOBAL = /^--(kubeconfig|kubecontext)=/;

function parts(ctx: KindContext): { velero: string; globals: string[]; namespaces: string[] } {
  const argv = backupStep(ctx, 'velero').argv;
  const ns = argv.find((a) => a.startsWith('--include-namespaces='));
  return {
    velero: argv[0],
    globals: argv.filter((a) => GLOBAL.test(a)),
    namespaces: ns ? ns.slice('--include-namespaces='.length).split(',') : [],
  };
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The time in a backup name the driver made (`JOB-YYYYMMDD-HHMM`, UTC), or undefined. */
function nameTime(ctx: KindContext, name: string): number | undefined {
  const m = new RegExp(`^${esc(objectName(ctx.job, ''))}-(\\d{8})-(\\d{4})$`).exec(name);
  if (!m) return undefined;
  const t = DateTime.fromFormat(`${m[1]}${m[2]}`, 'yyyyLLddHHmm', { zone: 'UTC' });
  return t.isValid ? t.toMillis() : undefined;
}

interface VeleroBackup {
  metadata?: { name?: string; creationTimestamp?: string };
  status?: { phase?: string; startTimestamp?: string };
}

/** The backups of `velero backup get -o json`: a list, or the one backup itself. */
export function parseVeleroBackups(text: string): VeleroBackup[] {
  if (text.trim() === '') return [];
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RestoreError('velero backup get -o json did not print JSON');
  }
  const o = v as { items?: unknown; kind?: unknown };
  if (Array.isArray(o?.items)) return o.items as VeleroBackup[];
  if (o?.kind === 'Backup') return [v as VeleroBackup];
  throw new RestoreError('velero backup get -o json printed neither a BackupList nor a Backup');
}

/** `--to`: one namespace (a one-namespace job) or OLD:NEW pairs for the job's namespaces. */
function mappings(to: string, namespaces: string[]): string {
  const own = namespaces.filter((n) => n !== '*');
  const bad = (n: string) => !NAMESPACE.test(n) || n === '*';
  if (!to.includes(':')) {
    if (bad(to)) throw new RestoreError(`--to ${JSON.stringify(to)} is not a Kubernetes namespace name`);
    if (own.length !== 1 || namespaces.includes('*'))
      throw new RestoreError(
        `the job backs up namespaces ${namespaces.join(', ')}: give --to as OLD:NEW pairs (e.g. ` +
          `${(own.length ? own : ['app']).map((n) => `${n}:${n}-restored`).join(',')})`,
      );
    return `${own[0]}:${to}`;
  }
  const pairs = to.split(',').map((p) => p.split(':'));
  for (const p of pairs) {
    if (p.length !== 2 || bad(p[0]) || bad(p[1]))
      throw new RestoreError(`--to ${JSON.stringify(to)}: expected OLD:NEW namespace pairs separated by commas`);
    if (!namespaces.includes('*') && !own.includes(p[0]))
      throw new RestoreError(`--to: namespace ${p[0]} is not one the job backs up (${own.join(', ')})`);
  }
  return pairs.map((p) => p.join(':')).join(',');
}

function copyOf(ctx: KindContext, name: string, time: number): RestoreCopy {
  return { name, time, path: name, host: backupStep(ctx, 'velero').host, storage: storageOf(ctx.job) };
}

export const veleroRestorer: ToolRestorer = {
  target: 'tool',
  placeholder: '<new namespace, or OLD:NEW,...>',
  async list(ctx) {
    const { velero, globals } = parts(ctx);
    const cmd = toolCommand(ctx, [velero, 'backup', 'get', '-o', 'json', ...globals]);
    const out = await runToolChecked(ctx, cmd, `cannot list the Velero backups of ${ctx.job.name}`);
    const copies: RestoreCopy[] = [];
    for (const b of parseVeleroBackups(out)) {
      const name = b.metadata?.name;
      if (typeof name !== 'string' || b.status?.phase !== 'Completed') continue;
      const named = nameTime(ctx, name);
      if (named === undefined) continue;
      const started = Date.parse(b.status?.startTimestamp ?? b.metadata?.creationTimestamp ?? '');
      copies.push(copyOf(ctx, name, Number.isNaN(started) ? named : started));
    }
    copies.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
    return { storage: storageOf(ctx.job), copies, why: "the job's Velero backups (phase Completed)" };
  },
  named(ctx, name) {
    if (!OBJECT_NAME.test(name)) return undefined;
    return copyOf(ctx, name, nameTime(ctx, name) ?? 0);
  },
  restore(ctx, copy, req) {
    const { velero, globals, namespaces } = parts(ctx);
    const to = req.to ?? '';
    const own = namespaces.filter((n) => n !== '*');
    const shown = to.includes(':') || own.length !== 1 ? to : `${own[0]}:${to}`;
    const map = req.inPlace ? undefined : req.placeholder ? shown : mappings(to, namespaces);
    const suffix = `-restore-${req.stamp.toLowerCase()}`;
    const name = `${copy.name.slice(0, 63 - suffix.length).replace(/[-.]+$/, '')}${suffix}`;
    const argv = [
      velero,
      'restore',
      'create',
      name,
      `--from-backup=${copy.name}`,
      ...(map ? [`--namespace-mappings=${map}`] : []),
      '--wait',
      ...globals,
    ];
    const target = map ? `namespaces ${map.replace(/:/g, ' → ')}` : `namespaces ${namespaces.join(', ')} (in place)`;
    return {
      actions: [
        toolAction(ctx, `velero restore ${name} of backup ${copy.name} into ${target}`, toolCommand(ctx, argv)),
      ],
      target,
      notes: [
        'Velero never replaces a resource that exists already (existing-resource-policy none): those are left as ' +
          'they are and listed by `velero restore describe`',
      ],
    };
  },
};
