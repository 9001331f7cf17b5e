// The backward of y = activation(z + bias) as one WGSL program run by tfjs-backend-webgpu:
// dz = grad * activation'(y), written with y as core's composed rules are, where the composed
// path records a comparison, a filled zero, its broadcast and a select for ReLU (a product or
// two for sigmoid and tanh). The bias gradient, dz's sum over rows, is tfjs's reduction.
//   relu:    0 where y <= 0, else grad (so a NaN y passes grad through)
//   sigmoid: grad * (y * (1 - y))
//   tanh:    grad * (1 - y * y)
import type { ClassicFusedActivation } from '@myelin/core/backend';
import { flatProgram, type WebGpuProgramRunner } from './webgpu-program.js';

const DERIVATIVE: Record<Exclude<ClassicFusedActivation, 'linear'>, string> = {
  relu: 'select(G[index], 0.0, Y[index] <= 0.0)',
  sigmoid: 'G[index] * (Y[index] * (1.0 - Y[index]))',
  tanh: 'G[index] * (1.0 - Y[index] * Y[index])',
};

/**
 * Runs the program for float32 `grad` and `y` of one shape (tfjs tensors, `size` elements > 0);
 * returns dz as a tfjs TensorInfo of `shape` (the caller wraps and tracks it).
 */
export function runActivationBackwardShader(
  runner: WebGpuProgramRunner,
  grad: unknown,
  y: unknown,
  shape: readonly number[],
  activation: Exclude<ClassicFusedActivation, 'linear'>,
): unknown {
  const program = flatProgram(
    `myelin_activation_backward_${activation}`,
    ['G', 'Y'],
    shape,
    '',
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, ${DERIVATIVE[activation]});
        }
      }
    `,
  );
  return runner.runWebGPUProgram(program, [grad, y], 'float32', []);
}
