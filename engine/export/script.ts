// Shell text for exported files: words quoted only when they need it, and a script per host
// from groups of command lines, one group per job.
import { shQuote } from '../run/exec/quote';
import type { ExportFile } from './types';

/** A word as /bin/sh reads it back: plain when it is made of safe characters, else single-quoted. */
export function shWord(word: string): string {
  return /^[A-Za-z0-9_@+=:,./-]+$/.test(word) ? word : shQuote(word);
}

export function shLine(argv: readonly string[]): string {
  return argv.map(shWord).join(' ');
}

export function scriptFiles(byHost: Map<string, { job: string; lines: string[] }[]>, name: string, header: string): ExportFile[] {
  return [...byHost].map(([host, groups]) => ({
    host,
    path: name,
    jobs: groups.map((g) => g.job),
    content: ['#!/bin/sh', `# ${header}`, 'set -eu', ...groups.flatMap((g) => ['', `# job ${g.job}`, ...g.lines]), ''].join('\n'),
  }));
}
