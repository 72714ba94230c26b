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

# Each suite ends with a plain `N passed, M failed` line, alone on its line, computed from vitest's JSON report
# (scripts/test-summary.mjs); a suite that ran no test fails. Both suites run even when the first
# fails, so one run shows everything; the exit status is the worst of the two.
REPORTS=test-results
mkdir -p "$REPORTS"
rm -f "$REPORTS/unit.json" "$REPORTS/e2e.json"   # a stale report must not stand in for a crashed run
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$REPORTS/unit.json" || true
node scripts/test-summary.mjs unit "$REPORTS/unit.json" || status=1

bash scripts/install-e2e-tools.sh
# The real-VS-Code suite (test/e2e, its own vitest config), after packaging the VSIX it installs.
npm run package
npx vitest run --config test/e2e/vitest.config.ts --reporter=default --reporter=json \
  --outputFile.json="$REPORTS/e2e.json" || true
node scripts/test-summary.mjs e2e "$REPORTS/e2e.json" || status=1
exit "$status"
