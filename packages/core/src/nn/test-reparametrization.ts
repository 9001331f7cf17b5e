// Shared by the reparametrization tests (weight-norm.test.ts, parametrize.test.ts).
import { tensor, tidy, type Module, type NestedArray, type Tensor } from '@myelin/core';

/** A float64 tensor of fixture values. */
export const f64 = (values: unknown): Tensor => tensor(values as NestedArray, { dtype: 'float64' });

/** sum(module(input) * weights), backpropagated; returns the output. */
export function runBackward(module: Module, input: unknown, weights: unknown): Tensor {
  return tidy(() => {
    const output = module.forward(f64(input));
    output.mul(f64(weights)).sum().backward();
    return output;
  });
}
