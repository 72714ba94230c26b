// Found by bench/soak.mjs: a flow collection used as a mapping key made the YAML library call
// process.emitWarning on every parse, which the language server forwards to the client as an error.
import { afterEach, describe, expect, it } from 'vitest';
import { parsePlan } from '../../../engine/plan/parse';

describe('parsePlan and process warnings', () => {
  const seen: string[] = [];
  const listener = (w: Error) => seen.push(w.message);
  afterEach(() => {
    process.off('warning', listener);
  });

  it('a collection as a key emits no process warning', async () => {
    process.on('warning', listener);
    const p = parsePlan('version: 1\njobs:\n  [a, b]: x\nhosts: { [h]: 1 }\n');
    expect(p.value).toBeDefined();
    // warnings are emitted on the next tick
    await new Promise((r) => setImmediate(r));
    expect(seen).toEqual([]);
  });
});
