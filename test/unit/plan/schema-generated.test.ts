// The standalone validator is generated from the schema; it must never drift from it.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_KEYWORDS } from '../../../engine/plan/schema';
import { ROOT } from '../../helpers/cli';

describe('generated schema validator', () => {
  it('is up to date with schemas/backplan.schema.json (run node scripts/gen-schema-validator.mjs)', async () => {
    const gen = await import(join(ROOT, 'scripts/gen-schema-validator.mjs'));
    expect(readFileSync(join(ROOT, 'engine/plan/generated/schema-validator.cjs'), 'utf8')).toBe(gen.generate());
    expect([...ANNOTATION_KEYWORDS]).toEqual(gen.ANNOTATION_KEYWORDS);
  });
});
