// House rule: no import cycles in the engine and its faces. madge builds the module graph of
// engine/, cli/, server/ and client/ with its TypeScript detective (type-only imports count: a
// cycle through a type still ties two modules together) and lists every cycle it finds.
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

interface MadgeResult {
  obj(): Record<string, string[]>;
  circular(): string[][];
  warnings(): { skipped: string[] };
}
type Madge = (paths: string[], config: Record<string, unknown>) => Promise<MadgeResult>;

// madge has no type declarations of its own: loaded through require, typed here.
const madge = createRequire(import.meta.url)('madge') as Madge;
const root = resolve(__dirname, '../../..');

describe('import cycles', () => {
  it('engine/, cli/, server/ and client/ import no module that imports them back', async () => {
    const graph = await madge(['engine', 'cli', 'server', 'client'], {
      baseDir: root,
      fileExtensions: ['ts'],
      tsConfig: resolve(root, 'tsconfig.json'),
      detectiveOptions: { ts: { skipTypeImports: false, skipAsyncImports: false } },
    });
    const modules = graph.obj();
    // The TypeScript files were really read and their imports followed, not just listed.
    expect(Object.keys(modules).length).toBeGreaterThan(200);
    expect(modules['engine/run/ops/run-plan.ts']).toContain('engine/run/exec/execute.ts');
    expect(graph.warnings().skipped).toEqual([]);
    const cycles = graph.circular().map((c) => [...c, c[0]].join(' -> '));
    expect(cycles, `import cycles:\n${cycles.join('\n')}`).toEqual([]);
  }, 180_000);
});
