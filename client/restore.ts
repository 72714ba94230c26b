// "Restore…": refuses in an untrusted workspace; asks which job (unless a code lens named it),
// which copy (`backplan restore --list`, newest first, with its age) and where to (a new folder,
// a new database or name, or in place behind an explicit modal confirmation); runs the restore's
// dry run first and shows it, asks before writing anything, then runs `backplan restore` as a
// child process (argv, no shell) in a cancellable progress notification (cancel = SIGTERM),
// with its output in the output channel, as "Run backup now" does.
import { dirname, isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { cliError, execCli, spawnCli } from './cli';
import { basename, planFileOnDisk, planTarget, type Ctx } from './context';
import { requestPlan } from './data';
import { fireRunEnded } from './run-ended';
import { UNTRUSTED_MESSAGE } from './run-now';

interface Listed {
  job: string;
  kind: string;
  target: 'files' | 'database' | 'name';
  why: string;
  copies: { name: string; time: string; storage: string }[];
}

/** `3 h ago`, `2 d ago`: how old a copy is. */
export function ageText(time: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(time)) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

async function pickJob(ctx: Ctx, uri: vscode.Uri): Promise<string | undefined> {
  let jobs: string[] = [];
  try {
    jobs = (await requestPlan(ctx, { uri: uri.toString() })).order;
  } catch (e) {
    ctx.log(`could not list the jobs: ${(e as Error).message}`);
  }
  if (jobs.length === 0) {
    void vscode.window.showErrorMessage(`Backplan: ${basename(uri)} has no job to restore.`);
    return undefined;
  }
  return vscode.window.showQuickPick(jobs, { title: `Restore which job of ${basename(uri)}?`, placeHolder: 'A job' });
}

type Target = { args: string[]; said: string; inPlace: boolean };

async function pickTarget(ctx: Ctx, file: string, l: Listed, copy: string): Promise<Target | undefined> {
  const NEW = {
    files: '$(new-folder) To a new folder…',
    database: '$(database) To a new database…',
    name: '$(add) To a new name…',
  }[l.target];
  const IN_PLACE = '$(warning) In place…';
  const picked = await vscode.window.showQuickPick(
    [
      { label: NEW, detail: 'It must not exist or be empty: nothing existing is overwritten' },
      { label: IN_PLACE, detail: "Over the job's own data, which is moved aside first (asks again)" },
    ],
    { title: `Restore ${copy} where?` },
  );
  if (!picked) return undefined;
  if (picked.label === IN_PLACE) {
    const sure = await vscode.window.showWarningMessage(
      `Restore ${copy} over the data of job ${l.job}?`,
      {
        modal: true,
        detail:
          "The job's current data is moved aside first (NAME.before-restore-<time>, or renamed), then the copy " +
          'takes its place. The dry run is shown next, before anything is written.',
      },
      'Restore in place',
    );
    if (sure !== 'Restore in place') {
      ctx.log(`in-place restore of ${l.job} not confirmed`);
      return undefined;
    }
    return { args: ['--in-place'], said: `in place (job ${l.job}'s own data)`, inPlace: true };
  }
  const isFiles = l.target === 'files';
  const to = await vscode.window.showInputBox({
    title: `Restore ${copy} to…`,
    prompt: isFiles
      ? "A folder that does not exist or is empty (on the host the job's tool runs on)"
      : l.target === 'database'
        ? 'A database that does not exist or is empty'
        : `What the restore creates (${l.kind})`,
    value: isFiles ? join(dirname(file), `${l.job}-restored`) : '',
    validateInput: (v) =>
      v.trim() === ''
        ? 'Give a target'
        : isFiles && !isAbsolute(v.trim())
          ? 'An absolute path (it must not exist or be empty)'
          : undefined,
  });
  if (to === undefined) return undefined;
  return { args: ['--to', to.trim()], said: to.trim(), inPlace: false };
}

export async function restore(ctx: Ctx, arg: unknown): Promise<void> {
  // SPEC §8.9: the editor runs nothing in an untrusted workspace. Checked first, before anything.
  if (!vscode.workspace.isTrusted) {
    ctx.log('restore refused: the workspace is not trusted');
    void vscode.window.showErrorMessage(UNTRUSTED_MESSAGE);
    return;
  }
  const t = planTarget(arg);
  if (!t) return;
  const file = await planFileOnDisk(t.uri);
  if (!file) return;
  const job = t.job ?? (await pickJob(ctx, t.uri));
  if (job === undefined) return;
  const cli = ctx.cli(t.uri);
  const stateDir = ctx.settings(t.uri).stateDir.trim();
  const state = stateDir ? ['--state-dir', stateDir] : [];

  const list = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Backplan: listing the copies of ${job}` },
    () => execCli(cli, ['restore', file, '--job', job, '--list', '--format', 'json'], file),
  );
  let listed: Listed;
  try {
    if (list.code !== 0) throw new Error(cliError(list));
    listed = JSON.parse(list.stdout) as Listed;
  } catch (e) {
    ctx.log(`could not list the copies of ${job}: ${(e as Error).message}`);
    void vscode.window.showErrorMessage(`Backplan: cannot list the copies of ${job}: ${(e as Error).message}`);
    return;
  }
  if (listed.copies.length === 0) {
    void vscode.window.showErrorMessage(`Backplan: job ${job} has no copy to restore (${listed.why}).`);
    return;
  }
  const copyPick = await vscode.window.showQuickPick(
    listed.copies.map((c, i) => ({
      label: c.name,
      description: `${ageText(c.time)}${i === 0 ? ' · newest' : ''}`,
      detail: `${c.time} · storage ${c.storage}`,
    })),
    { title: `Restore which copy of ${job}?`, placeHolder: `Copies of ${job}, newest first (${listed.why})` },
  );
  if (!copyPick) return;
  const copy = copyPick.label;
  const target = await pickTarget(ctx, file, listed, copy);
  if (!target) return;
  const base = ['restore', file, '--job', job, '--copy', copy, ...target.args, ...state];

  // The dry run first, always: what will run, on which host, with which argv.
  ctx.output.show(true);
  ctx.log(`dry run: backplan ${[...base, '--dry-run'].join(' ')}`);
  const dry = await execCli(cli, [...base, '--dry-run'], file);
  if (dry.stderr) ctx.output.append(dry.stderr);
  if (dry.code !== 0) {
    void vscode.window.showErrorMessage(`Backplan: the restore of ${job} would fail: ${cliError(dry)}`);
    return;
  }
  ctx.output.append(dry.stdout);
  const lines = dry.stdout.trimEnd().split('\n');
  const shown =
    lines.length > 24 ? [...lines.slice(0, 24), `… (${lines.length - 24} more lines in the output channel)`] : lines;
  const go = await vscode.window.showWarningMessage(
    `Restore ${copy} of ${job} to ${target.said}?`,
    { modal: true, detail: `The dry run (nothing was changed yet):\n\n${shown.join('\n')}` },
    'Restore',
  );
  if (go !== 'Restore') {
    ctx.log(`restore of ${job} not confirmed`);
    return;
  }
  const args = [...base, ...(target.inPlace ? ['--yes'] : []), '--format', 'json'];
  ctx.log(`restoring: backplan ${args.join(' ')}`);
  await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Backplan: restoring ${job}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        progress.report({ message: `${copy} → ${target.said}` });
        const child = spawnCli(cli, args, file);
        let cancelled = false;
        let stdout = '';
        let stderr = '';
        token.onCancellationRequested(() => {
          cancelled = true;
          ctx.log('cancel requested: stopping the restore (SIGTERM)');
          child.kill('SIGTERM');
        });
        child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr!.setEncoding('utf8').on('data', (d: string) => {
          stderr += d;
          ctx.output.append(d);
        });
        child.on('error', (err) => {
          ctx.log(`could not start backplan: ${err.message}`);
          void vscode.window.showErrorMessage(`Backplan: could not start the restore: ${err.message}`);
          resolve();
        });
        child.on('close', (code, signal) => {
          ctx.log(`backplan restore exited with ${code ?? signal}`);
          if (stdout.trim()) ctx.output.appendLine(stdout.trim());
          fireRunEnded(t.uri);
          const openOutput = 'Open output';
          const show = (p: Thenable<string | undefined>) => void p.then((b) => b === openOutput && ctx.output.show());
          let r: { result?: string; target?: string; movedAside?: string | null; durationSeconds?: number } = {};
          try {
            r = JSON.parse(stdout) as typeof r;
          } catch {
            // no report: the restore did not start (stderr says why)
          }
          if (r.result === 'ok') {
            const aside = r.movedAside ? `; the data that was there is now at ${r.movedAside}` : '';
            show(
              vscode.window.showInformationMessage(
                `Backplan: restored ${copy} of ${job} to ${r.target} in ${r.durationSeconds} s${aside}.`,
                openOutput,
              ),
            );
          } else {
            const why = stderr
              .split('\n')
              .map((l) => l.replace(/^backplan:\s*/, '').trim())
              .filter(Boolean);
            const msg = cancelled
              ? `Backplan: restore of ${job} cancelled; the target was left as it was.`
              : `Backplan: the restore of ${job} failed${
                  why.length ? `: ${why.slice(0, 2).join('; ')}` : ` (exit ${code ?? signal})`
                }.`;
            show(vscode.window.showErrorMessage(msg, openOutput));
          }
          resolve();
        });
      }),
  );
}
