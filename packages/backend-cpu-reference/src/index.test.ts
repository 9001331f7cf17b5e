import { getBackend, registeredBackends } from '@myelin/core';
import { expect, it } from 'vitest';
import { CPU_REFERENCE_BACKEND_NAME, createCpuReferenceBackend } from './index.js';

it('importing the package registers cpu-reference as the default backend', () => {
  expect(CPU_REFERENCE_BACKEND_NAME).toBe('cpu-reference');
  expect(registeredBackends()).toContain('cpu-reference');
  expect(getBackend().name).toBe('cpu-reference');
  expect(createCpuReferenceBackend().name).toBe('cpu-reference');
});

it('exports a descriptor that probes usable and registers cpu-reference at its priority', async () => {
  const { descriptor } = await import('./index.js');
  expect(descriptor).toMatchObject({
    name: 'cpu-reference',
    priority: 10,
    packageName: '@myelin/backend-cpu-reference',
  });
  expect(await descriptor.probe()).toMatchObject({ usable: true });
  expect((await descriptor.create()).name).toBe('cpu-reference');
  expect(await descriptor.register()).toBe(getBackend('cpu-reference'));
});
