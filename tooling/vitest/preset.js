// Shared vitest settings: each package's vitest.config.ts spreads this into defineProject.
// When MYELIN_TEST_REPORT_DIR is set (CI), every package also writes a JSON report there,
// so .ci/run can print one line of totals from the runners' own counts.
import path from 'node:path';

export function myelinTestConfig(packageName, overrides = {}) {
  const reportDir = process.env.MYELIN_TEST_REPORT_DIR;
  const reporters = reportDir
    ? ['default', ['json', { outputFile: path.join(reportDir, `${packageName.replace(/[@/]/g, '_')}.json`) }]]
    : ['default'];
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
