// `type: command`: run a program (`command: [ARGV...]`, never a shell string) with the event JSON
// on its stdin and BACKPLAN_EVENT / BACKPLAN_JOB in its environment. Exit 0 is success.
import { NotifyError, type SendContext } from './context';
import { runProgram } from './process';

export async function sendCommand(ctx: SendContext): Promise<void> {
  const c = ctx.target.raw.command;
  const argv = Array.isArray(c) ? c.map(String) : typeof c === 'string' ? [c] : [];
  if (argv.length === 0) throw new NotifyError('no `command`');
  await runProgram(ctx, argv, `${JSON.stringify(ctx.event)}\n`, {
    ...ctx.env,
    BACKPLAN_EVENT: ctx.event.event,
    BACKPLAN_JOB: ctx.event.job,
  });
}
