import { getBackend, registeredBackends } from '@myelin/core';
import { expect, it } from 'vitest';
import { CPU_REFERENCE_BACKEND_NAME, createCpuReferenceBackend } from './index.js';

it('importing the package registers cpu-reference as the default backend', () => {
  expect(CPU_REFERENCE_BACKEND_NAME).toBe('cpu-reference');
  expect(registeredBackends()).toContain('cpu-reference');
  expect(getBackend().name).toBe('cpu-reference');
  expect(createCpuReferenceBackend().name).toBe('cpu-reference');
});
