// The language server at the protocol level: the built server over stdio, driven by a JSON-RPC
// client, as an editor would.
import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CodeAction,
  CodeLens,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  FoldingRange,
  Hover,
  InlayHint,
  Location,
  WorkspaceEdit,
} from 'vscode-languageserver/node';
import { RULE_IDS } from '../../engine/findings';
import { plainMessage } from '../../server/convert';
import { backplan, ROOT } from '../helpers/cli';
import { applyEdits, LspClient, marked, positionOf, readRepo, RICH_CAPABILITIES, uriOf } from './harness';

const NOW = '2026-03-28T12:00:00Z'; // the day before Europe/Paris moves to summer time
const COMMANDS = ['backplan.runNow', 'backplan.dryRun', 'backplan.simulateRetention'];
const ZFS = 'examples/zfs-proxmox.backplan.yaml';
const INCUS = 'examples/incus.backplan.yaml';

let client: LspClient;

beforeAll(async () => {
  client = await LspClient.start({
    initializationOptions: { now: NOW, commands: COMMANDS },
    capabilities: RICH_CAPABILITIES,
  });
}, 120_000);

afterAll(async () => {
  await client?.stop();
});

const hoverText = async (uri: string, position: { line: number; character: number }): Promise<string> => {
  const h = await client.request<Hover | null>('textDocument/hover', { textDocument: { uri }, position });
  if (!h) return '';
  const c = h.contents as { value?: string };
  return String(c.value ?? h.contents);
};

let docCounter = 0;
/** Open a fresh in-memory document and wait for its first diagnostics. */
async function openText(text: string, name = `doc-${++docCounter}`): Promise<{ uri: string; diagnostics: Diagnostic[] }> {
  const uri = `untitled:/${name}.backplan.yaml`;
  await client.open(uri, text);
  return { uri, diagnostics: await client.diagnosticsFor(uri, 1) };
}

describe('initialize', () => {
  it('declares the features', () => {
    const caps = client.initializeResult.capabilities;
    expect(caps.textDocumentSync).toMatchObject({ openClose: true, change: 2 });
    for (const k of [
      'hoverProvider',
      'completionProvider',
      'definitionProvider',
      'referencesProvider',
      'renameProvider',
      'documentSymbolProvider',
      'foldingRangeProvider',
      'codeActionProvider',
      'codeLensProvider',
      'inlayHintProvider',
    ]) {
      expect(caps, k).toHaveProperty(k);
    }
    expect(client.initializeResult.serverInfo?.name).toBe('backplan');
  });
});

