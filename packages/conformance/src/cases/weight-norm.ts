import { Generator, Module, fromHost, linear, noGrad, spectralNorm, weightNorm, type Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

// weightNorm and spectralNorm on a linear layer (their values and gradients against PyTorch are
// core's weight-norm tests): the weight is recomputed from g and v (or from the weight and the
// power iteration's u, v) by a forward pre-hook, from primitives, so every backend runs it here.

/** A Linear whose weight and bias are the case's inputs, so their gradients are checked. */
class InputLinear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  constructor(weight: Tensor, bias: Tensor) {
    super();
    this.weight = this.registerParameter('weight', weight);
    this.bias = this.registerParameter('bias', bias);
  }
  forward(input: Tensor): Tensor {
    return linear(input, this.weight, this.bias);
  }
}

/**
 * weightNorm with g set to fixed values: g starts as ||v||, which the finite differences would
 * recompute from each shifted v (the weight would then be v itself).
 */
function weightNormFixedG(module: Module, dim: number | null): Module {
  weightNorm(module, { dim });
  const g = module.getParameter('weight_g');
  const values = Array.from({ length: g.size }, (_, i) => 0.75 + 0.5 * i);
  noGrad(() => g.assign(fromHost(values, g.shape, { dtype: g.dtype, backend: g.backend })));
  return module;
}

/** The output, owning the tensors the reparametrization added (the harness disposes the output). */
function forwardOwning(module: Module, input: Tensor, added: string[]): Tensor {
  const output = module.forward(input);
  for (const name of added) output.adoptConstant(module.stateDict()[name]!);
  return output;
}

export const weightNormCases: OpCase[] = [
  {
    name: 'weightNorm on a Linear (dim 0): g * v / ||v|| before the forward, gradients to x, v and the bias',
    covers: ['matmul', 'mul', 'div', 'sum', 'where'],
    inputs: [{ shape: [3, 4] }, { shape: [2, 4], low: 0.5, high: 2 }, { shape: [2] }],
    run: ([x, v, b]) => forwardOwning(weightNormFixedG(new InputLinear(v!, b!), 0), x!, ['weight_g']),
  },
  {
    name: 'weightNorm over the whole weight (dim null)',
    covers: ['matmul', 'mul', 'div', 'sum'],
    inputs: [{ shape: [2, 3] }, { shape: [4, 3], low: 0.5, high: 2 }, { shape: [4] }],
    run: ([x, v, b]) => forwardOwning(weightNormFixedG(new InputLinear(v!, b!), null), x!, ['weight_g']),
  },
  {
    name: 'spectralNorm on a Linear in eval mode (u, v from a seeded generator), gradients to x, the weight and the bias',
    covers: ['matmul', 'div', 'maximum'],
    inputs: [{ shape: [2, 3] }, { shape: [4, 3] }, { shape: [4] }],
    run: ([x, w, b]) => {
      const module = spectralNorm(new InputLinear(w!, b!), { generator: new Generator(7) }).eval();
      return forwardOwning(module, x!, ['weight_u', 'weight_v']);
    },
  },
  {
    name: 'spectralNorm on a Linear in training mode: two power-iteration steps (without gradient) update u and v before the forward',
    covers: ['matmul', 'div', 'maximum'],
    inputs: [{ shape: [2, 3] }, { shape: [4, 3] }, { shape: [4] }],
    noFiniteDifferences:
      'u and v follow the weight through the power iteration, without gradient as in torch, which finite differences would see (the gradients are checked against cpu-reference here and against torch in core)',
    run: ([x, w, b]) => {
      const module = spectralNorm(new InputLinear(w!, b!), { nPowerIterations: 2, generator: new Generator(7) });
      return forwardOwning(module, x!, ['weight_u', 'weight_v']);
    },
  },
];
