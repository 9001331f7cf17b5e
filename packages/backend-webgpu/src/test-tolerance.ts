import type { Tolerance } from '@myelin/conformance';

/** GPU float32 math (exp, log, tanh, reductions in another order) against cpu-reference. */
export const WEBGPU_TOLERANCE: { forward: Tolerance; gradient: Tolerance; training: Tolerance } = {
  forward: { atol: 1e-5, rtol: 1e-5 },
  gradient: { atol: 1e-4, rtol: 1e-4 },
  training: { atol: 1e-4, rtol: 1e-4 },
};
