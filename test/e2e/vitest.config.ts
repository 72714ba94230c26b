// The real-VS-Code suite (code-server + Chromium + Playwright), run by `npm run test:e2e` after
// `npm run package` built the VSIX it installs. One file at a time: each starts its own
// code-server and browser, and the machine has two cores.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
