// What every subcommand declares (its options, examples and exit codes: one table that both the
// argument parser and the help read, see commands/table.ts) and what it receives when it runs:
// its arguments already split, the output, and helpers that turn bad usage into one clear line
// (exit 2).
import { UsageError } from './errors';
import type { Out } from './output';

/** One option of a command. The parser accepts exactly the declared options; the help lists them. */
export interface OptionDecl {
  /** Long name without the dashes: `job` for `--job`. */
  name: string;
  /** One-letter alias: `j` for `-j`. */
  short?: string;
  /** The value's placeholder in the help (`J`, `ISO`, `text|json`); absent for a flag. */
  value?: string;
  /** The values the parser accepts (checked before the command runs). */
  choices?: readonly string[];
  /** May be given several times; the command receives a list. */
  multiple?: boolean;
  /** The usage line shows it without brackets; the parser refuses the command without it. */
  required?: boolean;
  /** Shown in the usage line as `[--this | --other]`: the name of the option it is an alternative to. */
  orWith?: string;
  /** One line: what it does. */
  meaning: string;
  /** What happens without it (the help prints "default: ..."); required options have none. */
  default?: string;
}

export interface CommandDecl {
  name: string;
  /** One line for `backplan --help`. */
  summary: string;
  /** The positional arguments as the usage line shows them (`PLAN`, `PLAN...`, empty for none). */
  args: string;
  options: OptionDecl[];
  /** Exactly two: [command line, what it does]. */
  examples: [string, string][];
  /** Exit code → meaning, for this command. */
  exitCodes: [number, string][];
  /**
   * True while the command changes things (a real run, prune or restore test): a reader that
   * goes away must not stop it halfway (cli/pipes.ts). Receives the parsed options.
   */
  changesThings?(options: CommandContext['options']): boolean;
  /** The implementation, loaded only when the command runs (--help stays light). */
  load(): Promise<(cmd: CommandContext) => number | Promise<number>>;
}

export interface CommandContext {
  positionals: string[];
  options: Record<string, string | boolean | string[] | undefined>;
  out: Out;
  /** The command's usage line (from its declaration), for messages. */
  usageLine: string;
  /** The value of --format (the parser already checked it against the command's declared choices). */
  format<F extends string = 'text' | 'json'>(): F;
  usage(message: string): never;
  string(name: string): string | undefined;
}

export function makeContext(decl: CommandDecl, positionals: string[], options: CommandContext['options'], out: Out): CommandContext {
  const usage = (message: string): never => {
    throw new UsageError(message, decl.name);
  };
  return {
    positionals,
    options,
    out,
    usage,
    usageLine: usageLine(decl),
    format<F extends string>(): F {
      return ((options.format as string | undefined) ?? 'text') as F;
    },
    string(name) {
      const v = options[name];
      return typeof v === 'string' ? v : undefined;
    },
  };
}

/** `--job J`, `-n, --dry-run`: how an option is written. */
export function optionSynopsis(o: OptionDecl): string {
  return `--${o.name}${o.value !== undefined ? ` ${o.value}` : ''}`;
}

/** `backplan run PLAN [--job J] [--dry-run] ...`, built from the declaration (in its order). */
export function usageLine(decl: CommandDecl): string {
  const parts = ['backplan', decl.name];
  if (decl.args) parts.push(decl.args);
  for (const o of decl.options) {
    if (o.orWith !== undefined && decl.options.some((p) => p.name === o.orWith)) continue; // written with its partner
    const text = [o, ...decl.options.filter((a) => a.orWith === o.name)].map(optionSynopsis).join(' | ');
    parts.push(o.required ? text : `[${text}]${o.multiple ? '...' : ''}`);
  }
  return parts.join(' ');
}
