import { ArgumentError } from '../errors.js';
import { type CreationOptions, fromHost } from './creation.js';
import type { Tensor } from './tensor.js';

/*
 * torch.linspace and torch.logspace, with PyTorch's own arithmetic so float32 results agree bit
 * for bit: both fill from the two ends (index i < steps / 2 from start, the rest back from end),
 * and the step is computed in the output's precision.
 */

function checkSpacing(op: string, start: number, end: number, steps: number): void {
  if (typeof start !== 'number' || typeof end !== 'number' || Number.isNaN(start) || Number.isNaN(end))
    throw new ArgumentError(`${op}: start and end must be numbers, got ${String(start)} and ${String(end)}`);
  if (!Number.isInteger(steps) || steps < 0)
    throw new ArgumentError(`${op}: steps must be a non-negative integer, got ${String(steps)}`);
}

/** fma(a, b, c) rounded once to float32 for float32 a, b, c (the product is exact in a double). */
function fmaFloat32(a: number, b: number, c: number): number {
  const product = a * b;
  const s = product + c;
  // s + error is the exact sum; only a float32 tie in s can round differently than the exact value.
  const bb = s - product;
  const error = product - (s - bb) + (c - bb);
  const r = Math.fround(s);
  if (error === 0 || r === s) return r;
  const other = 2 * s - r;
  if (Math.fround(other) !== other) return r;
  return error > 0 ? Math.max(r, other) : Math.min(r, other);
}

/**
 * PyTorch's float32 CPU linspace (ATen's linspace_kernel on AVX2): blocks of 8 start from
 * fma(step, i, start) (or fma(-step, steps - i - 1, end) past halfway) and step on by base + k * step;
 * the last elements that do not fill two blocks are computed one by one.
 */
function linspaceFloat32(startValue: number, endValue: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const start = Math.fround(startValue);
  const end = Math.fround(endValue);
  const step = Math.fround(Math.fround(end - start) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const fromEnds = (i: number): number =>
    i < halfway ? fmaFloat32(step, i, start) : fmaFloat32(-step, steps - i - 1, end);
  const lanes = 8;
  let i = 0;
  // ATen's vectorized loop takes two blocks at a time; what is left is computed one by one.
  for (; i + 2 * lanes <= steps; i += 2 * lanes) {
    for (const block of [i, i + lanes]) {
      const base = fromEnds(block);
      for (let k = 0; k < lanes; k++) out[block + k] = Math.fround(base + Math.fround(k * step));
    }
  }
  for (; i < steps; i++) out[i] = fromEnds(i);
  return out;
}

/** The exponents or values of a spacing in double precision, filled from both ends. */
function spacedDoubles(start: number, end: number, steps: number): Float64Array {
  const out = new Float64Array(steps);
  const step = (end - start) / (steps - 1);
  const halfway = Math.floor(steps / 2);
  for (let i = 0; i < steps; i++) out[i] = i < halfway ? start + step * i : end - step * (steps - i - 1);
  return out;
}

/**
 * torch.linspace: `steps` evenly spaced values from start to end, both included; float32 unless
 * `dtype` says otherwise (float32 values are PyTorch's CPU values bit for bit; int32 truncates).
 */
export function linspace(start: number, end: number, steps: number, options: CreationOptions = {}): Tensor {
  checkSpacing('linspace', start, end, steps);
  const dtype = options.dtype ?? 'float32';
  const ends = dtype === 'int32' ? [Math.trunc(start), Math.trunc(end)] : [start, end];
  let values: ArrayLike<number>;
  if (steps === 1) values = [ends[0]!];
  else if (dtype === 'float32') values = linspaceFloat32(start, end, steps);
  else values = spacedDoubles(ends[0]!, ends[1]!, steps);
  return fromHost(values, [steps], { ...options, dtype });
}

export interface LogspaceOptions extends CreationOptions {
  /** The base of the powers (default 10). */
  base?: number;
}

/**
 * torch.logspace: base ** linspace(start, end, steps), PyTorch's way: the exponents in double
 * precision from start and end as the output dtype holds them, the powers rounded once.
 */
export function logspace(start: number, end: number, steps: number, options: LogspaceOptions = {}): Tensor {
  checkSpacing('logspace', start, end, steps);
  const base = options.base ?? 10;
  if (typeof base !== 'number' || Number.isNaN(base))
    throw new ArgumentError(`logspace: base must be a number, got ${String(base)}`);
  const dtype = options.dtype ?? 'float32';
  const held = (v: number): number => (dtype === 'float32' ? Math.fround(v) : v);
  const exponents = steps === 1 ? [start] : spacedDoubles(held(start), held(end), steps);
  const values = Float64Array.from(exponents, (e) => base ** e);
  const { base: _base, ...creation } = options;
  return fromHost(values, [steps], { ...creation, dtype });
}
