// The numbers by which Myelin's native addons (backend-cpu, backend-cuda) name dtypes and
// kernels across N-API: each name's position in the contract's lists, so the two addons' C++
// enums and their TypeScript sides cannot drift apart.
import {
  ARITHMETIC_OPS,
  COMPARISON_OPS,
  REDUCE_OPS,
  UNARY_OPS,
  type BinaryOp,
  type DType,
  type FusedActivation,
  type ReduceOp,
  type UnaryOp,
} from './contract.js';

function positions<T extends string>(names: readonly T[]): Readonly<Record<T, number>> {
  return Object.freeze(Object.fromEntries(names.map((name, i) => [name, i])) as Record<T, number>);
}

/** Dtype, op, activation and reduction codes of the native addons' entry points. */
export const NATIVE_CODES: {
  readonly dtype: Readonly<Record<DType, number>>;
  readonly unary: Readonly<Record<UnaryOp, number>>;
  readonly binary: Readonly<Record<BinaryOp, number>>;
  readonly reduce: Readonly<Record<ReduceOp, number>>;
  readonly activation: Readonly<Record<FusedActivation, number>>;
  readonly reduction: Readonly<Record<'none' | 'sum' | 'mean', number>>;
} = Object.freeze({
  dtype: positions<DType>(['float32', 'float64', 'int32', 'bool']),
  unary: positions(UNARY_OPS),
  binary: positions<BinaryOp>([...ARITHMETIC_OPS, ...COMPARISON_OPS]),
  reduce: positions(REDUCE_OPS),
  activation: positions<FusedActivation>(['linear', 'relu', 'sigmoid', 'tanh', 'gelu', 'gelu_tanh', 'silu']),
  reduction: positions(['none', 'sum', 'mean'] as const),
});