describe('diagnostics', () => {
  const examples = readdirSync(`${ROOT}/examples`).filter((f) => f.endsWith('.yaml'));
  it.each(examples)('%s: the same findings as `backplan check`, converted exactly', async (file) => {
    const other = await LspClient.start({ capabilities: RICH_CAPABILITIES }); // real clock, as the command
    try {
      const uri = uriOf(`examples/${file}`);
      await other.open(uri, readRepo(`examples/${file}`));
      const diags = await other.diagnosticsFor(uri, 1);
      const cli = JSON.parse(backplan(['check', '--format', 'json', `examples/${file}`]).stdout);
      // the same message, its `names` quoted 'names' (diagnostics are plain text in the editor)
      const expected = cli.files[0].diagnostics.map((d: { rule: string; message: string; range: unknown }) => ({ code: d.rule, message: plainMessage(d.message), range: d.range }));
      expect(diags.map((d) => ({ code: d.code, message: d.message, range: d.range }))).toEqual(expected);
      for (const d of diags) {
        expect(d.source).toBe('backplan');
        expect(RULE_IDS).toContain(d.code);
      }
    } finally {
      await other.stop();
    }
  });

  it('exact ranges, codes and severities on a bad plan', async () => {
    const { diagnostics } = await openText(readRepo('test/lsp/golden/unknown-reference.yaml'));
    const d = diagnostics.find((x) => x.code === 'unknown-reference')!;
    expect(d).toMatchObject({
      range: { start: { line: 8, character: 10 }, end: { line: 8, character: 15 } },
      severity: 1,
      source: 'backplan',
      message: "unknown host 'scyla': did you mean 'scylla'?",
    });
    const dm = (await openText(readRepo('test/lsp/golden/duration-bare-m.yaml'))).diagnostics.find((x) => x.code === 'duration-invalid')!;
    expect(dm.range).toEqual({ start: { line: 14, character: 30 }, end: { line: 14, character: 32 } });
    const sk = (await openText(readRepo('test/lsp/golden/schema-unknown-key.yaml'))).diagnostics.find((x) => x.code === 'schema')!;
    expect(sk.range).toEqual({ start: { line: 11, character: 4 }, end: { line: 11, character: 11 } });
    expect(sk.message).toContain("did you mean 'schedule'?");
  });

  it('yaml-syntax at the cause, one per error', async () => {
    const { diagnostics } = await openText('version: 1\njobs:\n  a: [1, 2\n  b: {\n');
    const syntax = diagnostics.filter((d) => d.code === 'yaml-syntax');
    // two unclosed brackets, two diagnostics, each at its bracket: YAML finds the `[` of line 2
    // open where `b:` starts, the `{` of line 3 at the end of the text (related information)
    const at = (line: number, character: number) => ({ start: { line, character }, end: { line, character: character + 1 } });
    expect(syntax.map((d) => ({ range: d.range, severity: d.severity }))).toEqual([
      { range: at(2, 5), severity: 1 },
      { range: at(3, 5), severity: 1 },
    ]);
    expect(syntax[0].message).toMatch(/^this .\[. is never closed/);
    expect(syntax[1].message).toMatch(/^this .\{. is never closed/);
    expect(syntax[0].relatedInformation?.[0].location.range.start).toEqual({ line: 3, character: 2 });
  });

  it('unused: a hint tagged unnecessary; coverage: related information', async () => {
    const text = readRepo('test/lsp/golden/unknown-reference.yaml').replace('storage:\n', 'storage:\n  spare: { host: scylla, media: hdd }\n');
    const { diagnostics } = await openText(text);
    const unused = diagnostics.find((d) => d.code === 'unused')!;
    expect(unused.severity).toBe(4);
    expect(unused.tags).toEqual([1]);
    expect(unused.range).toEqual({ start: { line: 4, character: 2 }, end: { line: 4, character: 7 } });
    const zfs = uriOf(ZFS);
    await client.open(zfs, readRepo(ZFS));
    const cov = (await client.diagnosticsFor(zfs, 1)).find((d) => d.code === 'coverage-3-2-1')!;
    expect(cov.relatedInformation?.length).toBeGreaterThan(0);
    expect(cov.relatedInformation![0].location.uri).toBe(zfs);
  });

  it('debounced: a burst of edits publishes the last version, checked once', async () => {
    const uri = 'untitled:/burst.backplan.yaml';
    await client.open(uri, 'version: 1\njobs: {}\n');
    await client.diagnosticsFor(uri, 1);
    const before = client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri).length;
    for (let v = 2; v <= 11; v++) {
      await client.change(uri, v, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '#' }]);
    }
    const diags = await client.diagnosticsFor(uri, 11);
    expect(diags).toEqual([]);
    const after = client.notifications.filter((n) => n.method === 'textDocument/publishDiagnostics' && (n.params as { uri: string }).uri === uri);
    expect(after.length - before).toBeLessThanOrEqual(2);
    for (const n of after.slice(before)) expect((n.params as { version: number }).version).toBeGreaterThan(1);
    const status = await client.until(() =>
      client.notifications.find((n) => n.method === 'backplan/status' && (n.params as { uri: string; version: number }).uri === uri && (n.params as { version: number }).version === 11),
    );
    expect(status.params).toMatchObject({ uri, version: 11, counts: { error: 0 }, budgetMs: 50 });
    expect(typeof (status.params as { ms: number }).ms).toBe('number');
  });

  it('the debounce comes from the settings (backplan.validation.debounceMs)', async () => {
    const slow = await LspClient.start({ initializationOptions: { settings: { validation: { debounceMs: 1500 } } } });
    try {
      const uri = 'untitled:/slow.backplan.yaml';
      await slow.open(uri, 'version: 1\njobs: {}\n');
      await slow.diagnosticsFor(uri, 1); // opening validates at once
      const t0 = Date.now();
      await slow.change(uri, 2, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 0 } }, text: '# x\n' }]);
      await slow.diagnosticsFor(uri, 2, 10_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1400);
    } finally {
      await slow.stop();
    }
  });

  it('incremental edits: fix the typo, the error goes', async () => {
    const { uri, diagnostics } = await openText(readRepo('test/lsp/golden/unknown-reference.yaml'));
    expect(diagnostics.some((d) => d.code === 'unknown-reference')).toBe(true);
    await client.change(uri, 2, [{ range: { start: { line: 8, character: 13 }, end: { line: 8, character: 13 } }, text: 'l' }]);
    const after = await client.diagnosticsFor(uri, 2);
    expect(after.some((d) => d.code === 'unknown-reference')).toBe(false);
  });

  it('closing a document clears its diagnostics', async () => {
    const { uri, diagnostics } = await openText(readRepo('test/lsp/golden/unknown-reference.yaml'));
    expect(diagnostics.length).toBeGreaterThan(0);
    await client.close(uri);
    await client.until(() => client.diagnostics.get(uri)?.diagnostics.length === 0, 5000, 'cleared diagnostics');
  });
});

