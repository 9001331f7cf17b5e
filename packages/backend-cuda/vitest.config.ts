import { configDefaults, defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

// *.race.test.ts run under test:race (scripts/test-race.mjs), on the race check build.
const raceCheck = process.env.MYELIN_CUDA_RACECHECK === '1';
const base = myelinTestConfig('@myelin/backend-cuda', {
  exclude: raceCheck ? configDefaults.exclude : [...configDefaults.exclude, 'src/**/*.race.test.ts'],
});
export default defineProject(base);
