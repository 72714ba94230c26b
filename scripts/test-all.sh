#!/usr/bin/env bash
# Installs what the tests need (npm packages, and the Debian tools of the integration tests
# when this machine can install them) and runs every test. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -x scripts/install-test-deps.sh ] || [ -f scripts/install-test-deps.sh ]; then
  bash scripts/install-test-deps.sh
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build
npm run typecheck
npx vitest run