describe('quick fixes (golden files)', () => {
  const cases: [string, string, RegExp, string][] = [
    ['autostart-on-standby', 'autostart-on-standby', /autostart: false/, 'autostart-on-standby.expected.yaml'],
    ['unknown-reference', 'unknown-reference', /scylla/, 'unknown-reference.expected.yaml'],
    ['duration-bare-m', 'duration-invalid', /3min/, 'duration-bare-m.min.expected.yaml'],
    ['duration-bare-m', 'duration-invalid', /3mo/, 'duration-bare-m.mo.expected.yaml'],
    ['secret-inline', 'secret-inline', /password_env/, 'secret-inline.expected.yaml'],
    ['schema-unknown-key', 'schema', /schedule/, 'schema-unknown-key.expected.yaml'],
  ];
  it.each(cases)('%s: %s → %s', async (input, rule, title, expectedFile) => {
    const text = readRepo(`test/lsp/golden/${input}.yaml`);
    const { uri, diagnostics } = await openText(text);
    const diag = diagnostics.find((d) => d.code === rule)!;
    expect(diag, `a ${rule} diagnostic`).toBeDefined();
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: diag.range,
      context: { diagnostics: [diag], only: ['quickfix'] },
    });
    const action = actions.find((a) => title.test(a.title))!;
    expect(action, `an action matching ${title} among ${actions.map((a) => a.title).join(', ')}`).toBeDefined();
    expect(action.kind).toBe('quickfix');
    expect(action.diagnostics?.[0].code).toBe(rule);
    const edits = action.edit!.changes![uri];
    expect(applyEdits(text, edits)).toBe(readRepo(`test/lsp/golden/${expectedFile}`));
  });

  it('isPreferred only when one fix is obvious', async () => {
    const { uri, diagnostics } = await openText(readRepo('test/lsp/golden/duration-bare-m.yaml'));
    const diag = diagnostics.find((d) => d.code === 'duration-invalid')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diag.range, context: { diagnostics: [diag] } });
    expect(actions.filter((a) => a.diagnostics?.[0].code === 'duration-invalid').map((a) => !!a.isPreferred)).toEqual([false, false]);
    const s = await openText(readRepo('test/lsp/golden/autostart-on-standby.yaml'));
    const d2 = s.diagnostics.find((d) => d.code === 'autostart-on-standby')!;
    const a2 = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri: s.uri }, range: d2.range, context: { diagnostics: [d2] } });
    expect(a2.find((a) => /autostart/.test(a.title))?.isPreferred).toBe(true);
  });

  it('no quick fix when the client asks only for refactorings', async () => {
    const { uri, diagnostics } = await openText(readRepo('test/lsp/golden/unknown-reference.yaml'));
    const diag = diagnostics.find((d) => d.code === 'unknown-reference')!;
    const actions = await client.request<CodeAction[]>('textDocument/codeAction', { textDocument: { uri }, range: diag.range, context: { diagnostics: [diag], only: ['refactor'] } });
    expect(actions).toEqual([]);
  });
});

