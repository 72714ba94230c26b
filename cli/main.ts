// The `backplan` command: one table of subcommands (commands/table.ts) over the shared engine.
// Every failure is one line on stderr; exit 0 = fine, 1 = the plan has errors or a run failed,
// 2 = bad usage or unreadable input. No stack traces for users. The table's declarations are what
// is parsed and what the help prints; a command's implementation is loaded only when it runs.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { makeContext, optionSynopsis, type CommandContext, type CommandDecl } from './command';
import { COMMANDS, findCommand } from './commands/table';
import { UsageError } from './errors';
import { commandHelp, generalHelp } from './help';
import { createOut, type Out } from './output';
import { setChangingThings } from './pipes';

export interface ParsedArgs {
  help: boolean;
  positionals: string[];
  options: CommandContext['options'];
}

const isHelpFlag = (a: string) => a === '--help' || a === '-h';

/**
 * The arguments of one command, parsed against its declared options only: an undeclared option,
 * a missing value, a value outside the declared choices or a missing required option is a
 * UsageError naming the command (so that the message ends with a pointer to its help).
 */
export function parseCommandArgs(decl: CommandDecl, args: string[]): ParsedArgs {
  const config: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const o of decl.options) {
    config[o.name] = { type: o.value === undefined ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
  }
  let parsed;
  try {
    parsed = parseArgs({ args, options: config, allowPositionals: true, strict: true });
  } catch (e) {
    const beforeDashes = args.indexOf('--') < 0 ? args : args.slice(0, args.indexOf('--'));
    if (beforeDashes.some(isHelpFlag)) return { help: true, positionals: [], options: {} };
    throw new UsageError(parseErrorMessage(decl, e as Error & { code?: string }), decl.name);
  }
  const options = parsed.values as CommandContext['options'];
  if (options.help) return { help: true, positionals: [], options: {} };
  delete options.help;
  for (const o of decl.options) {
    const v = options[o.name];
    if (v === undefined) {
      if (o.required) throw new UsageError(`${decl.name} needs ${optionSynopsis(o)}`, decl.name);
      continue;
    }
    if (o.choices && typeof v === 'string' && !o.choices.includes(v)) {
      throw new UsageError(`--${o.name} ${v} is not supported by ${decl.name}; use ${o.choices.join(', ')}`, decl.name);
    }
  }
  return { help: false, positionals: parsed.positionals, options };
}

function parseErrorMessage(decl: CommandDecl, e: Error & { code?: string }): string {
  const first = String(e.message).split('\n')[0];
  const quoted = /'(-[^'\s]*)/.exec(first)?.[1] ?? '';
  const long = /(--[\w-]+)/.exec(first)?.[1] ?? quoted;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `unknown option ${quoted.split('=')[0]} for ${decl.name}`;
  if (/argument missing/.test(first)) {
    const o = decl.options.find((d) => `--${d.name}` === long);
    return `${long} needs a value${o?.value ? ` (${o.value})` : ''}`;
  }
  if (/does not take an argument/.test(first)) return `${long} takes no value`;
  return first.replace(/\.$/, '');
}

export async function main(argv: string[], out: Out = createOut()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    if (name === undefined) {
      out.error(generalHelp());
      return 2;
    }
    if (name === 'help' || isHelpFlag(name)) {
      if (rest.length === 0) {
        out.write(generalHelp());
        return 0;
      }
      const decl = rest.length === 1 ? findCommand(rest[0]) : undefined;
      if (!decl) throw new UsageError(rest.length === 1 ? unknownCommand(rest[0]) : 'help takes one command name', '');
      out.write(commandHelp(decl));
      return 0;
    }
    if (name === '--version' || name === '-V') {
      out.write(`${VERSION}\n`);
      return 0;
    }
    const decl = findCommand(name);
    if (!decl) throw new UsageError(name.startsWith('-') ? `unknown option ${name.split('=')[0]}` : unknownCommand(name), '');
    const parsed = parseCommandArgs(decl, rest);
    if (parsed.help) {
      out.write(commandHelp(decl));
      return 0;
    }
    const run = await decl.load();
    const ctx = makeContext(decl, parsed.positionals, parsed.options, out);
    setChangingThings(decl.changesThings?.(parsed.options) ?? false);
    try {
      return await run(ctx);
    } finally {
      setChangingThings(false);
    }
  } catch (e) {
    out.endProgress();
    if (e instanceof UsageError) {
      const hint = e.command === undefined ? '' : `see '${e.command ? `backplan ${e.command} --help` : 'backplan --help'}'\n`;
      out.error(`backplan: ${e.message}\n${hint}`);
      return 2;
    }
    const msg = String((e as Error)?.message ?? e).split('\n')[0];
    out.error(`backplan: internal error: ${msg}${process.env.BACKPLAN_DEBUG ? `\n${(e as Error)?.stack}` : ' (set BACKPLAN_DEBUG=1 for details)'}\n`);
    return 2;
  }
}

function unknownCommand(name: string): string {
  return `unknown command \`${name}\`; commands: ${COMMANDS.map((c) => c.name).join(', ')}`;
}

declare const __BACKPLAN_VERSION__: string | undefined;
const VERSION = typeof __BACKPLAN_VERSION__ === 'string' ? __BACKPLAN_VERSION__ : 'dev';
