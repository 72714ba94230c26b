// The vitest config of the mutation run (`npm run mutation`, stryker.config.mjs): only the fast unit
// tests of the mutated modules, no build (none of them runs dist/), so one mutant is tested in
// well under a second. Not used by `npm test`.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/retention/**/*.test.ts',
      'test/unit/coverage/**/*.test.ts',
      'test/unit/checks/coverage-3-2-1.test.ts',
      'test/unit/checks/replication-base-at-risk.test.ts',
      'test/unit/plan/schema-did-you-mean.test.ts',
      'test/unit/plan/did-you-mean.test.ts',
      'test/unit/run/guard*.test.ts',
      'test/unit/run/quote*.test.ts',
      'test/unit/run/prune-*.test.ts',
      'test/unit/run/run-pieces.test.ts',
      'test/unit/run/snapshot-stores.test.ts',
      'test/unit/simulate/source-bases.test.ts',
    ],
    testTimeout: 30_000,
    pool: 'threads',
  },
});
