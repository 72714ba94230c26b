// A long run of random edits through the built language server over stdio, on the example plans
// and bench/gen-plan.mjs's 200-job plan: typing, YAML pieces valid and broken, pastes of whole
// jobs, deletes of half the file, unicode (astral, combining, right-to-left), 10,000-character
// lines, control characters and junk. Edits come in bursts (as typing does); after each burst
// the diagnostics of its last version are awaited, and hover, completion, code lens, inlay hint
// and document symbol requests are sent in between, at random positions (past the end too), a
// few of them cancelled. Recorded: crashes (the server exiting, an error answer other than a
// cancellation, a stack trace on stderr, a handler failure it logged), the slowest answer, and
// the server's RSS sampled along the run (the opening of the documents, cold, is reported apart).
// test/lsp/soak.test.ts runs this with fewer edits.
//   npm run build && nice -n 10 node bench/soak.mjs [--edits N] [--seed S] [--server FILE]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc/node.js';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { generatePlan } from './gen-plan.mjs';
import { cpuMs, fmt, makeRandom, ROOT, rss, startServer } from './lib.mjs';

const CANCELLED = -32800; // LSP RequestCancelled
const ANSWER_TIMEOUT_MS = 30_000;

const YAML_PIECES = [
  '\n',
  '\r\n',
  ' ',
  '  ',
  '\t',
  ':',
  ': ',
  '- ',
  '#',
  '{',
  '}',
  '[',
  ']',
  ',',
  '"',
  "'",
  '&a ',
  '*a',
  '<<: *a\n',
  '---\n',
  '...\n',
  '? ',
  '!!str ',
  '|\n  text\n',
  '>\n  folded\n',
  '~',
  'null',
  '1e999',
  '0x1F',
  '${X}',
  '%YAML 1.2\n',
  'jobs:\n',
  '  x:\n    kind: restic\n',
  '    kind: zfs-snapshot\n',
  '    schedule: "0 */6 * * *"\n',
  'schedule: "99 99 * * *"',
  '    retention: { keep: { daily: 7 } }\n',
  'tiers:\n  - { keep: all, until: 15d }\n  - { every: 1d }\n',
  'until: 3m',
  'expiry: 2d',
  'from: ',
  'after: [a, b]',
  'host: ',
  'to: nowhere',
  'password: hunter2',
  'timezone: Mars/Base',
  'retention: tiers',
  'retention: gfs',
  'enabled: false',
  'from: job-0',
  'checks: { unused: off }',
  'rpo: 1h',
  'size: 9PB',
];
const UNICODE = [
  '😀',
  '𝔘𝔫𝔦',
  '👩‍👩‍👧‍👦',
  '🇫🇷',
  'e\u0301',
  'a\u0308\u0323',
  'Z\u0351\u0352\u0353',
  '\u05e9\u05dc\u05d5\u05dd',
  '\u0645\u0631\u062d\u0628\u0627',
  '\u202etxet\u202c',
  '\u200f',
  '\u200b',
  '\ufeff',
  '\u00a0',
  '\u2028',
  '\u2029',
  '\u0085',
  '日本語',
  'ｆｕｌｌ',
  '\ufffd',
];
const TYPED = 'abcdefghijklmnopqrstuvwxyz0123456789 :-_./"{}[],#*';

/** Make a piece of random text from the code units 0–255 (controls, NUL, latin-1): "binary" junk. */
const junk = (r, n) => Array.from({ length: n }, () => String.fromCharCode(r.int(0, 255))).join('');

/** An offset moved back so that it splits neither a surrogate pair nor a \r\n. */
function boundary(text, at) {
  let o = Math.max(0, Math.min(at, text.length));
  const hi = o > 0 ? text.charCodeAt(o - 1) : 0;
  const lo = o < text.length ? text.charCodeAt(o) : 0;
  if ((hi >= 0xd800 && hi <= 0xdbff && lo >= 0xdc00 && lo <= 0xdfff) || (hi === 13 && lo === 10)) o--;
  return o;
}