describe('hover', () => {
  const uri = uriOf(ZFS);
  const text = readRepo(ZFS);
  beforeAll(async () => {
    await client.open(uri, text);
    await client.diagnosticsFor(uri, 1);
  });

  it('schedule: the words and the next 5 runs in the job zone and UTC (across the DST change)', async () => {
    const h = await hoverText(uri, positionOf(text, '"0 */6 * * *"', 3));
    expect(h).toContain('At 0 minutes past the hour, every 6 hours');
    expect(h).toContain('| Europe/Paris | UTC |');
    const rows = h.split('\n').filter((l) => /^\| \w{3} \d{4}/.test(l));
    expect(rows).toEqual([
      '| Sat 2026-03-28 18:00 +01:00 | Sat 2026-03-28 17:00 |',
      '| Sun 2026-03-29 00:00 +01:00 | Sat 2026-03-28 23:00 |',
      '| Sun 2026-03-29 06:00 +02:00 | Sun 2026-03-29 04:00 |',
      '| Sun 2026-03-29 12:00 +02:00 | Sun 2026-03-29 10:00 |',
      '| Sun 2026-03-29 18:00 +02:00 | Sun 2026-03-29 16:00 |',
    ]);
  });

  it('job key: the chain’s 3-2-1 line', async () => {
    const h = await hoverText(uri, positionOf(text, '  vm-snapshots:', 4));
    expect(h).toContain('2 copies · 2 media · 1 offsite ✗ (needs 3 copies · 2 media · 1 offsite)');
    const incus = uriOf(INCUS);
    const itext = readRepo(INCUS);
    await client.open(incus, itext);
    const hi = await hoverText(incus, positionOf(itext, '  web-snapshots:', 4));
    expect(hi).toMatch(/3 copies · \d media · \d offsite ✓/);
  });

  it('job key in a chain that several jobs read: the other jobs that protect the same data', async () => {
    const text = `version: 1
hosts: { web: { address: web.lan, site: office }, nas: { address: nas.lan, site: office } }
storage:
  nas-repo: { host: nas, media: ssd }
  cloud: { site: cloud, media: object }
jobs:
  nas-backup: { kind: restic, host: web, paths: [/home], to: nas-repo, password_env: P }
  cloud-backup: { kind: borg, host: web, paths: [/home/], to: cloud, passphrase_env: P }
`;
    const { uri: doc, diagnostics } = await openText(text, 'same-data');
    expect(diagnostics.filter((d) => d.code === 'coverage-3-2-1')).toEqual([]);
    const h = await hoverText(doc, positionOf(text, '  cloud-backup:', 4));
    expect(h).toContain('**3-2-1** (the `/home` data of `nas-backup` and `cloud-backup`): 3 copies · 2 media · 1 offsite ✓');
    expect(h).toContain('Same data also protected by `nas-backup`: their copies count together with this job’s.');
    const first = await hoverText(doc, positionOf(text, '  nas-backup:', 4));
    expect(first).toContain('Same data also protected by `cloud-backup`');
    const r = await client.request<{ chains: { root: string; roots: string[]; ok: boolean }[] }>('backplan/coverage', { uri: doc });
    expect(r.chains).toEqual([expect.objectContaining({ root: 'nas-backup', roots: ['nas-backup', 'cloud-backup'], ok: true })]);
  });

  it('duration: normalised, with its length', async () => {
    const h = await hoverText(uri, positionOf(text, 'rpo: 7h', 6));
    expect(h).toContain('**`7h`** — 7 hours');
    const mo = await hoverText(uri, positionOf(text, 'until: 1mo', 8));
    expect(mo).toContain('1 month');
    expect(mo).toMatch(/between 28d and 31d/);
  });

  it('reference: what the name points to', async () => {
    const h = await hoverText(uri, positionOf(text, 'to: charybde-pool', 6));
    expect(h).toContain('**storage** `charybde-pool`');
    expect(h).toContain('media `hdd`');
    expect(h).toContain('site `campus-b`');
    const host = await hoverText(uri, positionOf(text, 'host: scylla\n    dataset', 7));
    expect(host).toContain('**host** `scylla`');
    expect(host).toContain('root@192.168.102.147');
  });

  it('retention: the projected set, the rules, the engine’s semantics', async () => {
    const h = await hoverText(uri, positionOf(text, 'retention: vzdump-weekly', 2));
    expect(h).toContain('**Retention of `vm-vzdump`**');
    expect(h).toMatch(/\*\*\d+ held\*\*/);
    expect(h).toContain('| rule | keeps | oldest |');
    expect(h).toMatch(/\| last 2 \| 2 \|/);
    expect(h).toContain('Proxmox `prune-backups`');
    expect(h).toContain('**in order**');
  });

  it('retention hover: only the engine notes about the forms the policy uses, then a link to the rest', async () => {
    const text =
      'version: 1\nhosts:\n  h: { address: 10.0.0.1 }\nstorage:\n  repo: { host: h, media: hdd }\njobs:\n  files:\n    kind: restic\n    host: h\n    paths: [/srv]\n' +
      '    to: repo\n    password_env: P\n    schedule: "0 3 * * *"\n    retention:\n      keep: { last: 3 }\n';
    const { uri } = await openText(text);
    const h = await hoverText(uri, positionOf(text, 'retention:', 2));
    expect(h).toContain('**Retention of `files`**');
    expect(h).toMatch(/\*\*3 held\*\*/);
    expect(h).toMatch(/\| last 3 \| 3 \|/);
    expect(h).toContain('**Pruned by restic `forget --prune`**');
    expect(h).toContain('“oldest daily snapshot”');
    expect(h).not.toMatch(/tiers|within|independent|time zone|ISO week/);
    expect(h).toContain('[retention in the README](README.md#the-plan-format)');
    expect(h.split('\n').length).toBeLessThanOrEqual(30);
    // a policy with `within` and calendar counts gets those notes
    const within = text.replace('keep: { last: 3 }', 'keep: { within: 2d, daily: 7, weekly: 4 }');
    const w = await hoverText((await openText(within)).uri, positionOf(within, 'retention:', 2));
    expect(w).toContain('`within D` keeps everything newer than **the newest snapshot** − D');
    expect(w).toContain('Rules are **independent**');
    expect(w).not.toContain('tiers');
  });

  it('retention of a busy schedule: bounded, and says so; the full projection follows', async () => {
    const text =
      'version: 1\nhosts:\n  h: { address: 10.0.0.1 }\njobs:\n  often:\n    kind: zfs-snapshot\n    host: h\n    dataset: tank/x\n' +
      '    schedule: "*/5 * * * *"\n    retention:\n      tiers:\n        - { keep: all, until: 1d }\n        - { every: 1h, until: 1y }\n';
    const { uri } = await openText(text);
    const at = positionOf(text, 'retention:', 2);
    const quick = await hoverText(uri, at);
    expect(quick).toContain('**Retention of `often`**');
    expect(quick).toMatch(/_Bounded: the first 120 runs \(10h\) of the 13mo horizon; a longer projection is being computed — hover again/);
    let full = quick;
    for (let i = 0; i < 100 && !/first 1500 runs/.test(full); i++) {
      await new Promise((r) => setTimeout(r, 100));
      full = await hoverText(uri, at);
    }
    expect(full).toMatch(/_Bounded: the first 1500 runs \(5d\) of the 13mo horizon\. `Simulate retention` runs the whole horizon\._/);
  });

  it('plain keys: the schema’s documentation', async () => {
    const h = await hoverText(uri, positionOf(text, 'dataset: raidZ/scylla_prod\n', 2));
    expect(h).toMatch(/^\*\*dataset\*\* — /);
  });
});

