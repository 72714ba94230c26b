// Integration tests need real tools. Missing tools skip on a laptop, but fail in CI, where
// BACKPLAN_REQUIRE_INTEGRATION=1: a skipped test is not a passing test.
import { execFileSync } from 'node:child_process';

export const REQUIRE_INTEGRATION = process.env.BACKPLAN_REQUIRE_INTEGRATION === '1';

export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v "$1"', 'sh', name], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when every tool is present. When one is missing: throws in CI, otherwise
 * prints why and returns false so the caller can `describe.skipIf(!ok)`.
 */
export function requireTools(...names: string[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const why = `missing tool(s): ${missing.join(', ')} (run scripts/install-test-deps.sh)`;
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why}`);
  console.warn(`skipping: ${why}`);
  return false;
}

/**
 * True when this process runs as root. When not: throws in CI (the test's subject needs root:
 * mounts, loop devices, daemons), otherwise prints `why` and returns false.
 */
export function requireRoot(why: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (REQUIRE_INTEGRATION) throw new Error(`BACKPLAN_REQUIRE_INTEGRATION=1 but ${why} need root`);
  console.warn(`skipping: ${why} need root`);
  return false;
}
