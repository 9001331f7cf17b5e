import type { DType, UnaryOp } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';
import { erf } from './erf.js';

type MathOp = Exclude<
  UnaryOp,
  'neg' | 'exp' | 'log' | 'sqrt' | 'abs' | 'sign' | 'sigmoid' | 'tanh' | 'relu' | 'erf' | 'round'
>;

const MATH: Record<MathOp, (v: number) => number> = {
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  log1p: Math.log1p,
  expm1: Math.expm1,
  floor: Math.floor,
  ceil: Math.ceil,
  trunc: Math.trunc,
};

/**
 * The nearest whole number, ties to even (C's rint, torch.round): Math.round breaks ties
 * upward, so a tie that landed on an odd number steps down. Exact: for |v| < 2^52, r - v is.
 */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Elementwise `op(x)`. Floats compute in double and round once on store. */
export function unary(op: UnaryOp, x: HostTensor): HostTensor {
  const dtype = x.dtype;
  const intOk = op === 'neg' || op === 'abs' || op === 'sign';
  if (dtype === 'bool' || (dtype === 'int32' && !intOk)) throw unsupported(op, dtype);
  const input = x.data;
  const n = input.length;
  const out = allocate(dtype, n);
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -input[i]!;
      break;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(input[i]!);
      break;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(input[i]!);
      break;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(input[i]!);
      break;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(input[i]!);
      break;
    case 'sign':
      // Branch-free for the usual mixed signs; NaN stays NaN and -0 becomes 0.
      for (let i = 0; i < n; i++) {
        const v = input[i]!;
        out[i] = v === v ? +(v > 0) - +(v < 0) : NaN;
      }
      break;
    case 'sigmoid': {
      // exp(-|x|) never overflows, so large |x| gives exactly 0 or 1, never NaN:
      // 1/(1+e) for x >= 0 and e/(1+e) for x < 0, picked by a 0/1 index (no branch).
      const pick = new Float64Array(2);
      for (let i = 0; i < n; i++) {
        const v = input[i]!;
        const e = Math.exp(-Math.abs(v));
        pick[0] = e / (1 + e);
        pick[1] = 1 / (1 + e);
        out[i] = pick[+(v >= 0)]!;
      }
      break;
    }
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(input[i]!);
      break;
    case 'relu':
      // Math.max compiles to a branch-free max; NaN stays NaN and -0 becomes 0, as in PyTorch.
      for (let i = 0; i < n; i++) out[i] = Math.max(input[i]!, 0);
      break;
    case 'erf':
      for (let i = 0; i < n; i++) out[i] = erf(input[i]!);
      break;
    case 'round':
      for (let i = 0; i < n; i++) out[i] = roundHalfEven(input[i]!);
      break;
    case 'sin':
    case 'cos':
    case 'tan':
    case 'asin':
    case 'acos':
    case 'atan':
    case 'sinh':
    case 'cosh':
    case 'asinh':
    case 'acosh':
    case 'atanh':
    case 'log1p':
    case 'expm1':
    case 'floor':
    case 'ceil':
    case 'trunc': {
      // JavaScript's Math functions of the same names.
      const f = MATH[op];
      for (let i = 0; i < n; i++) out[i] = f(input[i]!);
    }
  }
  return { data: out, shape: x.shape, dtype };
}

/** Converts to `dtype`: float -> int truncates toward zero (as Int32Array stores); nonzero -> true. */
export function cast(x: HostTensor, dtype: DType): HostTensor {
  const input = x.data;
  const n = input.length;
  const out = allocate(dtype, n);
  if (dtype === 'bool') {
    // NaN is nonzero, so it casts to true (as in NumPy).
    for (let i = 0; i < n; i++) out[i] = input[i] !== 0 ? 1 : 0;
  } else {
    // `set` converts like an element store: to int32 it truncates toward zero, wraps modulo
    // 2^32 and maps NaN and +-Infinity to 0; to float32 it rounds to nearest.
    out.set(input);
  }
  return { data: out, shape: x.shape, dtype };
}