/** The top-level-indented job blocks of a plan (`  name:` up to the next one), for pastes. */
function jobBlocks(text) {
  const lines = text.split('\n');
  const blocks = [];
  let cur;
  let inJobs = false;
  for (const l of lines) {
    if (/^\S/.test(l)) {
      inJobs = l.startsWith('jobs:');
      if (cur) blocks.push(cur.join('\n') + '\n');
      cur = undefined;
      continue;
    }
    if (!inJobs) continue;
    if (/^ {2}[^\s#]/.test(l)) {
      if (cur) blocks.push(cur.join('\n') + '\n');
      cur = [l];
    } else if (cur) cur.push(l);
  }
  if (cur) blocks.push(cur.join('\n') + '\n');
  return blocks;
}

/**
 * One random edit of `text`: `{kind, start, end, insert}` (offsets into text), or `{kind, whole}`
 * for a replacement of the whole document.
 */
function randomEdit(r, text, sources) {
  const at = () => boundary(text, r.int(0, text.length));
  const lineStart = () => {
    const o = at();
    return text.lastIndexOf('\n', o - 1) + 1;
  };
  const insert = (kind, s, o = at()) => ({ kind, start: o, end: o, insert: s });
  const kind = r.weighted([
    [30, 'type'],
    [14, 'piece'],
    [14, 'delete'],
    [4, 'newline'],
    [4, 'paste-job'],
    [4, 'replace-line'],
    [6, 'unicode'],
    [3, 'junk'],
    [1, 'long-line'],
    [0.6, 'delete-half'],
    [0.3, 'reset'],
    [0.3, 'other-document'],
  ]);
  switch (kind) {
    case 'type':
      return insert(kind, Array.from({ length: r.int(1, 3) }, () => r.pick(TYPED)).join(''));
    case 'piece':
      return insert(kind, r.pick(YAML_PIECES));
    case 'newline':
      return insert(kind, '\n' + ' '.repeat(r.pick([0, 2, 4, 6, 3])));
    case 'unicode':
      return insert(kind, Array.from({ length: r.int(1, 4) }, () => r.pick(UNICODE)).join(''));
    case 'junk':
      return insert(kind, junk(r, r.int(1, 64)));
    case 'long-line': {
      const body = r.next() < 0.5 ? 'x'.repeat(10_000) : Array.from({ length: 10_000 }, () => r.pick(TYPED)).join('');
      const line = r.pick([
        `    description: "${body}"\n`,
        `${body}\n`,
        `  job-long:\n    kind: restic\n    host: ${body}\n`,
      ]);
      return insert(kind, line, lineStart());
    }
    case 'paste-job':
      return insert(kind, r.pick(sources.blocks), lineStart());
    case 'replace-line': {
      const s = lineStart();
      const e = text.indexOf('\n', s);
      return { kind, start: s, end: e < 0 ? text.length : e, insert: r.pick(sources.lines) };
    }
    case 'delete': {
      const s = at();
      return { kind, start: s, end: boundary(text, s + r.int(1, 40)), insert: '' };
    }
    case 'delete-half': {
      const half = Math.floor(text.length / 2);
      const s = boundary(text, r.int(0, text.length - half));
      return { kind, start: s, end: boundary(text, s + half), insert: '' };
    }
    case 'reset':
      return { kind, whole: undefined };
    default:
      return { kind, whole: r.pick(sources.texts) };
  }
}

/**
 * Runs the soak: `edits` random edits at `seed` through `server` (a bundle of server/index.ts).
 * Returns what happened; never throws on a server failure (it is recorded, and the server is
 * started again with the documents as they were).
 */
export async function soak(options = {}) {
  const {
    edits = 100_000,
    seed = 1,
    server = join(ROOT, 'dist/server.js'),
    sampleEvery = 250,
    log = () => {},
  } = options;
  const { nodeArgs = [], beforeStop, signal } = options;
  const r = makeRandom(seed);
  const examples = readdirSync(join(ROOT, 'examples'))
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ uri: `file:///soak/examples/${f}`, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }));
  const big = { uri: 'file:///soak/fleet.backplan.yaml', text: generatePlan(200) };
  const docs = [...examples, big].map((d) => ({
    ...d,
    original: d.text,
    doc: TextDocument.create(d.uri, 'backplan', 1, d.text),
  }));
  const allTexts = docs.map((d) => d.original);
  const sources = {
    texts: allTexts,
    blocks: allTexts.flatMap(jobBlocks),
    lines: allTexts.flatMap((t) => t.split('\n')).filter((l) => l.trim() !== ''),
  };

  const crashes = [];
  const crash = (what, detail) => {
    crashes.push({ what, detail: String(detail).slice(0, 2000) });
    if (crashes.length <= 20) log(`CRASH ${what}: ${String(detail).slice(0, 500)}`);
  };
  const answers = new Map(); // kind → { n, max, total, maxAt }
  const slowest = { ms: 0, what: '' };
  const mostCpu = { ms: 0, what: '' };
  /** An answer of `kind` took `ms` of wall time and `cpu` ms of the server's CPU (since it was asked). */
  const answered = (kind, ms, where, cpu) => {
    const a = answers.get(kind) ?? { n: 0, max: 0, total: 0, over: 0, maxCpu: 0 };
    a.n++;
    a.total += ms;
    if (ms >= 1000) a.over++;
    if (ms > a.max) Object.assign(a, { max: ms, maxAt: where });
    if (cpu > a.maxCpu) Object.assign(a, { maxCpu: cpu, maxCpuAt: where });
    answers.set(kind, a);
    // opening cold (JIT and caches empty) has its own goal and row in bench/README; apart here
    if (kind === 'open') return;
    if (ms > slowest.ms) Object.assign(slowest, { ms, what: `${kind} ${where}` });
    if (cpu > mostCpu.ms) Object.assign(mostCpu, { ms: cpu, what: `${kind} ${where}` });
  };
  const check = { max: 0, at: '' };
  const editKinds = {};
  const samples = []; // { edit, mb }
  let requests = 0;
  let cancelled = 0;
  let restarts = 0;

  // the server, and who waits for which published version
  let srv;
  const waiting = new Map(); // `${uri}\0${version}` → resolve
  const boot = async () => {
    const { proc, conn } = startServer({ server, nodeArgs });
    const s = { proc, conn, exited: false, stderr: '' };
    proc.on('exit', (code, signal) => {
      s.exited = true;
      if (!s.stopping) crash('server exit', `code ${code} signal ${signal}\n${s.stderr.slice(-1500)}`);
      for (const w of waiting.values()) w(undefined);
      waiting.clear();
    });
    proc.stderr.on('data', (d) => {
      s.stderr += d.toString();
      if (/\n\s+at /.test(s.stderr) && !s.reportedStack) {
        s.reportedStack = true;
        crash('stack trace on stderr', s.stderr);
      }
    });
    conn.onNotification('textDocument/publishDiagnostics', (p) => {
      const w = waiting.get(`${p.uri}\0${p.version}`);
      if (w) {
        waiting.delete(`${p.uri}\0${p.version}`);
        w(performance.now());
      }
    });
    // the server's own time for each analysis (parse + checks), apart from waiting for a core
    conn.onNotification('backplan/status', (p) => {
      if (typeof p?.ms === 'number' && p.ms > check.max)
        Object.assign(check, { max: p.ms, at: `${p.uri} v${p.version}` });
    });
    conn.onNotification('window/logMessage', (p) => {
      // the server logs a handler that threw (and answered empty) as an error; Node's warnings land there too
      if (p?.type === 1 || / failed: |uncaught|unhandled rejection/.test(String(p?.message)))
        crash('error logged', p.message);
    });
    conn.onRequest('workspace/inlayHint/refresh', () => null);
    conn.onRequest('workspace/codeLens/refresh', () => null);
    conn.onRequest('workspace/configuration', () => [null]);
    conn.onRequest('client/registerCapability', () => null);
    conn.onError(() => undefined);
    conn.listen();
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: {
        textDocument: {
          completion: { completionItem: { snippetSupport: true } },
          hover: { contentFormat: ['markdown', 'plaintext'] },
          publishDiagnostics: { relatedInformation: true, versionSupport: true, codeDescriptionSupport: true },
        },
        workspace: { inlayHint: { refreshSupport: true } },
      },
      initializationOptions: {
        commands: ['backplan.runNow', 'backplan.dryRun', 'backplan.simulateRetention'],
        // a short debounce: a burst sent at once is checked once, as an editor's 150 ms would do,
        // without 150 ms of idle time per burst (with none, every version of a burst was checked)
        settings: { validation: { debounceMs: 20 } },
      },
    });
    await conn.sendNotification('initialized', {});
    srv = s;
    for (const d of docs) {
      const t0 = performance.now();
      const got = published(d.uri, d.doc.version);
      await conn.sendNotification('textDocument/didOpen', {
        textDocument: { uri: d.uri, languageId: 'backplan', version: d.doc.version, text: d.doc.getText() },
      });
      const t = await within(got, `diagnostics of the opened ${d.uri}`);
      if (t !== undefined) answered('open', t - t0, d.uri, 0);
    }
  };
  const published = (uri, version) => new Promise((resolve) => waiting.set(`${uri}\0${version}`, resolve));
  /** The promise's value, or undefined (and a crash recorded) when it takes too long. */
  const within = async (p, what) => {
    let timer;
    const late = new Promise((resolve) => (timer = setTimeout(() => resolve('late'), ANSWER_TIMEOUT_MS)));
    const v = await Promise.race([p, late]);
    clearTimeout(timer);
    if (v === 'late') {
      crash('no answer', `${what} within ${ANSWER_TIMEOUT_MS} ms`);
      return undefined;
    }
    return v;
  };

  const position = (d) => {
    const lines = d.doc.lineCount;
    const line = r.next() < 0.1 ? lines + r.int(0, 50) : r.int(0, lines - 1);
    const character = r.weighted([
      [6, r.int(0, 40)],
      [2, r.int(0, 200)],
      [1, r.int(9_990, 10_100)],
      [1, 1_000_000],
    ]);
    return { line, character };
  };
  const request = (d) => {
    const td = { textDocument: { uri: d.uri } };
    const method = r.weighted([
      [4, 'textDocument/hover'],
      [3, 'textDocument/completion'],
      [2, 'textDocument/inlayHint'],
      [1, 'textDocument/codeLens'],
      [1, 'textDocument/documentSymbol'],
    ]);
    let params;
    if (method === 'textDocument/inlayHint') {
      const start = position(d);
      params = { ...td, range: { start, end: { line: start.line + r.int(0, 80), character: r.int(0, 100) } } };
    } else if (method === 'textDocument/hover' || method === 'textDocument/completion')
      params = { ...td, position: position(d) };
    else params = td;
    const cancel = r.next() < 0.08 ? new CancellationTokenSource() : undefined;
    const at = JSON.stringify(params.position ?? params.range ?? '');
    const where = `${d.uri.slice(d.uri.lastIndexOf('/') + 1)} v${d.doc.version} ${at}`;
    const kind = method.slice('textDocument/'.length);
    const t0 = performance.now();
    const c0 = cpuMs(srv.proc.pid);
    requests++;
    // a connection closed under it (the server gone) throws at once: a rejection like the others
    const asked = new Promise((res) =>
      res(srv.conn.sendRequest(method, ...(cancel ? [params, cancel.token] : [params]))),
    );
    const p = asked.then(
      () => answered(kind, performance.now() - t0, where, cpuMs(srv.proc.pid) - c0),
      (e) => {
        if (e?.code === CANCELLED && cancel) cancelled++;
        else if (!srv.exited) crash(`error answer to ${kind}`, `${where}: ${e?.code} ${e?.message}`);
      },
    );
    if (cancel) setTimeout(() => cancel.cancel(), r.int(0, 5));
    return within(p, `${kind} ${where}`);
  };

  const t0 = performance.now();
  await boot();
  let done = 0;
  let nextSample = 0;
  let nextLog = 5000;
  while (done < edits && !signal?.aborted) {
    if (srv.exited) {
      restarts++;
      await boot();
    }
    // the big plan costs the most per check: one burst in seven, longer ones
    const d = r.next() < 0.15 ? docs[docs.length - 1] : r.pick(docs.slice(0, -1));
    const burst = Math.min(edits - done, d === docs[docs.length - 1] ? r.int(1, 12) : r.int(1, 6));
    const pending = [];
    let sent = 0;
    let sentCpu = 0;
    let last;
    for (let i = 0; i < burst; i++) {
      const text = d.doc.getText();
      let e = randomEdit(r, text, sources);
      // a document grown past three times its size (pastes, long lines) starts again
      if (text.length > Math.max(3 * d.original.length, 40_000)) e = { kind: 'reset', whole: undefined };
      editKinds[e.kind] = (editKinds[e.kind] ?? 0) + 1;
      const change =
        'whole' in e
          ? { text: e.whole ?? d.original }
          : { range: { start: d.doc.positionAt(e.start), end: d.doc.positionAt(e.end) }, text: e.insert };
      const version = d.doc.version + 1;
      // applied here as the server applies it (the same library), so both texts stay equal
      d.doc = TextDocument.update(d.doc, [change], version);
      if (i === burst - 1) last = published(d.uri, version);
      try {
        if (srv.exited) throw new Error('exited');
        await srv.conn.sendNotification('textDocument/didChange', {
          textDocument: { uri: d.uri, version },
          contentChanges: [change],
        });
      } catch {
        // the server is gone: it starts again with the texts as they are, once its exit is seen
        last = undefined;
        await new Promise((res) => setTimeout(res, 100));
        break;
      }
      sent = performance.now();
      sentCpu = cpuMs(srv.proc.pid);
      done++;
      if (r.next() < 0.1) pending.push(request(d));
    }
    if (last === undefined) continue;
    const version = d.doc.version;
    const t = await within(last, `diagnostics of ${d.uri} v${version}`);
    const name = d.uri.slice(d.uri.lastIndexOf('/') + 1);
    if (t !== undefined) answered('diagnostics', t - sent, `${name} v${version}`, cpuMs(srv.proc.pid) - sentCpu);
    for (let i = r.int(0, 3); i > 0; i--) pending.push(request(d));
    await Promise.all(pending);
    if (done >= nextSample) {
      samples.push({ edit: done, mb: rss(srv.proc.pid) });
      nextSample = done + sampleEvery;
    }
    if (done >= nextLog) {
      log(
        `${done} edits, ${((performance.now() - t0) / 1000).toFixed(0)} s, slowest ${fmt(slowest.ms)} ` +
          `(${slowest.what}), RSS ${samples.at(-1).mb.toFixed(0)} MB, ${crashes.length} crashes`,
      );
      nextLog += 5000;
    }
  }
  samples.push({ edit: done, mb: rss(srv.proc.pid) });
  if (beforeStop) await beforeStop(srv.proc);
  srv.stopping = true;
  await Promise.race([
    srv.conn.sendRequest('shutdown').catch(() => undefined),
    new Promise((res) => setTimeout(res, 3000)),
  ]);
  await srv.conn.sendNotification('exit').catch(() => undefined);
  await new Promise((res) => setTimeout(res, 200));
  if (!srv.exited) srv.proc.kill('SIGKILL');
  srv.conn.dispose();

  return {
    edits: done,
    seed,
    seconds: (performance.now() - t0) / 1000,
    crashes,
    restarts,
    requests,
    cancelled,
    slowest,
    answers: Object.fromEntries([...answers].map(([k, a]) => [k, { ...a, mean: a.total / a.n, over1s: a.over }])),
    mostCpu,
    slowestCheck: check,
    editKinds,
    rss: samples,
    memory: memoryTrend(samples),
  };
}

