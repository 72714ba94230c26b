// The help texts, written from the command table (commands/table.ts) alone: `backplan --help`
// lists the commands, `backplan COMMAND --help` (or `backplan help COMMAND`) prints the usage
// line, every option with its meaning and default, two examples and the exit codes.
import { optionSynopsis, usageLine, type CommandDecl, type OptionDecl } from './command';
import { COMMANDS } from './commands/table';
import { CLOSED_PIPE_EXIT } from './pipes';

const HELP_OPTION: OptionDecl = { name: 'help', short: 'h', meaning: 'print this help and exit' };

function optionLabel(o: OptionDecl): string {
  return `${o.short ? `-${o.short}, ` : '    '}${optionSynopsis(o)}`;
}

export function commandHelp(decl: CommandDecl): string {
  const options = [...decl.options, HELP_OPTION];
  const width = Math.max(...options.map((o) => optionLabel(o).length).filter((n) => n <= 30));
  const lines = [`backplan ${decl.name} — ${decl.summary}`, '', `Usage: ${usageLine(decl)}`, '', 'Options:'];
  const indent = ' '.repeat(width + 4);
  for (const o of options) {
    const label = optionLabel(o);
    lines.push(label.length > width ? `  ${label}\n${indent}${o.meaning}` : `  ${label.padEnd(width)}  ${o.meaning}`);
    if (o.required) lines.push(`${indent}required`);
    else if (o.default !== undefined) lines.push(`${indent}default: ${o.default}`);
  }
  lines.push('', 'Examples:');
  for (const [command, what] of decl.examples) lines.push(`  ${command}`, `      ${what}`);
  lines.push('', 'Exit codes:');
  for (const [code, what] of decl.exitCodes) lines.push(`  ${code}  ${what}`);
  lines.push('');
  return lines.join('\n');
}

export function generalHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'backplan — check, simulate and run a fleet backup plan',
    '',
    'Usage: backplan COMMAND [ARGS] [OPTIONS]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `backplan COMMAND --help` (or `backplan help COMMAND`) for a command\'s options, their',
    'defaults, examples and exit codes. `backplan --version` prints the version.',
    '',
    'Every command takes --format text|json. Exit codes: 0 fine, 1 problems found or run failed,',
    `2 bad usage or unreadable input; ${CLOSED_PIPE_EXIT} when the reader of the output went away (as \`ls | head\`).`,
    'Colour follows NO_COLOR; progress appears only on a terminal.',
    '',
  ].join('\n');
}
