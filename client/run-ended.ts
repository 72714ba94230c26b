// One event: a `backplan run` started from the editor has ended (whatever its result), with the
// plan it ran. The status view refreshes on it. Its own module so that run-now.ts and
// status-view.ts need not import each other.
import * as vscode from 'vscode';

const ended = new vscode.EventEmitter<vscode.Uri>();

export const onRunEnded = ended.event;

export function fireRunEnded(plan: vscode.Uri): void {
  ended.fire(plan);
}
