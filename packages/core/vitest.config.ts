import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

// Core's own tests run on cpu-reference. That package depends on core, so core cannot list it
// as a dependency (a cycle); the tests import its source through this alias instead, and the
// alias for '@myelin/core' makes both sides share one copy of core.
const base = myelinTestConfig('@myelin/core');
export default defineProject({
  ...base,
  resolve: {
    alias: {
      // Before '@myelin/core': an alias matches as a prefix, and the first match wins.
      '@myelin/core/backend': fileURLToPath(new URL('./src/backend/index.ts', import.meta.url)),
      '@myelin/core': fileURLToPath(new URL('./src/index.ts', import.meta.url)),
      '@myelin/backend-cpu-reference': fileURLToPath(new URL('../backend-cpu-reference/src/index.ts', import.meta.url)),
    },
  },
});
