// "Run backup now": refuses in an untrusted workspace, asks which job (or all) and then for
// confirmation, runs `backplan run PLAN [--job J] --progress json` as a child process (argv, no
// shell; the run survives nothing of the editor it does not need), shows its steps in a
// cancellable progress notification (cancel = SIGTERM: the command stops cleanly, removes
// partial files and releases its locks), streams its log to the output channel, and ends with a
// summary notification that lists the problems it found.
import * as vscode from 'vscode';
import { spawnCli } from './cli';
import { basename, planFileOnDisk, planTarget, type Ctx } from './context';
import { requestPlan } from './data';
import { fireRunEnded } from './run-ended';
import { logLine, parseEvent, summarize, type RunEventJson } from './run-events';

export const UNTRUSTED_MESSAGE = 'Backplan: this workspace is not trusted, so Backplan runs nothing here. Trust the workspace (Manage Workspace Trust) to run backups.';

const ALL = '$(run-all) All jobs';

async function pickJob(ctx: Ctx, uri: vscode.Uri): Promise<string | null | undefined> {
  let jobs: string[] = [];
  try {
    jobs = (await requestPlan(ctx, { uri: uri.toString() })).order;
  } catch (e) {
    ctx.log(`could not list the jobs: ${(e as Error).message}`);
  }
  if (jobs.length <= 1) return jobs[0] ?? null;
  const picked = await vscode.window.showQuickPick([ALL, ...jobs], { title: `Run which job of ${basename(uri)}?`, placeHolder: 'A job, or all of them in order' });
  if (picked === undefined) return undefined;
  return picked === ALL ? null : picked;
}

export async function runNow(ctx: Ctx, arg: unknown): Promise<void> {
  // SPEC §8.9: the editor runs nothing in an untrusted workspace. Checked first, before anything.
  if (!vscode.workspace.isTrusted) {
    ctx.log('run refused: the workspace is not trusted');
    void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE);
    return;
  }
  const t = planTarget(arg);
  if (!t) return;
  const job = t.job ?? (await pickJob(ctx, t.uri));
  if (job === undefined) return;
  const what = job ? `job ${job}` : 'every job';
  const answer = await vscode.window.showWarningMessage(
    `Run ${what} of ${basename(t.uri)} now?`,
    { modal: true, detail: 'This runs the backup for real on the hosts the plan names: it creates copies and prunes old ones by the plan\'s retention.' },
    'Run',
  );
  if (answer !== 'Run') {
    ctx.log(`run of ${what} not confirmed`);
    return;
  }
  const file = await planFileOnDisk(t.uri);
  if (!file) return;
  const stateDir = ctx.settings(t.uri).stateDir.trim();
  const args = ['run', file, ...(job ? ['--job', job] : []), '--progress', 'json', ...(stateDir ? ['--state-dir', stateDir] : [])];
  ctx.output.show(true);
  ctx.log(`running: backplan ${args.join(' ')}`);

  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Backplan: running ${what}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        const child = spawnCli(ctx.cli(t.uri), args, file);
        let cancelled = false;
        let jobs = 1;
        let summary: Extract<RunEventJson, { event: 'summary' }> | undefined;
        const notices: string[] = [];
        let stderr = '';
        let buf = '';
        token.onCancellationRequested(() => {
          cancelled = true;
          ctx.log('cancel requested: stopping the run (SIGTERM)');
          child.kill('SIGTERM');
        });
        const onLine = (line: string) => {
          const e = parseEvent(line);
          if (!e) {
            if (line.trim()) ctx.output.appendLine(line);
            return;
          }
          const text = logLine(e);
          if (text) ctx.log(text);
          if (e.event === 'run-start') jobs = Math.max(1, e.jobs.length);
          else if (e.event === 'step-start') progress.report({ message: `${e.step} ${e.phase}: ${e.description}` });
          else if (e.event === 'job-end') progress.report({ increment: 100 / jobs });
          else if (e.event === 'notice') notices.push(`${e.job ? `${e.job}: ` : ''}${e.message}`);
          else if (e.event === 'summary') summary = e;
        };
        child.stdout!.setEncoding('utf8').on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            onLine(buf.slice(0, nl));
            buf = buf.slice(nl + 1);
          }
        });
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          ctx.output.append(d);
        });
        child.on('error', (err) => {
          ctx.log(`could not start backplan: ${err.message}`);
          void vscode.window.showErrorMessage(`Backplan: could not start the run: ${err.message}`);
          resolve();
        });
        child.on('close', (code, signal) => {
          if (buf.trim()) onLine(buf);
          ctx.log(`backplan run exited with ${code ?? signal}`);
          fireRunEnded(t.uri);
          const openOutput = 'Open output';
          const show = (p: Thenable<string | undefined>) => void p.then((b) => b === openOutput && ctx.output.show());
          if (summary) {
            const s = summarize(summary, notices, cancelled);
            show(s.ok ? vscode.window.showInformationMessage(s.message, openOutput) : vscode.window.showErrorMessage(s.message, openOutput));
          } else {
            const why = stderr.split('\n').map((l) => l.replace(/^backplan:\s*/, '').trim()).filter(Boolean);
            const msg = cancelled ? 'Backplan: run cancelled before it started.' : `Backplan: the run did not start${why.length ? `: ${why.slice(0, 3).join('; ')}` : ` (exit ${code ?? signal})`}.`;
            show(vscode.window.showErrorMessage(msg, openOutput));
          }
          resolve();
        });
      }),
  );
}
