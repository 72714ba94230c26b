// What every subcommand receives: its arguments already split, the output, and helpers that
// turn bad usage into one clear line (exit 2).
import { UsageError } from './errors';
import type { Out } from './output';

export interface CommandContext {
  positionals: string[];
  options: Record<string, string | boolean | undefined>;
  out: Out;
  /** The value of --format, checked against the formats this command supports. */
  format<F extends string>(allowed: readonly F[]): F;
  usage(message: string): never;
  string(name: string): string | undefined;
}

export function makeContext(positionals: string[], options: CommandContext['options'], out: Out): CommandContext {
  const usage = (message: string): never => {
    throw new UsageError(message);
  };
  return {
    positionals,
    options,
    out,
    usage,
    format<F extends string>(allowed: readonly F[]): F {
      const f = (options.format as string | undefined) ?? 'text';
      if (!(allowed as readonly string[]).includes(f)) usage(`--format ${f} is not supported here; use ${allowed.join(', ')}`);
      return f as F;
    },
    string(name) {
      const v = options[name];
      return typeof v === 'string' ? v : undefined;
    },
  };
}
