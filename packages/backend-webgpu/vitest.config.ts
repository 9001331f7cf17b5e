import { defineProject } from 'vitest/config';
import { myelinTestConfig } from '@myelin/vitest-preset';

// Node: Dawn from the `webgpu` package. Mesa's EGL reads EGL_PLATFORM when Dawn starts; it is
// set here as well as in dawn.ts so that every pool (threads too) sees it.
process.env.EGL_PLATFORM ??= 'surfaceless';

const base = myelinTestConfig('@myelin/backend-webgpu');
export default defineProject({ test: { ...base.test, exclude: ['src/**/*.browser.test.ts', 'node_modules/**'] } });