describe('inlay hints', () => {
  it('the cron in words after each schedule; the projection after each retention', async () => {
    const uri = uriOf(ZFS);
    const text = readRepo(ZFS);
    await client.open(uri, text);
    const range = { start: { line: 0, character: 0 }, end: { line: 200, character: 0 } };
    const get = () => client.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range });
    let hints = await get();
    const sched = positionOf(text, '"0 */6 * * *"', 13);
    expect(hints.find((h) => h.position.line === sched.line)).toMatchObject({ position: sched, label: 'At 0 minutes past the hour, every 6 hours' });
    // projections beyond the time budget are computed in the background, then the client is asked to refresh
    await client.until(async () => true);
    const retention = positionOf(text, 'retention: vzdump-weekly', 'retention: vzdump-weekly'.length);
    for (let i = 0; i < 50 && !hints.some((h) => h.position.line === retention.line); i++) {
      await new Promise((r) => setTimeout(r, 200));
      hints = await get();
    }
    const r = hints.find((h) => h.position.line === retention.line)!;
    expect(r.position).toEqual(retention);
    expect(String(r.label)).toMatch(/^≈\d+ kept, oldest \d+(mo|d|w|y)/);
    // per tier inside the policy (shared by two jobs: shown once both are projected)
    const tier = positionOf(text, '{ keep: all, until: 15d }', '{ keep: all, until: 15d }'.length);
    const atTier = () => hints.find((h) => h.position.line === tier.line && h.position.character === tier.character);
    for (let i = 0; i < 50 && !atTier(); i++) {
      await new Promise((r) => setTimeout(r, 200));
      hints = await get();
    }
    expect(String(atTier()?.label)).toMatch(/^≈\d+(–\d+)? kept, oldest 1[45]d(–1[45]d)? · 2 jobs$/);
  });
});

