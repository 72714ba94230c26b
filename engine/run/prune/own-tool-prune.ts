// `backplan prune --job J` for jobs whose tool takes and prunes the snapshots itself (`pruner:
// sanoid`, `pruner: btrbk`, drivers/tool-pruner.ts): the tool's prune only, with the job's own
// configuration as a run writes it, under the job's lock and journalled like any prune:
// - sanoid: `sanoid --prune-snapshots` (no --take-snapshots) with the job's configdir. sanoid has
//   no dry run (its --readonly still trusts a cache and prints nothing reliable to parse), so a
//   dry run lists the dataset and shows Backplan's exact sanoid engine's decision (retention/
//   sanoid.ts), nothing written.
// - btrbk: `btrbk -c CONF prune` (btrbk(1): deletes snapshots and backups by their retention,
//   creates and sends nothing; for a section with a target both sides, keeping the latest common
//   pair). A dry run is btrbk's own `-n -S prune`: its `delete` rows are the removals (the
//   configuration is written first, as the run would write it).
// A real prune lists the copies before and after the tool: `removed` is what went.
import { writeToolConfig } from '../builtin/tool-config';
import { runCommandStep } from '../exec/execute';
import { fsFor } from '../exec/files';
import { Hosts } from '../exec/hosts';
import { Redactor } from '../exec/redact';
import { JobOpError, type JobSession, type PruneJobOptions, type PruneJobReport } from '../ops/types';
import { listCopies, type Copy } from './copies';
import { runOn } from '../inventory/run-on';
import { isSnapshotInventory, snapshotPath } from '../inventory/index';
import { sanoidEngine } from '../../retention/sanoid';
import type { CommandStep, PruneSpec, Step, ToolConfigStep } from '../steps/step';

const iso = (t: number) => new Date(t).toISOString();

/** The tool's prune-only command for the job's step (sanoid without --take-snapshots, btrbk `prune`). */
export function pruneOnlyArgv(step: CommandStep): string[] {
  if (step.prunedBy!.engine === 'sanoid') return step.argv.filter((a) => a !== '--take-snapshots');
  // [btrbk, -c, CONF, action]
  return [...step.argv.slice(0, 3), 'prune'];
}

function baseReport(opts: PruneJobOptions, spec: PruneSpec): PruneJobReport {
  const inv = spec.inventory;
  return {
    job: opts.job,
    dryRun: Boolean(opts.dryRun),
    engine: spec.engine,
    min: 0,
    dir: isSnapshotInventory(inv) ? snapshotPath(inv, inv.match) : 'dir' in inv ? inv.dir : '',
    keep: [],
    remove: [],
    removed: [],
    failed: [],
    ignored: [],
    partials: [],
  };
}

async function listed(spec: PruneSpec, opts: PruneJobOptions, hosts: Hosts): Promise<Copy[]> {
  const job = opts.plan.jobs.get(opts.job)!;
  const l = await listCopies(spec.inventory, job, spec.timezone, fsFor(spec.inventory.host, hosts), { hosts });
  return l.copies;
}

export async function pruneByOwnTool(
  opts: PruneJobOptions,
  steps: readonly Step[],
  open: () => JobSession,
): Promise<PruneJobReport> {
  const t0 = Date.now();
  const now = opts.now ?? t0;
  const tool = steps.find((s): s is CommandStep => s.type === 'command' && s.prunedBy !== undefined)!;
  const config = steps.find((s): s is ToolConfigStep => s.type === 'tool-config');
  const spec = tool.prunedBy!;
  const prune: CommandStep = {
    ...tool,
    id: `${opts.job}/prune`,
    phase: 'prune',
    description: `${spec.engine} prunes the snapshots of job ${opts.job} by its own rules (nothing taken or sent)`,
    argv: pruneOnlyArgv(tool),
  };
  const out = baseReport(opts, spec);
  if (opts.dryRun) {
    const hosts = new Hosts(opts.plan, { sshOptions: opts.sshOptions, multiplex: false });
    const redactor = new Redactor();
    try {
      const copies = await listed(spec, opts, hosts);
      if (spec.engine === 'sanoid') {
        const d = sanoidEngine.evaluate(
          copies.map((c) => ({ time: c.time, id: c.name, name: c.name })),
          spec.policy,
          { now, timezone: spec.timezone },
        );
        out.keep = d.keep.map((k) => ({ name: k.snapshot.name!, time: iso(k.snapshot.time), reasons: k.reasons }));
        out.remove = d.remove.map((s) => ({ name: s.name!, time: iso(s.time) }));
        return out;
      }
      if (config) {
        const w = await writeToolConfig(config.host, config.config, { hosts, redactor });
        if (!w.ok) throw new JobOpError(w.message ?? `could not write ${config.config.path}`);
      }
      // btrbk's own dry run: `-n -S prune`, one `delete PATH` row per snapshot or backup it would delete.
      const argv = [...prune.argv.slice(0, 3), '-n', '-S', 'prune'];
      const r = await runOn({ hosts }, prune.host, argv);
      const text = `${r.stdout.toString('utf8')}\n${r.stderr}`;
      const last = text.trim().split('\n').slice(-3).join(' ');
      if (!r.ok) throw new JobOpError(redactor.text(`${argv.join(' ')} failed: ${last}`));
      const gone = new Set([...text.matchAll(/^delete\s+(\S+)/gm)].map((m) => m[1].replace(/.*\//, '')));
      for (const c of copies) {
        if (gone.has(c.name)) out.remove.push({ name: c.name, time: iso(c.time) });
        else out.keep.push({ name: c.name, time: iso(c.time), reasons: ['kept by btrbk -n prune'] });
      }
      return out;
    } finally {
      await hosts.close();
    }
  }
  const s = open();
  let status: 'ok' | 'failed' = 'failed';
  try {
    const before = await listed(spec, opts, s.hosts);
    s.journal.append({ type: 'step-start', job: opts.job, step: prune.id, phase: 'prune',
      description: prune.description, display: prune.argv.join(' ') });
    s.emit({ event: 'step-start', job: opts.job, step: prune.id, phase: 'prune', description: prune.description });
    let message: string | undefined;
    if (config) {
      const w = await writeToolConfig(config.host, config.config, { hosts: s.hosts, redactor: s.redactor });
      if (!w.ok) message = w.message ?? `could not write ${config.config.path}`;
    }
    if (message === undefined) {
      const r = await runCommandStep(prune, { hosts: s.hosts, redactor: s.redactor });
      if (!r.ok) message = r.message ?? `${prune.argv[0]} failed`;
    }
    const after = await listed(spec, opts, s.hosts);
    const left = new Set(after.map((c) => c.name));
    out.keep = after.map((c) => ({ name: c.name, time: iso(c.time), reasons: [`left by ${spec.engine}`] }));
    out.remove = before.filter((c) => !left.has(c.name)).map((c) => ({ name: c.name, time: iso(c.time) }));
    out.removed = out.remove.map((x) => x.name);
    if (message !== undefined) out.failed.push(s.redactor.text(message));
    status = out.failed.length ? 'failed' : 'ok';
    s.journal.append({ type: 'step-end', job: opts.job, step: prune.id, status, ms: Date.now() - t0,
      ...(message ? { message: s.redactor.text(message) } : {}),
      detail: { kept: out.keep.map((k) => k.name), removed: out.removed } });
    s.emit({ event: 'step-end', job: opts.job, step: prune.id, status, ms: Date.now() - t0 });
    out.journal = s.journal.path;
    return out;
  } finally {
    await s.close(status, t0);
  }
}
