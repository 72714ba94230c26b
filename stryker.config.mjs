// Mutation testing (issue #16): `npm run mutation`, or one module at a time with
// `npx stryker run --mutate 'engine/retention/**/*.ts'`. Scores are recorded in bench/README.md.
// Not part of `npm test` or CI: a full run takes tens of minutes on one core.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  mutate: [
    'engine/retention/**/*.ts',
    '!engine/retention/types.ts',
    'engine/run/prune/**/*.ts',
    'engine/run/exec/guard.ts',
    'engine/run/exec/quote.ts',
    'engine/plan/did-you-mean.ts',
    'engine/coverage/**/*.ts',
    'engine/checks/coverage-3-2-1.ts',
  ],
  // the sandbox needs the sources and tests only
  ignorePatterns: ['/dist', '/test/e2e', '/test/integration', '/bench/.cache', '/test-results', '*.vsix', '/.tools'],
  concurrency: 1,
  // Static mutants (module-level constants, tables) would each rerun every test: they take most of
  // the time for little signal, so they are left out of the run (and of the recorded score).
  ignoreStatic: true,
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