describe('code lens', () => {
  it('Run now · Dry run · Simulate retention on jobs, Simulate retention on policies', async () => {
    const uri = uriOf(ZFS);
    const text = readRepo(ZFS);
    await client.open(uri, text);
    const lenses = await client.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    const onJob = lenses.filter((l) => l.range.start.line === positionOf(text, '  vm-snapshots:').line);
    expect(onJob.map((l) => l.command?.title)).toEqual(['Run now', 'Dry run', 'Simulate retention']);
    expect(onJob[0].command).toMatchObject({ command: 'backplan.runNow', arguments: [{ uri, job: 'vm-snapshots' }] });
    const onPolicy = lenses.filter((l) => l.range.start.line === positionOf(text, '  minet:').line);
    expect(onPolicy.map((l) => l.command)).toEqual([{ title: 'Simulate retention', command: 'backplan.simulateRetention', arguments: [{ uri, policy: 'minet' }] }]);
  });

  it('only the commands the client declared; none without initializationOptions.commands', async () => {
    const bare = await LspClient.start({});
    const some = await LspClient.start({ initializationOptions: { commands: ['backplan.dryRun'] } });
    try {
      const uri = uriOf(ZFS);
      for (const c of [bare, some]) await c.open(uri, readRepo(ZFS));
      expect(await bare.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } })).toEqual([]);
      const lenses = await some.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
      expect(new Set(lenses.map((l) => l.command?.command))).toEqual(new Set(['backplan.dryRun']));
      expect(lenses).toHaveLength(6);
    } finally {
      await bare.stop();
      await some.stop();
    }
  });
});

describe('completion', () => {
  const complete = async (markedText: string) => {
    const m = marked(markedText);
    const { uri } = await openText(m.text);
    return client.request<CompletionList>('textDocument/completion', { textDocument: { uri }, position: { line: m.line, character: m.character } });
  };
  const labels = (l: CompletionList) => l.items.map((i) => i.label);
  const base = 'version: 1\nhosts:\n  web: { address: 10.0.0.1 }\n  nas: { address: 10.0.0.2 }\nstorage:\n  disk: { host: nas, media: hdd, path: /srv }\npolicies:\n  gfs: { keep: { daily: 7 } }\n';

  it('keys of a job, aware of its kind, without those already written', async () => {
    const l = await complete(`${base}jobs:\n  files:\n    kind: restic\n    host: web\n    |\n`);
    expect(labels(l)).toContain('paths');
    expect(labels(l)).toContain('password_env');
    expect(labels(l)).not.toContain('dataset');
    expect(labels(l)).not.toContain('host');
    expect(labels(l)).not.toContain('password');
    const zfs = await complete(`${base}jobs:\n  snaps:\n    kind: zfs-snapshot\n    da|\n`);
    expect(labels(zfs)).toContain('dataset');
    expect(labels(zfs)).not.toContain('paths');
  });

  it("a job's retention offers only its own pruner's terms", async () => {
    const job = (pruner: string, at: string) =>
      `${base}jobs:\n  snaps:\n    kind: zfs-snapshot\n    host: web\n    dataset: tank/a\n${pruner}    retention:\n${at}`;
    const plain = labels(await complete(job('', '      |\n')));
    expect(plain).toEqual(expect.arrayContaining(['keep', 'tiers', 'min']));
    for (const k of ['frequent_period', 'preserve', 'preserve_min']) expect(plain).not.toContain(k);
    const sanoid = labels(await complete(job('    pruner: sanoid\n', '      |\n')));
    expect(sanoid).toContain('frequent_period');
    expect(sanoid).not.toContain('preserve_hour_of_day');
    expect(labels(await complete(job('    pruner: sanoid\n', '      keep:\n        |\n')))).toContain('frequently');
    expect(labels(await complete(job('', '      keep:\n        |\n')))).not.toContain('frequently');
    const btrbk = labels(await complete(job('    pruner: btrbk\n', '      |\n')));
    expect(btrbk).toEqual(expect.arrayContaining(['preserve', 'preserve_min', 'preserve_day_of_week']));
    expect(btrbk).not.toContain('frequent_period');
    // a named policy may serve several pruners: everything is offered
    const policy = labels(await complete('version: 1\npolicies:\n  p:\n    |\njobs: {}\n'));
    expect(policy).toEqual(expect.arrayContaining(['frequent_period', 'preserve']));
  });

  it('top-level keys', async () => {
    const l = await complete('version: 1\nti|\n');
    expect(labels(l)).toEqual(expect.arrayContaining(['timezone', 'hosts', 'storage', 'policies', 'jobs', 'checks']));
    expect(labels(l)).not.toContain('version');
  });

  it('names for references: hosts, storage, policies, jobs', async () => {
    const host = await complete(`${base}jobs:\n  files:\n    kind: restic\n    host: |\n`);
    expect(labels(host)).toEqual(['web', 'nas']);
    expect(host.items[0].textEdit).toMatchObject({ newText: 'web' });
    const to = await complete(`${base}jobs:\n  files:\n    kind: restic\n    to: |\n`);
    expect(labels(to)).toEqual(['disk']);
    const retention = await complete(`${base}jobs:\n  files:\n    kind: restic\n    retention: g|\n`);
    expect(labels(retention)).toEqual(['gfs']);
    const after = await complete(`${base}jobs:\n  a:\n    kind: restic\n  b:\n    kind: restic\n    after: [|]\n`);
    expect(labels(after)).toEqual(['a']);
  });

  it('enum values: kinds (with snippets of their required fields), media, levels', async () => {
    const kinds = await complete(`${base}jobs:\n  snaps:\n    kind: |\n`);
    expect(labels(kinds)).toEqual(expect.arrayContaining(['zfs-snapshot', 'restic', 'archive', 'vzdump']));
    const snippet = kinds.items.find((i) => i.label === 'zfs-send …')!;
    expect(snippet.insertTextFormat).toBe(2);
    expect((snippet.textEdit as { newText: string }).newText).toMatch(/^zfs-send\n {4}from: \$\{1:[^}]+\}\n {4}to: \$\{2:[^}]+\}\n {4}dataset: \$\{3:[^}]+\}\$0$/);
    const media = await complete('version: 1\nstorage:\n  s: { media: | }\njobs: {}\n');
    expect(labels(media)).toEqual(expect.arrayContaining(['ssd', 'hdd', 'tape', 'object']));
    const level = await complete('version: 1\njobs: {}\nchecks:\n  unused: |\n');
    expect(labels(level)).toEqual(['error', 'warning', 'info', 'off']);
  });

  it('a value right after the colon gets its space; schedules come quoted with their words', async () => {
    const l = await complete(`${base}jobs:\n  files:\n    kind: restic\n    schedule:|\n`);
    const daily = l.items.find((i) => i.label === '@daily')!;
    expect(daily.textEdit).toMatchObject({ newText: ' "@daily"' });
    expect(daily.detail).toBe('Every day at midnight');
  });
});

