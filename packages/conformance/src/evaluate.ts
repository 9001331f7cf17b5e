import { fromHost, noGrad, tidy, type Backend, type DType, type Tensor, type TypedArray } from '@myelin/core';
import type { OpCase } from './cases/types.js';
import { makeInputs, outputWeights } from './inputs.js';

export interface ForwardResult {
  shape: readonly number[];
  dtype: DType;
  values: TypedArray;
}

/** Runs a case's program without gradients and reads the output back. */
export async function runForward(
  testCase: OpCase,
  values: Float64Array[],
  backend: Backend,
  floatDtype: DType,
): Promise<ForwardResult> {
  const inputs = makeInputs(testCase, values, backend, floatDtype, false);
  try {
    const output = noGrad(() => tidy(() => testCase.run(inputs, backend)));
    try {
      return { shape: output.shape, dtype: output.dtype, values: await output.data() };
    } finally {
      output.dispose();
    }
  } finally {
    for (const input of inputs) input.dispose();
  }
}

export interface GradientResult {
  /** Gradient of sum(output * weights) for each input; null where the input takes none. */
  grads: (TypedArray | null)[];
}

/** Runs a case with gradients and reads back each input's gradient of a weighted-sum loss. */
export async function runGradients(
  testCase: OpCase,
  values: Float64Array[],
  backend: Backend,
  floatDtype: DType,
): Promise<GradientResult> {
  const inputs = makeInputs(testCase, values, backend, floatDtype, true);
  try {
    tidy(() => {
      const output = testCase.run(inputs, backend);
      if (!output.requiresGrad) return;
      const weights = fromHost(outputWeights(testCase, output.size), output.shape, { dtype: output.dtype, backend });
      output.mul(weights).sum().backward();
    });
    const grads = await Promise.all(
      inputs.map((input) => (input.requiresGrad && input.grad ? input.grad.data() : Promise.resolve(null))),
    );
    return { grads };
  } finally {
    for (const input of inputs) input.dispose();
  }
}

/** The weighted-sum loss at given input values, in float64 (for finite differences). */
function lossAt(testCase: OpCase, values: Float64Array[], backend: Backend, weights: Float64Array): number {
  const inputs = makeInputs(testCase, values, backend, 'float64', false);
  try {
    const loss: Tensor = noGrad(() =>
      tidy(() => {
        const output = testCase.run(inputs, backend);
        return output.mul(fromHost(weights, output.shape, { dtype: 'float64', backend })).sum();
      }),
    );
    const value = loss.dataSync()[0]!;
    loss.dispose();
    return value;
  } finally {
    for (const input of inputs) input.dispose();
  }
}

/** Central finite differences of the weighted-sum loss for every gradient-taking input. */
export function finiteDifferenceGradients(
  testCase: OpCase,
  values: Float64Array[],
  backend: Backend,
  epsilon: number,
): (Float64Array | null)[] {
  const probe = makeInputs(testCase, values, backend, 'float64', false);
  const outputSize = noGrad(() => {
    const output = tidy(() => testCase.run(probe, backend));
    const size = output.size;
    output.dispose();
    return size;
  });
  for (const input of probe) input.dispose();
  const weights = outputWeights(testCase, outputSize);
  return testCase.inputs.map((spec, i) => {
    if ((spec.dtype ?? 'float32') !== 'float32' || spec.grad === false) return null;
    const gradient = new Float64Array(values[i]!.length);
    for (let j = 0; j < gradient.length; j++) {
      const shifted = values.map((v) => Float64Array.from(v));
      shifted[i]![j] = values[i]![j]! + epsilon;
      const plus = lossAt(testCase, shifted, backend, weights);
      shifted[i]![j] = values[i]![j]! - epsilon;
      const minus = lossAt(testCase, shifted, backend, weights);
      gradient[j] = (plus - minus) / (2 * epsilon);
    }
    return gradient;
  });
}
