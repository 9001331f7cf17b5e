import { expect } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import type { Backend } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';

/** Asserts a tensor's shape and that its values match `expected` (flat, row-major) to float32 precision. */
export async function expectValues(
  t: Tensor,
  shape: readonly number[],
  expected: readonly number[],
  tolerance = 2e-6,
): Promise<void> {
  expect(t.shape).toEqual(shape);
  const values = Array.from(await t.data());
  expect(values.length).toBe(expected.length);
  values.forEach((value, i) => {
    const allowed = tolerance * Math.max(1, Math.abs(expected[i]!));
    if (!(Math.abs(value - expected[i]!) <= allowed)) {
      expect.fail(`element ${i}: got ${value}, expected ${expected[i]} (tolerance ${allowed})`);
    }
  });
}

/** Asserts every value is finite (no NaN, no Infinity). */
export async function expectFinite(t: Tensor): Promise<void> {
  const values = Array.from(await t.data());
  expect(
    values.filter((v) => !Number.isFinite(v)),
    `non-finite values in ${values.join(', ')}`,
  ).toEqual([]);
}

/** cpu-reference without synchronous reads: stands in for a GPU backend, where host-side checks are skipped. */
export function asyncOnlyBackend(): Backend {
  const backend = createCpuReferenceBackend();
  return new Proxy(backend, {
    get(target, property) {
      if (property === 'readSync') return undefined;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
