// Retention inlay hints that agree with the diagnostics, at the protocol level: an invalid policy
// shows no number, every label is short enough for VS Code to show it whole, and a policy shared
// by several jobs shows the spread over its jobs (each job's figures in the tooltip), not one
// job's figures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Diagnostic, Hover, InlayHint } from 'vscode-languageserver/node';
import { LspClient, positionOf, readRepo, RICH_CAPABILITIES } from './harness';

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ initializationOptions: { now: '2026-11-22T00:00:00Z' }, capabilities: RICH_CAPABILITIES });
}, 120_000);
afterAll(async () => {
  await client?.stop();
});

let n = 0;
async function open(text: string): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `untitled:/projections-${++n}.backplan.yaml`;
  await client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, 1) };
}

/** The inlay hints once the queued projections are done (polls until two answers agree and hold `until`). */
async function hints(uri: string, until: (h: InlayHint[]) => boolean = () => true): Promise<InlayHint[]> {
  const range = { start: { line: 0, character: 0 }, end: { line: 500, character: 0 } };
  let last = '';
  for (let i = 0; i < 100; i++) {
    const h = await client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range });
    const now = JSON.stringify(h);
    if (now === last && until(h)) return h;
    last = now;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`inlay hints did not settle: ${last}`);
}
const label = (h: InlayHint) => (typeof h.label === 'string' ? h.label : h.label.map((p) => p.value).join(''));
const tooltip = (h: InlayHint) => (typeof h.tooltip === 'string' ? h.tooltip : (h.tooltip?.value ?? ''));
const onLine = (hs: InlayHint[], line: number) => hs.filter((h) => h.position.line === line).map(label);

const STORAGE = 'storage:\n  s: { path: /tmp/backplan-s }\n';

describe('retention inlay hints', () => {
  it('an invalid policy (keep: {daily: 0}) shows no number, only "invalid", where the error is', async () => {
    const text = `version: 1
${STORAGE}policies:
  none: { keep: { daily: 0 } }
jobs:
  a: { kind: archive, paths: [/srv], to: s, schedule: "0 3 * * *", retention: none }
  b:
    kind: archive
    paths: [/srv]
    to: s
    schedule: "0 3 * * *"
    retention: { keep: { daily: 0 } }
`;
    const { uri, diagnostics } = await open(text);
    const policyLine = positionOf(text, 'none: {').line;
    const aLine = positionOf(text, 'retention: none').line;
    const bLine = positionOf(text, 'retention: { keep').line;
    expect(diagnostics.filter((d) => d.code === 'retention-invalid').map((d) => d.range.start.line)).toEqual([policyLine, bLine]);
    const hs = await hints(uri, (h) => h.some((x) => x.position.line === aLine));
    const retention = hs.filter((h) => /kept|invalid/.test(label(h)));
    expect(retention.map((h) => [h.position.line, label(h)])).toEqual([
      [aLine, 'invalid: nothing projected'],
      [bLine, 'invalid: nothing projected'],
    ]);
    expect(hs.some((h) => /≈/.test(label(h)))).toBe(false);
    expect(tooltip(retention[0])).toMatch(/^retention-invalid: /);
    const hover = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position: positionOf(text, 'retention: none', 2) });
    expect(String((hover?.contents as { value: string }).value)).toMatch(/No projection: the policy is invalid/);
  });

  it('labels are short enough to be shown whole, a hint after each rule of a flow mapping', async () => {
    const text = `version: 1
${STORAGE}jobs:
  a:
    kind: archive
    paths: [/srv]
    to: s
    schedule: "0 * * * *"
    retention: { keep: { last: 3, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 } }
`;
    const { uri } = await open(text);
    const line = positionOf(text, 'retention:').line;
    const hs = await hints(uri, (h) => onLine(h, line).length >= 7);
    const labels = onLine(hs, line);
    for (const l of labels) expect(l.length, l).toBeLessThanOrEqual(43);
    // after `daily: 7`, the daily rule's own figures
    const daily = positionOf(text, 'daily: 7', 'daily: 7'.length);
    expect(label(hs.find((h) => h.position.line === daily.line && h.position.character === daily.character)!)).toMatch(/^≈7 kept, oldest [67]d$/);
  });

  it('a policy shared by several jobs shows the spread over its jobs, each job in the tooltip', async () => {
    const text = `version: 1
${STORAGE}policies:
  shared:
    keep:
      daily: 7
jobs:
  every-day: { kind: archive, paths: [/srv], to: s, schedule: "0 3 * * *", retention: shared }
  weekdays: { kind: archive, paths: [/etc], to: s, schedule: "0 3 * * 1-5", retention: shared }
`;
    const { uri } = await open(text);
    const line = positionOf(text, 'daily: 7').line;
    const hs = await hints(uri, (h) => onLine(h, line).length === 1);
    const h = hs.find((x) => x.position.line === line)!;
    expect(label(h)).toMatch(/^≈\d+–\d+ kept, oldest \d+d(–\d+d)? · 2 jobs$/);
    const t = tooltip(h);
    expect(t).toMatch(/every-day: ≈7 kept/);
    expect(t).toMatch(/weekdays: ≈[56] kept/);
  });

  it('the examples: no label longer than VS Code shows', async () => {
    const text = readRepo('examples/zfs-proxmox.backplan.yaml');
    const { uri } = await open(text);
    const hs = await hints(uri, (h) => h.filter((x) => /kept/.test(label(x))).length > 5);
    for (const h of hs) expect(label(h).length, label(h)).toBeLessThanOrEqual(43);
  });
});
