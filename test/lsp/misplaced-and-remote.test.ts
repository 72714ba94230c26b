// At the protocol level: the quick fix that moves a misplaced key (`expiry` beside `schedule`)
// under `retention` (issue #9), and an incus-copy's `remote` as a host reference: its typo
// reported and fixed, definition, references and rename (issue #10).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CodeAction, Diagnostic, Location, WorkspaceEdit } from 'vscode-languageserver/node';
import { applyEdits, LspClient, positionOf } from './harness';

let client: LspClient;

beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-03-28T12:00:00Z' } });
}, 120_000);

afterAll(async () => {
  await client?.stop();
});

let n = 0;
async function openText(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `untitled:/misplaced-${++n}.backplan.yaml`;
  await client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, 1) };
}

/** The quick fixes offered on the diagnostic of `rule` whose range starts at `needle`. */
async function fixesAt(text: string, rule: string, needle: string): Promise<{ uri: string; diag: Diagnostic; actions: CodeAction[] }> {
  const { uri, diagnostics } = await openText(text);
  const at = positionOf(text, needle);
  const diag = diagnostics.find((d) => d.code === rule && d.range.start.line === at.line && d.range.start.character === at.character)!;
  expect(diag, `a ${rule} diagnostic at ${needle} among ${JSON.stringify(diagnostics.map((d) => [d.code, d.message]))}`).toBeDefined();
  const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
    textDocument: { uri },
    range: diag.range,
    context: { diagnostics: [diag], only: ['quickfix'] },
  });
  return { uri, diag, actions };
}

const PLAN = `version: 1
hosts:
  scylla: { role: primary }
  incus-snapshot: { role: standby }
storage:
  standby-pool: { host: incus-snapshot, media: hdd }
jobs:
  web-snapshots:
    kind: incus-snapshot
    host: scylla
    instance: web
    schedule: "0 */6 * * *"
    expiry: 7d               # Incus habit
    description: every 6 hours
`;

describe('misplaced keys: the quick fix moves them', () => {
  it('`expiry` beside `schedule` → `retention.expiry`, created in place, comment kept', async () => {
    const { uri, diag, actions } = await fixesAt(PLAN, 'schema', 'expiry: 7d');
    expect(diag.message).toBe("unknown key 'expiry' in job 'web-snapshots' (kind 'incus-snapshot'): did you mean 'retention.expiry'?");
    const action = actions.find((a) => a.title === 'Move to retention.expiry')!;
    expect(action, actions.map((a) => a.title).join(', ')).toBeDefined();
    expect(action.isPreferred).toBe(true);
    const out = applyEdits(PLAN, action.edit!.changes![uri]);
    expect(parse(out).jobs['web-snapshots']).toEqual({
      kind: 'incus-snapshot',
      host: 'scylla',
      instance: 'web',
      schedule: '0 */6 * * *',
      retention: { expiry: '7d' },
      description: 'every 6 hours',
    });
    expect(out).toContain('    retention:\n      expiry: 7d               # Incus habit\n');
    const after = await openText(out);
    expect(after.diagnostics.filter((d) => d.code === 'schema')).toEqual([]);
  });

  it('a keep count and a borgmatic key merge into the existing `retention` mapping, comments kept', async () => {
    const text = PLAN.replace(
      '    expiry: 7d               # Incus habit\n',
      '    retention:\n      # keep a week of snapshots\n      expiry: 7d\n    keep_daily: 7   # from borgmatic\n',
    );
    const { uri, diag, actions } = await fixesAt(text, 'schema', 'keep_daily');
    expect(diag.message).toContain("did you mean 'retention.keep.daily'?");
    const action = actions.find((a) => a.title === 'Move to retention.keep.daily')!;
    expect(action, actions.map((a) => a.title).join(', ')).toBeDefined();
    const out = applyEdits(text, action.edit!.changes![uri]);
    expect(parse(out).jobs['web-snapshots'].retention).toEqual({ expiry: '7d', keep: { daily: 7 } });
    expect(out).toContain('    retention:\n      # keep a week of snapshots\n      expiry: 7d\n      keep:\n        daily: 7   # from borgmatic\n    description: every 6 hours\n');
  });

  it('no fix that would break the plan when `retention` names a policy', async () => {
    const text = PLAN.replace('jobs:\n', 'policies:\n  minet: { expiry: 30d }\njobs:\n').replace('    expiry: 7d ', '    retention: minet\n    expiry: 7d ');
    const { diag, actions } = await fixesAt(text, 'schema', 'expiry: 7d');
    expect(diag.message).toContain("'retention' names the policy 'minet' here, so it cannot be merged");
    expect(actions.filter((a) => a.title.startsWith('Move'))).toEqual([]);
  });
});

describe('`remote` of an incus-copy is a host reference', () => {
  const COPY = `${PLAN}  web-standby:
    kind: incus-copy
    from: web-snapshots
    remote: incus-snapshot
    to: standby-pool
    autostart: false
`;

  it('a mistyped remote is an unknown host, fixed by the quick fix', async () => {
    const typo = COPY.replace('remote: incus-snapshot', 'remote: incus-snapshto');
    const { uri, diag, actions } = await fixesAt(typo, 'unknown-reference', 'incus-snapshto');
    expect(diag.message).toBe("unknown host 'incus-snapshto': did you mean 'incus-snapshot'?");
    const action = actions.find((a) => a.title === 'Change to incus-snapshot')!;
    expect(action).toBeDefined();
    expect(applyEdits(typo, action.edit!.changes![uri])).toBe(COPY);
  });

  it('definition, references and rename treat it as the host name', async () => {
    const { uri } = await openText(COPY);
    const onRemote = positionOf(COPY, 'remote: incus-snapshot', 'remote: '.length + 3);
    const loc = await client.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: onRemote });
    const def = positionOf(COPY, '  incus-snapshot:', 2);
    expect(loc).toEqual({ uri, range: { start: def, end: { line: def.line, character: def.character + 'incus-snapshot'.length } } });

    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: def, context: { includeDeclaration: false } });
    expect(refs.map((r) => r.range.start.line).sort((a, b) => a - b)).toEqual([positionOf(COPY, 'host: incus-snapshot').line, onRemote.line]);

    const edit = await client.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: onRemote, newName: 'standby' });
    const renamed = applyEdits(COPY, edit.changes![uri]);
    expect(renamed).not.toContain('incus-snapshot:');
    const plan = parse(renamed);
    expect(Object.keys(plan.hosts)).toEqual(['scylla', 'standby']);
    expect(plan.jobs['web-standby'].remote).toBe('standby');
    expect(plan.storage['standby-pool'].host).toBe('standby');
  });
});