describe('navigation', () => {
  const uri = uriOf(ZFS);
  const text = readRepo(ZFS);
  beforeAll(async () => {
    await client.open(uri, text);
  });

  it('definition: from a reference to the key', async () => {
    const loc = await client.request<Location | null>('textDocument/definition', { textDocument: { uri }, position: positionOf(text, 'from: vm-snapshots', 8) });
    const def = positionOf(text, '  vm-snapshots:', 2);
    expect(loc).toEqual({ uri, range: { start: def, end: { line: def.line, character: def.character + 'vm-snapshots'.length } } });
  });

  it('references: every use of a policy, and its definition when asked', async () => {
    const at = positionOf(text, '  minet:', 3);
    const refs = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: at, context: { includeDeclaration: true } });
    expect(refs.map((r) => r.range.start.line)).toEqual([at.line, positionOf(text, 'retention: minet', 0, 1).line, positionOf(text, 'retention: minet', 0, 2).line]);
    const noDecl = await client.request<Location[]>('textDocument/references', { textDocument: { uri }, position: at, context: { includeDeclaration: false } });
    expect(noDecl).toHaveLength(2);
  });

  it('rename: the key and every reference; prepareRename; invalid and taken names refused', async () => {
    const at = positionOf(text, 'to: nfs-share', 6);
    const prep = await client.request<{ range: unknown; placeholder: string }>('textDocument/prepareRename', { textDocument: { uri }, position: at });
    expect(prep.placeholder).toBe('nfs-share');
    const edit = await client.request<WorkspaceEdit>('textDocument/rename', { textDocument: { uri }, position: at, newName: 'nas-share' });
    const renamed = applyEdits(text, edit.changes![uri]);
    expect(renamed.match(/nfs-share/g)).toBeNull();
    expect(renamed.match(/nas-share/g)).toHaveLength(4);
    await expect(client.request('textDocument/rename', { textDocument: { uri }, position: at, newName: 'Bad Name' })).rejects.toThrow(/not a valid name/);
    await expect(client.request('textDocument/rename', { textDocument: { uri }, position: at, newName: 'scylla-pool' })).rejects.toThrow(/already a storage/);
    expect(await client.request('textDocument/prepareRename', { textDocument: { uri }, position: positionOf(text, 'kind: zfs', 7) })).toBeNull();
  });

  it('outline: sections, then their entries', async () => {
    const symbols = await client.request<DocumentSymbol[]>('textDocument/documentSymbol', { textDocument: { uri } });
    expect(symbols.map((s) => s.name)).toEqual(['version', 'timezone', 'hosts', 'storage', 'policies', 'jobs']);
    const jobs = symbols.find((s) => s.name === 'jobs')!;
    expect(jobs.children!.map((c) => `${c.name}:${c.detail}`)).toEqual(['vm-snapshots:zfs-snapshot', 'vm-replica:zfs-send', 'vm-vzdump:vzdump', 'vzdump-offsite:restic', 'db-dump:pg-dump', 'db-dump-mail:mysql-dump']);
  });

  it('folding: sections, entries, comment blocks', async () => {
    const folds = await client.request<FoldingRange[]>('textDocument/foldingRange', { textDocument: { uri } });
    const jobsLine = positionOf(text, 'jobs:').line;
    expect(folds).toContainEqual({ startLine: 0, endLine: 4, kind: 'comment' });
    const jobs = folds.find((f) => f.startLine === jobsLine)!;
    expect(jobs.endLine).toBe(text.trimEnd().split('\n').length - 1);
    const vm = folds.find((f) => f.startLine === positionOf(text, '  vm-snapshots:').line)!;
    expect(vm.endLine).toBe(positionOf(text, '    change: 1%').line);
  });
});

