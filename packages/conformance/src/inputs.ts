import { Generator, fromHost, type Backend, type DType, type Tensor } from '@myelin/core';
import type { InputSpec, OpCase } from './cases/types.js';

/** A stable seed per case name, so each case draws the same inputs on every backend. */
export function seedFor(name: string): number {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 16777619) >>> 0;
  return hash;
}

/** The host values of each input of a case (float64 so they can become either float dtype). */
export function hostInputs(testCase: OpCase): Float64Array[] {
  const generator = new Generator(seedFor(testCase.name));
  return testCase.inputs.map((spec) => hostValues(spec, generator));
}

function hostValues(spec: InputSpec, generator: Generator): Float64Array {
  const size = spec.shape.reduce((a, b) => a * b, 1);
  if (spec.values) return Float64Array.from(spec.values);
  const low = spec.low ?? -2;
  const high = spec.high ?? 2;
  if (spec.dtype === 'int32' || spec.dtype === 'bool' || spec.integral) {
    return Float64Array.from(generator.integers(size, Math.ceil(low), Math.max(Math.ceil(low) + 1, Math.ceil(high))));
  }
  return generator.uniform(size, low, high);
}

/** Float inputs take `floatDtype` (float64 for finite differences). */
export function inputDtype(spec: InputSpec, floatDtype: DType): DType {
  const dtype = spec.dtype ?? 'float32';
  return dtype === 'float32' ? floatDtype : dtype;
}

export function makeInputs(
  testCase: OpCase,
  values: Float64Array[],
  backend: Backend,
  floatDtype: DType,
  requiresGrad: boolean,
): Tensor[] {
  return testCase.inputs.map((spec, i) => {
    const dtype = inputDtype(spec, floatDtype);
    const wantsGrad = requiresGrad && (dtype === 'float32' || dtype === 'float64') && spec.grad !== false;
    return fromHost(values[i]!, spec.shape, { dtype, backend, requiresGrad: wantsGrad });
  });
}

/** Weights that turn an output into a scalar loss with a non-trivial gradient. */
export function outputWeights(testCase: OpCase, size: number): Float64Array {
  return new Generator(seedFor(`${testCase.name}/weights`)).uniform(size, -1, 1);
}
