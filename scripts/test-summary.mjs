#!/usr/bin/env node
// Ends one test suite's output with the plain line `N passed, M failed`, alone on its line and
// last (the landing reads it; vitest's own coloured summary is not recognised as a test
// runner's). Before it: the broken files and skipped tests by name, and a `SUITE suite:` line.
// Counts come from the JSON report vitest wrote (`--reporter=json --outputFile.json=FILE`).
// Exit status: 1 when a test failed, when a file failed to load, when the suite ran no test, or
// when the report is missing or unreadable (a crashed run must not look green); in CI
// (BACKPLAN_REQUIRE_INTEGRATION=1) also when a test was skipped.
import { readFileSync } from 'node:fs';

const [suite, file] = process.argv.slice(2);
if (!suite || !file) {
  console.error('usage: test-summary.mjs SUITE REPORT.json');
  process.exit(2);
}

/** The closing lines: which suite, then the counts alone on the last line. */
function close(passed, failed) {
  console.log(`${suite} suite:`);
  console.log(`${passed} passed, ${failed} failed`);
}

let report;
try {
  report = JSON.parse(readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`${suite}: no readable test report at ${file} (${e.message})`);
  close(0, 1);
  process.exit(1);
}

const passed = report.numPassedTests ?? 0;
// A file that failed to load or whose hooks failed has no failed test in it, but it failed.
const brokenFiles = (report.testResults ?? []).filter(
  (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
);
const failed = (report.numFailedTests ?? 0) + brokenFiles.length;
for (const r of brokenFiles) console.error(`${suite}: ${r.name}: ${r.message || 'failed outside any test'}`);

// In CI a skipped test is not a passing one: every skip is named, and fails the suite.
const skips = (report.testResults ?? []).flatMap((r) =>
  (r.assertionResults ?? [])
    .filter((a) => a.status === 'pending' || a.status === 'skipped' || a.status === 'todo')
    .map((a) => `${r.name}: ${a.fullName ?? a.title}`),
);
for (const s of skips) console.error(`${suite}: skipped: ${s}`);
const strict = process.env.BACKPLAN_REQUIRE_INTEGRATION === '1';
if (skips.length) console.log(`${suite}: ${skips.length} skipped${strict ? ' (BACKPLAN_REQUIRE_INTEGRATION=1: a skip fails the suite)' : ''}`);
if (passed + failed === 0) console.error(`${suite}: no test ran`);
close(passed, failed);
process.exit(failed > 0 || passed + failed === 0 || (strict && skips.length > 0) ? 1 : 0);
