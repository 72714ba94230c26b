// Code lenses: "Run now · Dry run · Restore · Simulate retention" on each job (Restore when
// `backplan restore` can restore its kind), "Simulate retention" on each
// policy. Only the commands the client declared are emitted (a client without them, such as
// Neovim, gets no lens at all).
import type { CodeLens } from 'vscode-languageserver/node';
import { COMMANDS, type JobCommandArgs, type PolicyCommandArgs } from '../protocol';
import { toRange } from '../convert';
import type { Analysis } from '../documents';
import { nameIndex } from '../names';
import type { FeatureEnv } from './env';
import { restorerFor } from '../../engine/run/restore/index';

export const MAX_LENSES = 5000;

export function codeLenses(a: Analysis, env: FeatureEnv): CodeLens[] {
  const out: CodeLens[] = [];
  if (env.commands.size === 0) return out;
  const has = (c: string) => env.commands.has(c);
  for (const d of nameIndex(a).definitions) {
    if (out.length >= MAX_LENSES) break;
    const range = toRange(a.lines, d.range);
    if (d.section === 'jobs') {
      const args: JobCommandArgs = { uri: a.uri, job: d.name };
      if (has(COMMANDS.runNow)) out.push({ range, command: { title: 'Run now', command: COMMANDS.runNow, arguments: [args] } });
      if (has(COMMANDS.dryRun)) out.push({ range, command: { title: 'Dry run', command: COMMANDS.dryRun, arguments: [args] } });
      const kind = a.model.jobs.get(d.name)?.kind;
      if (has(COMMANDS.restore) && kind !== undefined && restorerFor(kind))
        out.push({ range, command: { title: 'Restore', command: COMMANDS.restore, arguments: [args] } });
      if (has(COMMANDS.simulateRetention) && a.model.jobs.get(d.name)?.retention !== undefined) {
        out.push({ range, command: { title: 'Simulate retention', command: COMMANDS.simulateRetention, arguments: [args] } });
      }
    } else if (d.section === 'policies' && has(COMMANDS.simulateRetention)) {
      const args: PolicyCommandArgs = { uri: a.uri, policy: d.name };
      out.push({ range, command: { title: 'Simulate retention', command: COMMANDS.simulateRetention, arguments: [args] } });
    }
  }
  return out;
}
