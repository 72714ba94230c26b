// docs/reference is generated (scripts/gen-docs.mjs) from the schema and the rule table: the
// committed pages must be what the generator writes today, and every rule's example must still
// fire that rule, so the pages cannot drift from the engine or lie about it.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RULES } from '../../../engine/checks';
import { RULE_DOCS } from '../../../engine/checks/docs';
import { RULE_IDS } from '../../../engine/findings';
import { propertiesAt } from '../../../engine/plan/schema';
import { REFERENCE_DIR, referenceFiles, rulePage, runExample } from '../../../scripts/docs/reference';
import { ROOT } from '../../helpers/cli';

const dir = join(ROOT, REFERENCE_DIR);
const onDisk = (d: string): string[] =>
  readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? onDisk(join(d, e.name)) : [relative(dir, join(d, e.name))],
  );

describe('reference docs', () => {
  const files = referenceFiles();

  it('are up to date with the schema and the rules (run node scripts/gen-docs.mjs)', () => {
    expect(onDisk(dir).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(dir, name), 'utf8'), name).toBe(text);
  });

  it('give every heading of a page its own anchor, and every link inside a page a heading', () => {
    const slug = (h: string) =>
      h
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .trim()
        .replace(/\s/g, '-');
    for (const [name, text] of Object.entries(files)) {
      const anchors = [...text.matchAll(/^#+ (.+)$/gm)].map((m) => slug(m[1]));
      expect(new Set(anchors).size, name).toBe(anchors.length);
      for (const m of text.matchAll(/\]\(#([^)]+)\)/g)) expect(anchors, `${name} links #${m[1]}`).toContain(m[1]);
    }
  });

  it('have a page for every rule id, linked from the rules index', () => {
    expect(RULES.map((r) => r.id).sort()).toEqual([...RULE_IDS].sort());
    for (const id of RULE_IDS) {
      expect(files[rulePage(id)], id).toContain(`# \`${id}\``);
      expect(files['rules.md']).toContain(`](${rulePage(id)})`);
    }
  });

  it.each([...RULE_IDS])('the example of %s fires it, and the page quotes what it says', (id) => {
    const fired = runExample(RULE_DOCS[id]).filter((f) => f.rule === id);
    expect(fired.length, `${id} does not fire on its documented example`).toBeGreaterThan(0);
    for (const f of fired) expect(files[rulePage(id)]).toContain(f.message.replace(/\n+/g, ' '));
  });

  it('document every top-level key and every field of a job kind, with a type and an example', () => {
    const plan = files['plan.md'];
    for (const p of propertiesAt([])) expect(plan).toContain(`\`${p.name}\``);
    const jobs = files['jobs.md'];
    for (const p of propertiesAt(['jobs', 'x'], { jobs: { x: { kind: 'restic' } } })) {
      if (p.deprecated || p.valueType === 'secret-inline') continue;
      const at = jobs.indexOf(`### \`jobs.NAME.${p.name}\``);
      expect(at, p.name).toBeGreaterThan(-1);
      const section = jobs.slice(at, jobs.indexOf('\n### ', at + 1));
      expect(section, p.name).toMatch(/- Type: \S/);
      expect(section, p.name).toContain('Example:');
    }
  });
});
