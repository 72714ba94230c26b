// The `backplan` command: one table of subcommands over the shared engine. Every failure is
// one line on stderr; exit 0 = fine, 1 = the plan has errors or a run failed, 2 = bad usage or
// unreadable input. No stack traces for users.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { makeContext, type CommandContext } from './command';
import { UsageError } from './errors';
import { createOut, type Out } from './output';
import { runCheck } from './commands/check';
import { runPlan } from './commands/plan';
import { runRetain } from './commands/retain';
import { runSimulate } from './commands/simulate';
import { runRun } from './commands/run';
import { runPrune } from './commands/prune';
import { runVerify } from './commands/verify';
import { runExport } from './commands/export';

type OptionSpec = NonNullable<ParseArgsConfig['options']>;

interface Command {
  summary: string;
  usage: string;
  options: OptionSpec;
  run(cmd: CommandContext): number | Promise<number>;
}

const format = { format: { type: 'string', short: 'f' } } as const;

const COMMANDS: Record<string, Command> = {
  check: {
    summary: 'check plans and print every diagnostic',
    usage: 'backplan check PLAN... [--format text|json|sarif] [--state-dir D]',
    options: { ...format, 'state-dir': { type: 'string' } },
    run: runCheck,
  },
  plan: {
    summary: 'the dry run: every step in order with its host and exact argv',
    usage: 'backplan plan PLAN [--job J] [--format text|json]',
    options: { ...format, job: { type: 'string', short: 'j' } },
    run: runPlan,
  },
  simulate: {
    summary: 'the snapshot set each job will hold at a date, with the pruning engine\'s exact rules',
    usage: 'backplan simulate PLAN [--job J] [--from ISO] [--at ISO | --horizon DURATION] [--svg FILE] [--format text|json]',
    options: { ...format, job: { type: 'string', short: 'j' }, from: { type: 'string' }, at: { type: 'string' }, horizon: { type: 'string' }, svg: { type: 'string' } },
    run: runSimulate,
  },
  retain: {
    summary: 'one pruning decision on a list of snapshots, with an engine\'s exact rules',
    usage: 'backplan retain --engine restic|borg|pbs|native|incus|velero --policy YAML_OR_JSON --snapshots FILE [--now ISO] [--timezone ZONE] [--tool-version V]',
    options: { ...format, engine: { type: 'string' }, policy: { type: 'string' }, snapshots: { type: 'string' }, now: { type: 'string' }, timezone: { type: 'string' }, 'tool-version': { type: 'string' } },
    run: runRetain,
  },
  run: {
    summary: 'run the plan\'s backups for real (or --dry-run: print the steps, change nothing)',
    usage: 'backplan run PLAN [--job J] [--dry-run] [--state-dir D] [--progress json] [--format text|json] [--break-stale-lock] [--per-host N] [--ssh-option OPT]...',
    options: { ...format, job: { type: 'string', short: 'j' }, 'dry-run': { type: 'boolean', short: 'n' }, 'state-dir': { type: 'string' }, progress: { type: 'string' }, 'break-stale-lock': { type: 'boolean' }, 'per-host': { type: 'string' }, 'ssh-option': { type: 'string', multiple: true } },
    run: runRun,
  },
  prune: {
    summary: 'apply a job\'s retention to its live copies now (--dry-run: list what it would remove)',
    usage: 'backplan prune PLAN --job J [--dry-run] [--state-dir D] [--format text|json] [--break-stale-lock] [--ssh-option OPT]...',
    options: { ...format, job: { type: 'string', short: 'j' }, 'dry-run': { type: 'boolean', short: 'n' }, 'state-dir': { type: 'string' }, 'break-stale-lock': { type: 'boolean' }, 'ssh-option': { type: 'string', multiple: true } },
    run: runPrune,
  },
  verify: {
    summary: 'restore test: an archive into a scratch directory against its sha256 manifest, a dump into a scratch database against the source\'s row counts',
    usage: 'backplan verify PLAN --job J [--copy NAME] [--scratch-dir D] [--state-dir D] [--format text|json] [--break-stale-lock] [--ssh-option OPT]...',
    options: { ...format, job: { type: 'string', short: 'j' }, copy: { type: 'string' }, 'scratch-dir': { type: 'string' }, 'state-dir': { type: 'string' }, 'break-stale-lock': { type: 'boolean' }, 'ssh-option': { type: 'string', multiple: true } },
    run: runVerify,
  },
  export: {
    summary: 'hand the plan\'s schedules to native schedulers (systemd timers, cron, Incus, sanoid, Velero, borgmatic)',
    usage: 'backplan export PLAN --to systemd|cron|incus|sanoid|velero|borgmatic [--job J] [--command PATH] [--format text|json]',
    options: { ...format, to: { type: 'string' }, job: { type: 'string', short: 'j' }, command: { type: 'string' } },
    run: runExport,
  },
};

export function registerCommand(name: string, command: Command): void {
  COMMANDS[name] = command;
}

function help(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    'backplan — check, simulate and run a fleet backup plan',
    '',
    'Usage:',
    ...Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(width)}  ${c.summary}\n  ${' '.repeat(width)}  ${c.usage}`),
    '',
    'Every command takes --format text|json. Exit codes: 0 fine, 1 problems found or run failed, 2 bad usage.',
    'Colour follows NO_COLOR; progress appears only on a terminal.',
    '',
  ].join('\n');
}

export async function main(argv: string[], out: Out = createOut()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
      out.write(help());
      return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
      out.write(`${VERSION}\n`);
      return 0;
    }
    const command = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
    if (!command) throw new UsageError(`unknown command \`${name}\`; commands: ${Object.keys(COMMANDS).join(', ')}`);
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...command.options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new UsageError(`${String((e as Error).message).split('\n')[0]}\nusage: ${command.usage}`);
    }
    if (parsed.values.help) {
      out.write(`${command.summary}\nusage: ${command.usage}\n`);
      return 0;
    }
    const ctx = makeContext(parsed.positionals, parsed.values as CommandContext['options'], out);
    return await command.run(ctx);
  } catch (e) {
    out.endProgress();
    if (e instanceof UsageError) {
      out.error(`backplan: ${e.message}\n`);
      return 2;
    }
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    out.error(`backplan: internal error: ${msg}${process.env.BACKPLAN_DEBUG ? `\n${(e as Error)?.stack}` : ' (set BACKPLAN_DEBUG=1 for details)'}\n`);
    return 2;
  }
}

declare const __BACKPLAN_VERSION__: string | undefined;
const VERSION = typeof __BACKPLAN_VERSION__ === 'string' ? __BACKPLAN_VERSION__ : 'dev';
