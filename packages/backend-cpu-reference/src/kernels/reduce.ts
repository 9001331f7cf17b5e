import type { ReduceOp, TypedArray } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { isFloat, sizeOf } from '@myelin/core/backend';
import { unsupported } from '../name.js';
import { collapseLoop, contiguousStrides, RowCursor } from '../strides.js';

const INT32_MIN = -2147483648;

/**
 * Reduces `axes` of x. The input is read once in row-major order; each row is either folded
 * into one output (reduced innermost axis) or folded elementwise into an output row.
 * Floats accumulate in double, int32 wraps like its storage.
 */
export function reduce(op: ReduceOp, x: HostTensor, axes: readonly number[], keepDims: boolean): HostTensor {
  const dtype = x.dtype;
  if (op === 'sum' && dtype === 'bool') throw unsupported(op, dtype, 'cast to int32 or float32 first');
  const reduced = new Set(axes);
  const keptShape = x.shape.map((dim, axis) => (reduced.has(axis) ? 1 : dim));
  const outShape = keepDims ? keptShape : x.shape.filter((_, axis) => !reduced.has(axis));
  if (axes.length === 0) return { data: x.data.slice(), shape: outShape, dtype };

  const float = isFloat(dtype);
  // The max of nothing: -Infinity for floats, the smallest value for int32, false for bool.
  const identity = op === 'sum' ? 0 : float ? -Infinity : dtype === 'int32' ? INT32_MIN : 0;
  const acc: TypedArray = float ? new Float64Array(sizeOf(outShape)) : allocate(dtype, sizeOf(outShape));
  if (identity !== 0) acc.fill(identity);

  const size = x.data.length;
  if (size > 0 && float && axes.length === x.shape.length) {
    // Every axis reduced (losses, mean): the loop nest below collapses to this one row.
    acc[0] = op === 'sum' ? acc[0]! + sumRow(x.data, 0, size, false) : maxOf(acc[0]!, maxRow(x.data, 0, size));
  } else if (size > 0) {
    const outStrides = contiguousStrides(keptShape).map((stride, axis) => (reduced.has(axis) ? 0 : stride));
    const loop = collapseLoop(x.shape, [outStrides]);
    const cursor = new RowCursor(loop);
    const n = cursor.rowLength;
    const folds = cursor.innerStride(0) === 0;
    const int32 = dtype === 'int32';
    for (let i = 0; i < size; i += n) {
      const o = cursor.offsets[0]!;
      if (op === 'sum') {
        if (folds) acc[o] = acc[o]! + sumRow(x.data, i, n, int32);
        else addRow(x.data, i, n, acc, o);
      } else {
        if (folds) acc[o] = maxOf(acc[o]!, maxRow(x.data, i, n));
        else maxIntoRow(x.data, i, n, acc, o);
      }
      cursor.next();
    }
  }
  const out = dtype === 'float32' ? new Float32Array(acc) : acc;
  return { data: out, shape: outShape, dtype };
}

function sumRow(x: TypedArray, start: number, n: number, int32: boolean): number {
  const end = start + n;
  if (int32) {
    let sum = 0;
    for (let i = start; i < end; i++) sum = (sum + x[i]!) | 0;
    return sum;
  }
  // Four running sums break the add-latency chain (and round no worse than one).
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let i = start;
  for (; i + 3 < end; i += 4) {
    s0 += x[i]!;
    s1 += x[i + 1]!;
    s2 += x[i + 2]!;
    s3 += x[i + 3]!;
  }
  for (; i < end; i++) s0 += x[i]!;
  return s0 + s1 + (s2 + s3);
}

function addRow(x: TypedArray, start: number, n: number, acc: TypedArray, o: number): void {
  for (let i = start, end = start + n; i < end; i++, o++) acc[o] = acc[o]! + x[i]!;
}

/** The larger of two values; a NaN wins. */
function maxOf(best: number, v: number): number {
  return !(v <= best) && best === best ? v : best;
}

function maxRow(x: TypedArray, start: number, n: number): number {
  let best = -Infinity;
  for (let i = start, end = start + n; i < end; i++) {
    const v = x[i]!;
    // !(v <= best) is v > best or a NaN on either side; a NaN best is never replaced.
    if (!(v <= best) && best === best) best = v;
  }
  return best;
}

function maxIntoRow(x: TypedArray, start: number, n: number, acc: TypedArray, o: number): void {
  for (let i = start, end = start + n; i < end; i++, o++) {
    const v = x[i]!;
    const best = acc[o]!;
    if (!(v <= best) && best === best) acc[o] = v;
  }
}

/** Index of the first maximum along `axis` (a NaN beats everything; the first NaN wins). */
export function argmax(x: HostTensor, axis: number): HostTensor {
  const shape = x.shape;
  const outShape = shape.filter((_, a) => a !== axis);
  const length = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const outer = sizeOf(shape.slice(0, axis));
  const out = new Int32Array(outer * inner);
  const data = x.data;
  if (length === 0 || out.length === 0) return { data: out, shape: outShape, dtype: 'int32' };
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const start = o * length;
      let best = data[start]!;
      let index = 0;
      for (let k = 1; k < length; k++) {
        const v = data[start + k]!;
        // !(v <= best) is v > best or a NaN on either side; a NaN best is never replaced.
        if (!(v <= best) && best === best) {
          best = v;
          index = k;
        }
      }
      out[o] = index;
    }
  } else {
    // Walk rows of `inner` contiguous values so memory is read in order.
    const best = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * length * inner;
      for (let j = 0; j < inner; j++) best[j] = data[base + j]!;
      const indexRow = o * inner;
      for (let k = 1; k < length; k++) {
        const row = base + k * inner;
        for (let j = 0; j < inner; j++) {
          const v = data[row + j]!;
          const b = best[j]!;
          if (!(v <= b) && b === b) {
            best[j] = v;
            out[indexRow + j] = k;
          }
        }
      }
    }
  }
  return { data: out, shape: outShape, dtype: 'int32' };
}
