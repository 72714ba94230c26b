// The incremental check (engine/check-incremental.ts) against a check from scratch: random edit
// sequences on every example and on the benchmark's 200-job plan, compared after every edit
// (findings: rule, level, range, message, related ranges and fix edits; and, when only one entry
// was re-parsed, the document's node ranges and the plain value).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isNode, isPair, visit, type Document } from 'yaml';
import { checkText, type CheckResult } from '../../../engine/check';
import { checkIncremental } from '../../../engine/check-incremental';
// @ts-expect-error a plain ES module of the benchmarks
import { generatePlan } from '../../../bench/gen-plan.mjs';

const NOW = Date.parse('2026-11-22T00:00:00Z');
const EXAMPLES = join(__dirname, '../../../examples');
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ name: f, text: readFileSync(join(EXAMPLES, f), 'utf8') }));
const big = generatePlan(200) as string;

const view = (r: CheckResult) =>
  r.findings.map((f) => ({
    rule: f.rule,
    severity: f.severity,
    range: f.range,
    message: f.message,
    related: f.related?.map((x) => [x.range, x.message]),
    fixes: f.fixes?.map((x) => [x.title, x.edits]),
    accepted: f.accepted,
  }));

function ranges(doc: Document | undefined): unknown[] {
  const out: unknown[] = [];
  if (!doc) return out;
  out.push(doc.range);
  visit(doc, (_k, n) => {
    if (isNode(n)) out.push([n.constructor.name, n.range]);
    else if (isPair(n)) out.push('pair');
  });
  return out;
}

/** An edit, placed relative to the current text when applied. */
type Edit =
  | { kind: 'insert'; at: number; text: string }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'line'; at: number; text: string }
  | { kind: 'delete-lines'; at: number; count: number }
  | { kind: 'paste-entry'; from: number; to: number; name: string }
  | { kind: 'delete-entry'; at: number }
  | { kind: 'type-value'; at: number; text: string };

/** A position in [0, 1] (fc.double would give mostly tiny numbers). */
const frac = fc.integer({ min: 0, max: 1_000_000 }).map((n) => n / 1_000_000);

const CHARS = ['a', 'x', '1', ' ', ':', '\n', '#', '"', "'", '-', '{', '}', '[', ',', '*', '&', '|', '\t', 'é', '<<'];
const LINES = [
  '    description: added\n',
  '    schedule: "5 4 * * *"\n',
  '    retention: { keep: { last: 2 } }\n',
  '    kind: restic\n',
  '      nested: 1\n',
  '  # a comment\n',
  '\n',
  '    bad: [unclosed\n',
  '    &anchor key: 1\n',
  '    <<: { a: 1 }\n',
  'top: 1\n',
  '    note: |\n      line one\n\n      line two\n',
];

