import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

const base = myelinTestConfig('@myelin/backend-wasm');
export default defineProject({ test: { ...base.test, exclude: ['src/**/*.browser.test.ts', 'node_modules/**'] } });
