// The "Restore" lens: on each job whose kind `backplan restore` can restore, after "Dry run",
// carrying `backplan.restore` with `{uri, job}`; only for a client that declared that command.
import type { CodeLens } from 'vscode-languageserver-protocol';
import { describe, expect, it } from 'vitest';
import { LspClient } from './harness';

const PLAN = `version: 1
hosts:
  here: { site: home }
storage:
  disk: { host: here, media: ssd, path: /srv/backups }
jobs:
  docs:
    kind: archive
    host: here
    paths: [/srv/docs]
    to: disk
    schedule: "0 3 * * *"
  vms:
    kind: vzdump
    host: here
    vmid: 100
    to: disk
    schedule: "0 4 * * *"
checks: { coverage-3-2-1: off }
`;
const URI = 'file:///tmp/restore-lens.backplan.yaml';

async function lenses(commands: string[]): Promise<CodeLens[]> {
  const client = await LspClient.start({ initializationOptions: { commands } });
  try {
    await client.open(URI, PLAN);
    return await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri: URI } });
  } finally {
    await client.stop();
  }
}

describe('the Restore lens', () => {
  it('sits after Dry run on each restorable job, with the job as its argument', async () => {
    const all = await lenses(['backplan.runNow', 'backplan.dryRun', 'backplan.restore']);
    const line = (n: number) => all.filter((l) => l.range.start.line === n).map((l) => l.command?.title);
    expect(line(6)).toEqual(['Run now', 'Dry run', 'Restore']);
    expect(line(12)).toEqual(['Run now', 'Dry run', 'Restore']);
    const docs = all.find((l) => l.command?.command === 'backplan.restore');
    expect(docs?.command?.arguments).toEqual([{ uri: URI, job: 'docs' }]);
  });

  it('is not sent to a client that did not declare backplan.restore', async () => {
    const some = await lenses(['backplan.runNow', 'backplan.dryRun']);
    expect(some.some((l) => l.command?.title === 'Restore')).toBe(false);
  });
});
