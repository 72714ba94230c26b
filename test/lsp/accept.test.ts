// Accepting a finding in the editor (SPEC §7), at the protocol level: an accepted finding is
// published as information whose message gives the reason; every warning on an entry has the
// quick fix "Accept with a reason…", whose placeholder reason is itself reported until replaced.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CodeAction, Diagnostic } from 'vscode-languageserver/node';
import { applyEdits, LspClient, RICH_CAPABILITIES } from './harness';

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-11-22T00:00:00Z' }, capabilities: RICH_CAPABILITIES });
}, 120_000);
afterAll(async () => {
  await client?.stop();
});

const PLAN = `version: 1
hosts:
  web: { address: 10.0.0.1 }
storage:
  nas: { host: web, media: hdd, path: /srv/backups }
jobs:
  a:
    kind: restic
    host: web
    paths: [/srv]
    to: nas
    password_env: RESTIC_PASSWORD
    schedule: "0 3 * * *"
    verify: { schedule: "@weekly", restore: latest }
`;

let n = 0;
async function open(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `untitled:/accept-${++n}.backplan.yaml`;
  await client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, 1) };
}
const byRule = (ds: Diagnostic[], rule: string) => ds.filter((d) => d.code === rule);

describe('accepting a finding', () => {
  it('publishes an accepted finding as information that gives the reason', async () => {
    const { diagnostics } = await open(PLAN.replace('    verify:', '    accept: { coverage-3-2-1: "a lab machine, one copy is enough" }\n    verify:'));
    const [cov] = byRule(diagnostics, 'coverage-3-2-1');
    expect(cov.severity).toBe(3);
    expect(cov.message).toMatch(/^accepted: a lab machine, one copy is enough — /);
    expect(diagnostics.filter((d) => d.severity === 1 || d.severity === 2)).toEqual([]);
  });

  it('offers "Accept with a reason…"; its TODO reason is flagged until a reason replaces it', async () => {
    const { uri, diagnostics } = await open(PLAN);
    const [cov] = byRule(diagnostics, 'coverage-3-2-1');
    expect(cov.severity).toBe(2);
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: cov.range, context: { diagnostics: [cov], only: ['quickfix'] } });
    const accept = actions.find((a) => a.title.startsWith('Accept with a reason…'))!;
    expect(accept, actions.map((a) => a.title).join(', ')).toBeDefined();
    expect(accept.diagnostics?.[0].code).toBe('coverage-3-2-1');
    const fixed = applyEdits(PLAN, accept.edit!.changes![uri]);
    expect(fixed).toContain('    accept: { coverage-3-2-1: "TODO: why this finding is acceptable" }\n');
    const after = await open(fixed);
    const todo = byRule(after.diagnostics, 'accept-invalid');
    expect(todo).toHaveLength(1);
    expect(todo[0].message).toMatch(/needs a reason/);
    expect(todo[0].range.start.line).toBe(fixed.split('\n').findIndex((l) => l.includes('TODO')));
    const reasoned = await open(fixed.replace('TODO: why this finding is acceptable', 'a lab machine'));
    expect(reasoned.diagnostics.filter((d) => d.severity === 1 || d.severity === 2)).toEqual([]);
  });

  it('reports an accept that matches nothing any more', async () => {
    const { diagnostics } = await open(PLAN.replace('    verify:', '    accept: { coverage-3-2-1: "lab", rpo-exceeded: "no rpo here" }\n    verify:'));
    const stale = byRule(diagnostics, 'accept-invalid');
    expect(stale.map((d) => d.message)).toEqual(["nothing to accept: job 'a' has no rpo-exceeded finding any more: remove this accept (what it accepted was fixed)"]);
    expect(stale[0].severity).toBe(2);
    expect(stale[0].tags).toEqual([1]); // unnecessary
  });
});
