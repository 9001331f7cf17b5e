// The fused Adam/AdamW step as WGSL compute shaders run by tfjs-backend-webgpu: three dispatches
// (m, v, param) instead of the thirteen elementwise kernels of the composed step. Each shader
// follows the composed formula's operation order (core's composedAdamUpdate), in float32:
//   g = grad + weightDecay * param | p = param * (1 - lr * weightDecay)   (Adam | AdamW)
//   m = beta1 * m + (1 - beta1) * g;  v = beta2 * v + (1 - beta2) * g * g
//   param = p - (m / (sqrt(v) / sqrt(1 - beta2^t) + eps)) * lr / (1 - beta1^t)
import type { AdamUpdateOptions } from '@myelin/core/backend';
import { flatProgram, type WebGpuProgram, type WebGpuProgramRunner } from './webgpu-program.js';

/** Which of the three results a dispatch writes. */
type AdamOutput = 'm' | 'v' | 'param';

const UNIFORMS =
  'beta1 : f32, oneMinusBeta1 : f32, beta2 : f32, oneMinusBeta2 : f32, eps : f32, weightDecay : f32, decayFactor : f32, stepSize : f32, biasCorrection2Sqrt : f32,';

function adamProgram(
  shape: readonly number[],
  output: AdamOutput,
  gradientDecay: boolean,
  weightDecay: boolean,
): WebGpuProgram {
  const gradient = gradientDecay ? 'g = g + param * uniforms.weightDecay;' : '';
  const decayed = weightDecay ? 'let p = param * uniforms.decayFactor;' : 'let p = param;';
  const result: Record<AdamOutput, string> = {
    m: 'm',
    v: 'v',
    param: 'p - (m / (sqrt(v) / uniforms.biasCorrection2Sqrt + uniforms.eps)) * uniforms.stepSize',
  };
  return flatProgram(
    `myelin_adam_${output}_${gradientDecay}_${weightDecay}`,
    ['P', 'G', 'M', 'V'],
    shape,
    UNIFORMS,
    `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let param = getPByOutputIndex(index);
          var g = getGByOutputIndex(index);
          ${gradient}
          ${decayed}
          let m = getMByOutputIndex(index) * uniforms.beta1 + g * uniforms.oneMinusBeta1;
          let v = getVByOutputIndex(index) * uniforms.beta2 + (g * g) * uniforms.oneMinusBeta2;
          setOutputAtIndex(index, ${result[output]});
        }
      }
    `,
  );
}

/**
 * Runs the three shaders; returns tfjs TensorInfos (the caller wraps and tracks them). `inputs`
 * are the param, grad, m and v tensors, all float32 of `shape`.
 */
export function runAdamShaders(
  runner: WebGpuProgramRunner,
  inputs: readonly unknown[],
  shape: readonly number[],
  options: AdamUpdateOptions,
): Record<AdamOutput, unknown> {
  const { lr, beta1, beta2, eps, weightDecay, step } = options;
  const gradientDecay = weightDecay !== 0 && !options.decoupledWeightDecay;
  const decoupled = weightDecay !== 0 && options.decoupledWeightDecay;
  // Host scalars as in core: lr / (1 - beta1^t) and sqrt(1 - beta2^t), rounded to float32 on upload.
  const values = [
    beta1,
    1 - beta1,
    beta2,
    1 - beta2,
    eps,
    weightDecay,
    1 - lr * weightDecay,
    lr / (1 - beta1 ** step),
    Math.sqrt(1 - beta2 ** step),
  ];
  const uniforms = values.map((value) => ({ type: 'float32' as const, data: [value] }));
  const run = (output: AdamOutput) =>
    runner.runWebGPUProgram(adamProgram(shape, output, gradientDecay, decoupled), [...inputs], 'float32', uniforms);
  return { m: run('m'), v: run('v'), param: run('param') };
}
