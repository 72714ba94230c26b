// Running a notification program (`command` targets, `apprise`): argv only (SPEC §8.1), input on
// stdin, killed at the target's timeout; a non-zero exit is a failure quoting stderr's last line.
import { spawn } from 'node:child_process';
import { NotifyError, type SendContext } from './context';

export function runProgram(ctx: SendContext, argv: string[], input: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    if (argv.length === 0 || argv[0] === '') {
      reject(new NotifyError('no program to run'));
      return;
    }
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'ignore', 'pipe'], env, signal: ctx.signal, killSignal: 'SIGKILL' });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 8192) stderr += d;
    });
    child.stdin.on('error', () => undefined); // a program that does not read its input
    child.stdin.end(input);
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (ctx.signal.aborted) reject(new NotifyError(`${argv[0]}: did not finish within ${ctx.timeoutMs / 1000} s`));
      else reject(new NotifyError(`${argv[0]}: ${e.code === 'ENOENT' ? 'not found' : e.message}`));
    });
    child.on('close', (code, sig) => {
      if (code === 0) resolve();
      else if (ctx.signal.aborted) reject(new NotifyError(`${argv[0]}: did not finish within ${ctx.timeoutMs / 1000} s`));
      else {
        const last = stderr.trim().split('\n').pop() ?? '';
        reject(new NotifyError(`${argv[0]} exited with ${code ?? sig}${last ? `: ${ctx.redactor.text(last)}` : ''}`));
      }
    });
  });
}
