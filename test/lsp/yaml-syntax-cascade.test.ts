// One unclosed bracket typed into the 200-job plan: the editor gets one yaml-syntax diagnostic at
// the bracket (with where YAML gave up as related information), not the library's thousands, and
// the diagnostics of the fixed text come back in full.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error a plain ES module of the benchmarks
import { generatePlan } from '../../bench/gen-plan.mjs';
import { LspClient, positionOf, RICH_CAPABILITIES } from './harness';

let client: LspClient;
beforeAll(async () => {
  client = await LspClient.start({ capabilities: RICH_CAPABILITIES });
}, 120_000);
afterAll(async () => {
  await client?.stop();
});

describe('yaml-syntax cascade in the editor', () => {
  it('an unclosed `{` in the 200-job plan publishes a handful of diagnostics, the first at the bracket', async () => {
    const plan: string = generatePlan(200);
    const uri = 'file:///fleet/cascade.backplan.yaml';
    await client.open(uri, plan);
    const clean = await client.diagnosticsFor(uri, 1, 30_000);
    expect(clean.some((d) => d.code === 'yaml-syntax')).toBe(false);

    // `  pool-0: { ... }` becomes `  pool-0: { ... }{`: the yaml library reports over 8,000 errors
    const at = positionOf(plan, '}\n  pool-1:', 1);
    await client.change(uri, 2, [{ range: { start: at, end: at }, text: '{' }]);
    const broken = await client.diagnosticsFor(uri, 2, 30_000);
    const syntax = broken.filter((d) => d.code === 'yaml-syntax');
    expect(broken.length).toBeLessThanOrEqual(3);
    expect(syntax).toHaveLength(1);
    expect(syntax[0].range.start).toEqual(at);
    expect(syntax[0].message).toMatch(/^this .\{. is never closed/);
    expect(syntax[0].relatedInformation?.[0].message).toBe('YAML gave up here');
    expect(syntax[0].relatedInformation![0].location.range.start.line).toBe(at.line + 1);

    // removing it gives the full diagnostics again
    await client.change(uri, 3, [{ range: { start: at, end: { ...at, character: at.character + 1 } }, text: '' }]);
    const fixed = await client.diagnosticsFor(uri, 3, 30_000);
    expect(fixed.length).toBe(clean.length);
  }, 120_000);
});