describe('custom requests', () => {
  const uri = uriOf(ZFS);
  beforeAll(async () => {
    await client.open(uri, readRepo(ZFS));
  });

  it('backplan/simulate: the SPEC §7 job entry and its SVG', async () => {
    const r = await client.request<{ jobs: { job: string; engine: string; snapshots: unknown[]; stats: Record<string, unknown>; svg: string }[] }>('backplan/simulate', {
      uri,
      job: 'vm-vzdump',
      horizon: '6mo',
    });
    expect(r.jobs).toHaveLength(1);
    const j = r.jobs[0];
    expect(j).toMatchObject({ job: 'vm-vzdump', engine: 'pbs', from: '2026-03-28T13:00:00+01:00' });
    expect(Object.keys(j.stats)).toEqual(expect.arrayContaining(['created', 'removed', 'count', 'minCount', 'maxCount', 'oldest', 'worstGap']));
    expect(j.svg.startsWith('<svg')).toBe(true);
    const byPolicy = await client.request<{ jobs: { job: string }[] }>('backplan/simulate', { uri, policy: 'minet', horizon: '1mo' });
    expect(byPolicy.jobs.map((x) => x.job)).toEqual(['vm-snapshots', 'vm-replica']);
    const missing = await client.request<{ error?: string }>('backplan/simulate', { uri, job: 'nope' });
    expect(missing.error).toMatch(/no job `nope`/);
  });

  it('backplan/plan: the dry-run steps with host and argv', async () => {
    const r = await client.request<{ steps: { job: string; host: string; argv?: string[]; display: string }[]; order: string[] }>('backplan/plan', { uri, job: 'vm-snapshots' });
    expect(r.order).toEqual(['vm-snapshots']);
    const snap = r.steps.find((s) => s.argv?.[0] === 'zfs')!;
    expect(snap.host).toBe('scylla');
    expect(snap.argv!.slice(0, 2)).toEqual(['zfs', 'snapshot']);
  });

  it('backplan/coverage: per chain the 3-2-1 line and counts', async () => {
    const r = await client.request<{ chains: { root: string; line: string; ok: boolean; counts: { copies: number } }[] }>('backplan/coverage', { uri });
    const vm = r.chains.find((c) => c.root === 'vm-snapshots')!;
    expect(vm).toMatchObject({ ok: false, counts: { copies: 2 }, line: '2 copies · 2 media · 1 offsite ✗ (needs 3 copies · 2 media · 1 offsite)' });
  });
});

describe('cancellation', () => {
  it('a request cancelled right after it is sent is answered RequestCancelled', async () => {
    const uri = uriOf(ZFS);
    const text = readRepo(ZFS);
    await client.open(uri, text);
    const at = positionOf(text, '"0 */6 * * *"', 3);
    const { CancellationTokenSource } = await import('vscode-jsonrpc/node');
    // keep the server busy with a long simulation, so that the hover and its cancellation are
    // both waiting when it reads them (a cancellation that arrives after the answer cannot count)
    const busy = client.request('backplan/simulate', { uri, horizon: '3y' });
    const source = new CancellationTokenSource();
    const p = client.conn.sendRequest('textDocument/hover', { textDocument: { uri }, position: at }, source.token);
    source.cancel();
    await expect(p).rejects.toMatchObject({ code: -32800 });
    await busy;
    // and the server still answers afterwards
    expect(await hoverText(uri, at)).toContain('every 6 hours');
  });
});
