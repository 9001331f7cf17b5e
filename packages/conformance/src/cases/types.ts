import type { Backend, DType, PrimitiveOp, Tensor } from '@myelin/core';

/** How to make one input of a case: seeded values of a shape, or fixed values. */
export interface InputSpec {
  shape: number[];
  /** float32 by default (the float inputs run as float64 for finite differences). */
  dtype?: DType;
  /** Uniform range for floats, [low, high) for integers. Default [-2, 2). */
  low?: number;
  high?: number;
  /** Integer-valued floats (to provoke ties in comparisons and max). */
  integral?: boolean;
  /** Fixed values instead of random ones. */
  values?: number[];
  /** Whether a gradient is checked for this input (float inputs only; default true). */
  grad?: boolean;
}

/** One conformance case: inputs, a program over core ops, and which primitives it exercises. */
export interface OpCase {
  name: string;
  /** The primitives this case runs; the meta-test checks every primitive is covered. */
  covers: PrimitiveOp[];
  inputs: InputSpec[];
  /** The program under test; `backend` is where its inputs live (for constants it makes). */
  run: (inputs: Tensor[], backend: Backend) => Tensor;
  /** Check gradients of float inputs (default true when the output is float). */
  grad?: boolean;
  /**
   * Skip the finite-difference check (e.g. the function has kinks near the sampled points,
   * where a central difference is not the derivative). The reason is required.
   */
  noFiniteDifferences?: string;
}
