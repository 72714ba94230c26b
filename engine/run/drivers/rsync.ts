// rsync — a dated directory per run in `<to.path>/<job>/`, unchanged files hard-linked to the
// previous run's directory (--link-dest), written as `<date>.partial` and renamed when complete.
// Runs on the job's host; a storage on another host is reached by rsync over ssh from there.
// Pruned natively (Backplan lists the dated directories). The previous complete directory is read
// from the storage just before the run (live/rsync.ts) and passed to --link-dest, so unchanged
// files are hard links to it.
// Syntax: https://download.samba.org/pub/rsync/rsync.1 (-a, --delete, --relative, --link-dest,
// --exclude, -e/--rsh, --protect-args); checked against rsync 3.2.7.
import type { JobModel, PlanModel } from '../../plan/model';
import { LOCAL } from '../exec/quote';
import { Kit, type DriverContext, type DriverResult } from '../steps/driver-kit';

export function steps(job: JobModel, plan: PlanModel, ctx: DriverContext): DriverResult {
  const k = new Kit(job, plan, ctx);
  const host = k.jobHost();
  const paths = k.paths();
  const exclude = k.excludes();
  const to = k.storage(job.to, 'to');
  const base = to ? k.storagePath(to) : undefined;
  const sHost = to ? k.storageHost(to) : LOCAL;
  const named = k.copyName('');
  const policy = k.policy();
  if (job.encrypt)
    k.err(
      'rsync copies plain files: `encrypt` is not supported (use restic, borg or archive for encrypted copies)',
      k.at('encrypt'),
    );
  if (to && sHost === LOCAL && host !== LOCAL) {
    k.err(
      `storage \`${to.name}\` is on this machine but the job reads on \`${job.host}\`: rsync runs on the job's host ` +
        `and cannot push back here`,
      k.at('to'),
    );
  }
  if (k.errors.length || !base || !named || !to) return k.result();

  const dir = `${base}/${job.name}`;
  const final = `${dir}/${named.name}`;
  const partial = `${final}.partial`;
  const rsync = k.tool(job.host, 'rsync');
  const args = [rsync, '--archive', '--delete', '--relative', '--numeric-ids', ...exclude.map((e) => `--exclude=${e}`)];
  const notes: string[] = [];
  const prev = k.state.previous;
  if (k.raw.link_dest === false) {
    // every tree is a full copy
  } else if (prev) {
    k.checkInventoryNames(prev);
    args.push(`--link-dest=${dir}/${prev}`);
  } else {
    notes.push(
      'no previous tree known: a full copy (the runner adds --link-dest=<newest complete tree> from inventory)',
    );
  }
  let dest = `${partial}/`;
  if (sHost !== host) {
    const h = k.hostModel(to.host)!;
    // The job host's `tools.ssh` (a wrapper, another client) replaces plain `ssh`.
    const rsh = [k.tool(job.host, 'ssh'), '-o', 'BatchMode=yes'];
    if (h.port) rsh.push('-p', String(h.port));
    if (h.identity) rsh.push('-i', h.identity);
    if (rsh.some((w) => /[\s'"\\]/.test(w)))
      k.err(`host ${h.name}: an ssh path or identity with spaces or quotes cannot be passed to rsync -e`, h.at);
    // --protect-args: the remote path is sent to the remote rsync as data, not through its shell.
    args.push(`--rsh=${rsh.join(' ')}`, '--protect-args');
    dest = `${h.user ? `${h.user}@` : ''}${h.address}:${partial}/`;
    if (k.errors.length) return k.result();
  }
  // Default names are bare stamps: `*Z*` keeps other directories (and `-2` suffixes) apart.
  const match = named.match === '*' ? '*Z*' : named.match;
  const inventory = { type: 'directories' as const, host: sHost, dir, match };
  k.mkdir(sHost, dir);
  k.command(
    'backup',
    `rsync ${paths.join(', ')} to ${final}`,
    { host, argv: [...args, '--', ...paths, dest] },
    {
      output: { host: sHost, path: final, partial, kind: 'directory', via: 'tool' },
      inventory,
      ...(notes.length ? { notes } : {}),
    },
  );
  if (policy) k.prune(`prune ${dir} by policy`, sHost, policy, inventory);
  return k.result();
}