/**
 * RSS after warm-up: the first tenth of the samples is skipped, then the median of the next
 * tenth is compared with the median of the last tenth.
 */
export function memoryTrend(samples) {
  const n = samples.length;
  const tenth = Math.max(1, Math.floor(n / 10));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const first = median(samples.slice(tenth, 2 * tenth).map((s) => s.mb));
  const last = median(samples.slice(n - tenth).map((s) => s.mb));
  return { first, last, growth: (last - first) / first, max: Math.max(...samples.map((s) => s.mb)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, d) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : d;
  };
  const edits = Number(arg('edits', 100_000));
  const seed = Number(arg('seed', 1));
  const server = arg('server', join(ROOT, 'dist/server.js'));
  console.log(`soak: ${edits} edits, seed ${seed}, ${server}, node ${process.version}`);
  // Ctrl-C (or a kill) ends the run early, with its summary
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => stop.abort());
  const res = await soak({ edits, seed, server, signal: stop.signal, log: (m) => console.log(`  ${m}`) });
  console.log(
    `edits ${res.edits} in ${res.seconds.toFixed(0)} s; requests ${res.requests} (${res.cancelled} cancelled); ` +
      `restarts ${res.restarts}`,
  );
  console.log(
    `edit kinds: ${Object.entries(res.editKinds)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  );
  for (const [k, a] of Object.entries(res.answers)) {
    console.log(
      `  ${k}: ${a.n} answers, mean ${fmt(a.mean)}, max ${fmt(a.max)} (${a.maxAt}), ${a.over1s} ≥ 1 s; ` +
        `most server CPU ${fmt(a.maxCpu)} (${a.maxCpuAt})`,
    );
  }
  console.log(`slowest analysis in the server (its own clock): ${fmt(res.slowestCheck.max)} (${res.slowestCheck.at})`);
  console.log(`slowest answer: ${fmt(res.slowest.ms)} (${res.slowest.what})`);
  console.log(`most server CPU in one answer: ${fmt(res.mostCpu.ms)} (${res.mostCpu.what})`);
  const m = res.memory;
  console.log(
    `RSS: first tenth after warm-up ${m.first.toFixed(1)} MB, last tenth ${m.last.toFixed(1)} MB ` +
      `(${(m.growth * 100).toFixed(1)} %), max ${m.max.toFixed(1)} MB`,
  );
  console.log(`crashes: ${res.crashes.length}`);
  for (const c of res.crashes.slice(0, 20))
    console.log(`  ${c.what}: ${c.detail.split('\n').slice(0, 6).join('\n    ')}`);
  process.exitCode = res.crashes.length === 0 ? 0 : 1;
}
