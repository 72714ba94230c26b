#!/usr/bin/env bash
# Installs what the tests need (npm packages, and the Debian tools of the integration tests
# when this machine can install them) and runs every test. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ] || [ -f scripts/install-test-deps.sh ]; then
  bash scripts/install-test-deps.sh
fi
# `npm install`, not `npm ci`: npm 11 writes lock files without the platform-specific optional
# packages (rollup's, esbuild's) and `npm ci` then refuses them as out of sync. With the lock file
# present, `npm install` installs exactly its versions.
npm install --no-audit --no-fund --loglevel=error
npm run build
npm run typecheck
npx vitest run
bash scripts/install-e2e-tools.sh; npm run test:e2e   # the real-VS-Code suite (test/e2e, its own vitest config)
