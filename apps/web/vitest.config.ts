// Unit tests (src/**/*.test.ts) run in Node; end-to-end tests (test/*.e2e.test.ts) drive
// Debian's Chromium against the built page in dist/ (`pnpm build` first; turbo's test task
// depends on build). Files run one at a time: two browsers on two cores would skew the timings.
import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

const base = myelinTestConfig('@myelin/web');
export default defineProject({
  test: {
    ...base.test,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
