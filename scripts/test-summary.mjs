#!/usr/bin/env node
// Prints the closing line of one test suite, `SUITE: N passed, M failed[, K skipped]`, from the
// JSON report vitest wrote (`--reporter=json --outputFile.json=FILE`). The landing reads this
// plain line; vitest's own coloured summary is not recognised as a test runner's.
// Exit status: 1 when a test failed, when a file failed to load, when the suite ran no test, or
// when the report is missing or unreadable (a crashed run must not look green).
import { readFileSync } from 'node:fs';

const [suite, file] = process.argv.slice(2);
if (!suite || !file) {
  console.error('usage: test-summary.mjs SUITE REPORT.json');
  process.exit(2);
}

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.log(`${suite}: 0 passed, 1 failed`);
  console.error(`${suite}: no readable test report at ${file} (${e.message})`);
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
// A file that failed to load or whose hooks failed has no failed test in it, but it failed.
const brokenFiles = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
);
const failed = (report.numFailedTests ?? 0) + brokenFiles.length;

console.log(`${suite}: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
for (const r of brokenFiles) console.error(`${suite}: ${r.name}: ${r.message || 'failed outside any test'}`);
if (passed + failed === 0) {
  console.error(`${suite}: no test ran`);
  process.exit(1);
}
// In CI a skipped test is not a passing one: every skip is named, and fails the suite.
const skips = (report.testResults ?? []).flatMap((r) =>
  (r.assertionResults ?? [])
    .filter((a) => a.status === 'pending' || a.status === 'skipped' || a.status === 'todo')
    .map((a) => `${r.name}: ${a.fullName ?? a.title}`),
);
for (const s of skips) console.error(`${suite}: skipped: ${s}`);
const strict = process.env.BACKPLAN_REQUIRE_INTEGRATION === '1';
if (strict && skips.length) console.error(`${suite}: BACKPLAN_REQUIRE_INTEGRATION=1 and ${skips.length} test(s) skipped`);
process.exit(failed > 0 || (strict && skips.length > 0) ? 1 : 0);
