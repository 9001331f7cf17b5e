#!/usr/bin/env node
// Sums the vitest JSON reports that each package wrote (MYELIN_TEST_REPORT_DIR) and prints one
// line of totals from the runners' own counts: `N passed, N failed, N skipped`.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const directory = process.argv[2];
if (!directory) {
  console.error('usage: test-totals.mjs <report-directory>');
  process.exit(2);
}
let passed = 0;
let failed = 0;
let skipped = 0;
let files = 0;
for (const name of readdirSync(directory)
  .filter((n) => n.endsWith('.json'))
  .sort()) {
  const report = JSON.parse(readFileSync(path.join(directory, name), 'utf8'));
  passed += report.numPassedTests ?? 0;
  // A test file that fails to load reports no tests: count it as one failure so it cannot vanish.
  const brokenFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && (file.assertionResults ?? []).length === 0,
  ).length;
  failed += (report.numFailedTests ?? 0) + brokenFiles;
  skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  files++;
}
if (files === 0) {
  console.error(`no test reports found in ${directory}`);
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
