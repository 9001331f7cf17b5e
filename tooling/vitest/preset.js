// Shared vitest settings: each package's vitest.config.ts spreads this into defineProject.
// When MYELIN_TEST_REPORT_DIR is set (CI), every package also writes a JSON report there,
// so .ci/run can print one line of totals from the runners' own counts. A second run of the same
// package (the sanitizer builds) sets MYELIN_TEST_REPORT_SUFFIX so its report sits beside the first.
import path from 'node:path';

export function myelinTestConfig(packageName, overrides = {}) {
  const reportDir = process.env.MYELIN_TEST_REPORT_DIR;
  const suffix = process.env.MYELIN_TEST_REPORT_SUFFIX ?? '';
  const reportFile = `${packageName.replace(/[@/]/g, '_')}${suffix}.json`;
  const reporters = reportDir ? ['default', ['json', { outputFile: path.join(reportDir, reportFile) }]] : ['default'];
  return {
    test: {
      include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
      environment: 'node',
      testTimeout: 60_000,
      hookTimeout: 60_000,
      reporters,
      ...overrides,
    },
  };
}
