// Terminal output: colour only on a terminal and never under NO_COLOR; progress only on a
// terminal (stderr), silent when piped.
import type { Severity } from '../engine/findings';

export interface Out {
  color: boolean;
  tty: boolean;
  write(text: string): void;
  error(text: string): void;
  progress(text: string): void;
  endProgress(): void;
}

export function createOut(stdout: NodeJS.WriteStream = process.stdout, stderr: NodeJS.WriteStream = process.stderr, env = process.env): Out {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  const color = !noColor && Boolean(stdout.isTTY) && env.TERM !== 'dumb';
  const progressOn = Boolean(stderr.isTTY);
  let shown = false;
  return {
    color,
    tty: Boolean(stdout.isTTY),
    write: (t) => void stdout.write(t),
    error: (t) => void stderr.write(t),
    progress(t) {
      if (!progressOn) return;
      stderr.write(`\r\x1b[2K${t}`);
      shown = true;
    },
    endProgress() {
      if (shown) stderr.write('\r\x1b[2K');
      shown = false;
    },
  };
}

const CODES = { red: 31, yellow: 33, blue: 34, cyan: 36, gray: 90, green: 32, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function paint(out: Pick<Out, 'color'>, colour: Colour, text: string): string {
  return out.color ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

export function severityColour(s: Severity): Colour {
  return s === 'error' ? 'red' : s === 'warning' ? 'yellow' : s === 'info' ? 'blue' : 'gray';
}