const editArb: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: frac,
      text: fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 4 }).map((a) => a.join('')),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: frac,
      length: fc.integer({ min: 1, max: 30 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('line' as const),
      at: frac,
      text: fc.constantFrom(...LINES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete-lines' as const),
      at: frac,
      count: fc.integer({ min: 1, max: 4 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('paste-entry' as const),
      from: frac,
      to: frac,
      name: fc.constantFrom('pasted', 'job-1', 'copy-x'),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete-entry' as const),
      at: frac,
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('type-value' as const),
      at: frac,
      text: fc.constantFrom('x', '1', ' ', 'd', '*', ':', '"', '0'),
    }),
  },
);

/** Offsets of the lines that start a two-space-indented key (an entry of a section). */
function entryStarts(text: string): number[] {
  const out: number[] = [];
  const re = /^ {2}[^ #\n-][^\n]*:/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push(m.index);
  return out;
}
const lineStarts = (text: string) => [
  0,
  ...[...text.matchAll(/\n/g)].map((m) => m.index! + 1).filter((i) => i < text.length),
];
const pick = <T>(list: T[], f: number): T | undefined =>
  list.length === 0 ? undefined : list[Math.min(list.length - 1, Math.floor(f * list.length))];

function apply(text: string, e: Edit): string {
  const at = (f: number) => Math.min(text.length, Math.floor(f * (text.length + 1)));
  switch (e.kind) {
    case 'insert':
      return text.slice(0, at(e.at)) + e.text + text.slice(at(e.at));
    case 'delete': {
      const a = at(e.at);
      return text.slice(0, a) + text.slice(a + e.length);
    }
    case 'line': {
      const a = pick(lineStarts(text), e.at) ?? 0;
      return text.slice(0, a) + e.text + text.slice(a);
    }
    case 'delete-lines': {
      const starts = lineStarts(text);
      const i = Math.min(starts.length - 1, Math.floor(e.at * starts.length));
      const end = starts[i + e.count] ?? text.length;
      return text.slice(0, starts[i] ?? 0) + text.slice(end);
    }
    case 'paste-entry': {
      const starts = entryStarts(text);
      const i = Math.min(starts.length - 1, Math.floor(e.from * starts.length));
      if (i < 0) return text;
      const block = text.slice(starts[i], starts[i + 1] ?? text.length).replace(/^ {2}[^:\n]+:/, `  ${e.name}:`);
      const to = pick(starts, e.to) ?? text.length;
      return text.slice(0, to) + (block.endsWith('\n') ? block : block + '\n') + text.slice(to);
    }
    case 'delete-entry': {
      const starts = entryStarts(text);
      const i = Math.min(starts.length - 1, Math.floor(e.at * starts.length));
      if (i < 0) return text;
      return text.slice(0, starts[i]) + text.slice(starts[i + 1] ?? text.length);
    }
    case 'type-value': {
      // after `key: ` inside an entry: the common keystroke
      const re = /^ {4,}[a-z_]+: "?/gm;
      const spots = [...text.matchAll(re)].map((m) => m.index! + m[0].length);
      const a = pick(spots, e.at) ?? at(e.at);
      return text.slice(0, a) + e.text + text.slice(a);
    }
  }
}

// async, yielding after each edit: a long synchronous property would starve vitest's worker RPC
async function run(start: string, edits: Edit[], stats: { incremental: number; total: number }): Promise<void> {
  let text = start;
  let prev: CheckResult = checkText(text, { now: NOW });
  for (const e of edits) {
    text = apply(text, e);
    const inc = checkIncremental(prev, text, { now: NOW });
    const full = checkText(text, { now: NOW });
    stats.total++;
    if (inc.incremental) {
      stats.incremental++;
      expect(ranges(inc.parsed.doc)).toEqual(ranges(full.parsed.doc));
      expect(inc.parsed.value).toEqual(full.parsed.value);
    }
    expect(view(inc)).toEqual(view(full));
    expect(inc.internalErrors).toEqual(full.internalErrors);
    prev = inc;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('incremental check = check from scratch', () => {
  it('typing in a job description re-parses one entry', () => {
    const at = big.indexOf('  job-7:\n    description: "') + '  job-7:\n    description: "'.length;
    const text = big.slice(0, at) + 'x' + big.slice(at);
    const inc = checkIncremental(checkText(big, { now: NOW }), text, { now: NOW });
    expect(inc.incremental).toBe(true);
    expect(view(inc)).toEqual(view(checkText(text, { now: NOW })));
  });

  // most sequences break the YAML at some point (every later check is then a full one)
  const onExamples = { incremental: 0, total: 0 };
  for (const ex of examples) {
    it(`random edit sequences on ${ex.name}`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 8 }), (edits) => run(ex.text, edits, onExamples)),
        { numRuns: Number(process.env.INCREMENTAL_RUNS ?? 15) },
      );
    }, 300_000);
  }

  it('re-parsed one entry in a share of the edits on the examples', () => {
    expect(onExamples.incremental).toBeGreaterThan(onExamples.total / 25);
  });

  it('random edit sequences on the 200-job benchmark plan', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(editArb, { minLength: 1, maxLength: 5 }), (edits) =>
        run(big, edits, { incremental: 0, total: 0 }),
      ),
      { numRuns: 6 },
    );
  }, 120_000);

  it('random typing on the 200-job benchmark plan, mostly one entry re-parsed', async () => {
    const stats = { incremental: 0, total: 0 };
    const typing: fc.Arbitrary<Edit> = fc.oneof(
      fc.record({
        kind: fc.constant('type-value' as const),
        at: fc.noBias(frac),
        text: fc.constantFrom('x', '1', ' ', 'd', 'h', '0', ', '),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        at: fc.noBias(frac),
        length: fc.constant(1),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(typing, { minLength: 1, maxLength: 5 }), (edits) => run(big, edits, stats)),
      // a fixed seed: the share below depends on where the first YAML-breaking key falls (every later check
      // of that sequence is a full one), which a random seed made flaky (5 of 15 seen in CI)
      { numRuns: 6, seed: 20261207 },
    );
    expect(stats.incremental).toBeGreaterThan(stats.total / 3);
  }, 120_000);
});
