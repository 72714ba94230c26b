// Every quick fix of the rules that write plan text (issue #13) on the example plans, as written and
// broken in the ways those fixes repair (accepts removed, so accepted findings offer fixes again):
// the result parses and fits the schema, has one finding fewer with that message, and no rule
// reports more errors than before.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMap, parseDocument } from 'yaml';
import { checkText } from '../../../engine/check';
import type { Finding, Fix } from '../../../engine/findings';

const NOW = Date.parse('2026-03-28T12:00:00Z');
const DIR = join(__dirname, '../../../examples');
const RULES = [
  'no-restore-test',
  'job-not-runnable',
  'secret-inline',
  'unknown-reference',
  'coverage-3-2-1',
  'expiry-gap',
  'replication-base-at-risk',
];

const apply = (text: string, fix: Fix) =>
  [...fix.edits]
    .sort((a, b) => b.range.start - a.range.start)
    .reduce((t, e) => t.slice(0, e.range.start) + e.newText + t.slice(e.range.end), text);

/** The plan without its accepts (keys and comments). */
function unaccepted(text: string): string {
  const doc = parseDocument(text, { merge: true });
  for (const section of ['hosts', 'storage', 'policies', 'jobs']) {
    const map = doc.get(section, true);
    if (!isMap(map)) continue;
    for (const p of map.items) if (isMap(p.value)) p.value.delete('accept');
  }
  return doc.toString().replace(/^\s*# backplan: accept .*\n/gm, '');
}

const errorsOf = (fs: Finding[], rule: string) => fs.filter((f) => f.severity === 'error' && f.rule === rule).length;
const at = (text: string, f: Finding) => text.slice(0, f.range.start).split('\n').length;

/** Ways to break a plan that the fixes should repair; each keeps it readable YAML. */
const MUTATIONS: Record<string, (t: string) => string> = {
  'as written': (t) => t,
  'no verify': (t) => t.replace(/^\s+verify: \{.*\}.*\n/gm, ''),
  'no password': (t) => t.replace(/^\s+password_(env|file): .*\n/gm, ''),
  'inline secrets': (t) => t.replace(/^(\s+)password_env: \S+/gm, '$1password: hunter2'),
  'unknown references': (t) => t.replace(/^(\s+)(to|storage|host|retention): ([a-z][\w.-]*)\s*$/gm, '$1$2: $3-new'),
  'short expiry': (t) => t.replace(/\bexpiry: \w+/g, 'expiry: 1h'),
};

describe('quick fixes on the examples', () => {
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.yaml'))) {
    it(file, () => {
      const raw = readFileSync(join(DIR, file), 'utf8');
      // as the file is written (its flow mappings on one line), and without its accepts
      const bases = [raw, unaccepted(raw)];
      let tried = 0;
      for (const [how, mutate] of bases.flatMap((b) =>
        Object.entries(MUTATIONS).map(([h, m]) => [h, () => m(b)] as const),
      )) {
        const text = mutate();
        const before = checkText(text, { now: NOW }).findings;
        if (before.some((f) => f.rule === 'yaml-syntax')) continue;
        for (const f of before.filter((x) => RULES.includes(x.rule) && x.fixes?.length)) {
          for (const fix of f.fixes!) {
            tried++;
            const out = apply(text, fix);
            const what = `${how}, ${f.rule} at line ${at(text, f)}: ${fix.title}`;
            const after = checkText(out, { now: NOW }).findings;
            expect(
              after.filter((x) => x.rule === 'yaml-syntax' || x.rule === 'schema'),
              what,
            ).toEqual([]);
            // no rule has more errors than before (their messages may change: "did you mean" lists grow)
            const more = [...new Set(after.map((x) => x.rule))].filter((r) => errorsOf(after, r) > errorsOf(before, r));
            expect(more, what).toEqual([]);
            // one finding fewer with that message (several jobs may share one: two jobs on one storage)
            const same = (fs: Finding[]) => fs.filter((x) => x.rule === f.rule && x.message === f.message).length;
            expect(same(after), what).toBeLessThan(same(before));
          }
        }
      }
      expect(tried).toBeGreaterThan(0);
    });
  }
});
