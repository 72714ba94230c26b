// What the restores of kinds whose tool cannot run here share (velero, openstack-image, vzdump):
// a command of the kind's tool run on the job's host, with the backup step's environment
// (secrets by reference, as for runs), after the same check a run makes first: is the program
// installed there? A missing program is one line naming it and the host, and nothing runs.
import { preflight } from '../exec/preflight';
import { runTool } from '../exec/guard';
import type { Command, EnvValue } from '../steps/step';
import { backupStep } from './common';
import { RestoreError, type KindContext, type RestoreAction } from './types';

/** A command of the job's tool on the backup step's host, with its environment. */
export function toolCommand(ctx: KindContext, argv: string[], env?: Record<string, EnvValue>): Command {
  const b = backupStep(ctx);
  const e = env ?? b.env;
  return { host: b.host, argv, ...(e ? { env: e } : {}) };
}

/** Runs `cmd` to its end (its program checked first); its stdout, or RestoreError with the tool's last words. */
export async function runToolChecked(ctx: KindContext, cmd: Command, what: string): Promise<string> {
  const missing = await preflight([cmd], ctx.x.hosts, ctx.x.signal);
  if (missing) throw new RestoreError(missing);
  const r = await runTool(cmd, ctx.x);
  if (r.error || r.code !== 0) {
    const last = r.stderr.trim().split('\n').filter(Boolean).slice(-3).join(' | ');
    const tool = cmd.argv[0].split('/').pop();
    throw new RestoreError(
      ctx.x.redactor.text(`${what}: ${r.error ?? `${tool} exited with status ${r.code}${last ? `: ${last}` : ''}`}`),
    );
  }
  return r.stdout;
}

/** One restore action that runs `cmd` (shown with its host and exact argv by --dry-run). */
export function toolAction(ctx: KindContext, description: string, cmd: Command): RestoreAction {
  return {
    description,
    host: cmd.host,
    argv: cmd.argv,
    async run() {
      await runToolChecked(ctx, cmd, `${description} failed`);
    },
  };
}
