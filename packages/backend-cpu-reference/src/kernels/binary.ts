import type { BinaryOp, Shape, TypedArray } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { sizeOf } from '@myelin/core/backend';
import { unsupported } from '../name.js';
import { broadcastStrides, collapseLoop, RowCursor } from '../strides.js';

const COMPARISONS: ReadonlySet<BinaryOp> = new Set([
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
]);
// On 0/1 values these stay 0/1: mul and minimum are AND, maximum is OR.
const BOOL_ARITHMETIC: ReadonlySet<BinaryOp> = new Set(['mul', 'maximum', 'minimum']);

/**
 * Broadcasting `op(a, b)`. The loop nest is collapsed first, so same-shape and scalar
 * operands run as one tight loop and general broadcasts as one tight loop per output row.
 */
export function binary(op: BinaryOp, a: HostTensor, b: HostTensor, outShape: Shape): HostTensor {
  const dtype = a.dtype;
  const comparison = COMPARISONS.has(op);
  if (dtype === 'bool' && !comparison && !BOOL_ARITHMETIC.has(op)) throw unsupported(op, dtype);
  const outDType = comparison ? 'bool' : dtype;
  const size = sizeOf(outShape);
  const out = allocate(outDType, size);
  if (size === 0) return { data: out, shape: outShape, dtype: outDType };
  const int32 = dtype === 'int32';
  // Each operand full-size or a single element (same shapes, scalars): one flat loop, no loop nest.
  const na = a.data.length;
  const nb = b.data.length;
  if ((na === size || na === 1) && (nb === size || nb === 1)) {
    binaryRow(op, int32, a.data, 0, na === size ? 1 : 0, b.data, 0, nb === size ? 1 : 0, out, 0, size);
    return { data: out, shape: outShape, dtype: outDType };
  }

  const loop = collapseLoop(outShape, [broadcastStrides(a.shape, outShape), broadcastStrides(b.shape, outShape)]);
  const cursor = new RowCursor(loop);
  const n = cursor.rowLength;
  const sa = cursor.innerStride(0);
  const sb = cursor.innerStride(1);
  for (let o = 0; o < size; o += n) {
    binaryRow(op, int32, a.data, cursor.offsets[0]!, sa, b.data, cursor.offsets[1]!, sb, out, o, n);
    cursor.next();
  }
  return { data: out, shape: outShape, dtype: outDType };
}

/** Scratch for branch-free selection (see maximum). */
const pick = new Float64Array(2);

/**
 * One output row: `out[o..o+n) = op(a[ia + i*sa], b[ib + i*sb])`. One loop per op, no
 * callbacks; comparisons store `+(x < y)`, which compiles without a branch.
 */
function binaryRow(
  op: BinaryOp,
  int32: boolean,
  a: TypedArray,
  ia: number,
  sa: number,
  b: TypedArray,
  ib: number,
  sb: number,
  out: TypedArray,
  o: number,
  n: number,
): void {
  const end = o + n;
  switch (op) {
    // Int32Array stores wrap modulo 2^32, which gives int32 add/sub/div/pow their overflow rule.
    case 'add':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia]! + b[ib]!;
      return;
    case 'sub':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia]! - b[ib]!;
      return;
    case 'mul':
      // A double product of two int32s can pass 2^53 and lose its low bits; imul wraps exactly.
      if (int32) for (; o < end; o++, ia += sa, ib += sb) out[o] = Math.imul(a[ia]!, b[ib]!);
      else for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia]! * b[ib]!;
      return;
    case 'div':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = a[ia]! / b[ib]!;
      return;
    case 'pow':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = Math.pow(a[ia]!, b[ib]!);
      return;
    // maximum/minimum pick from a two-slot array by a 0/1 index instead of branching: on
    // data like activations the branch is a coin flip, and mispredictions cost ~3x. A NaN
    // on either side wins, as in Math.max.
    case 'maximum':
      for (; o < end; o++, ia += sa, ib += sb) {
        const x = a[ia]!;
        const y = b[ib]!;
        pick[0] = y;
        pick[1] = x;
        out[o] = pick[+(x > y) | +(x !== x)]!;
      }
      return;
    case 'minimum':
      for (; o < end; o++, ia += sa, ib += sb) {
        const x = a[ia]!;
        const y = b[ib]!;
        pick[0] = y;
        pick[1] = x;
        out[o] = pick[+(x < y) | +(x !== x)]!;
      }
      return;
    case 'equal':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! === b[ib]!);
      return;
    case 'notEqual':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! !== b[ib]!);
      return;
    case 'less':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! < b[ib]!);
      return;
    case 'lessEqual':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! <= b[ib]!);
      return;
    case 'greater':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! > b[ib]!);
      return;
    case 'greaterEqual':
      for (; o < end; o++, ia += sa, ib += sb) out[o] = +(a[ia]! >= b[ib]!);
      return;
  }
}

/** Broadcasting `condition ? a : b` over all three operands. */
export function where(condition: HostTensor, a: HostTensor, b: HostTensor, outShape: Shape): HostTensor {
  const dtype = a.dtype;
  const size = sizeOf(outShape);
  const out = allocate(dtype, size);
  if (size === 0) return { data: out, shape: outShape, dtype };
  const c = condition.data;
  const av = a.data;
  const bv = b.data;
  if (
    (c.length === size || c.length === 1) &&
    (av.length === size || av.length === 1) &&
    (bv.length === size || bv.length === 1)
  ) {
    // Each operand full-size or a single element: one flat loop, no loop nest.
    const sc = c.length === size ? 1 : 0;
    const sa = av.length === size ? 1 : 0;
    const sb = bv.length === size ? 1 : 0;
    for (let o = 0, ic = 0, ia = 0, ib = 0; o < size; o++, ic += sc, ia += sa, ib += sb) {
      pick[0] = bv[ib]!;
      pick[1] = av[ia]!;
      out[o] = pick[c[ic]!]!;
    }
    return { data: out, shape: outShape, dtype };
  }
  const loop = collapseLoop(outShape, [
    broadcastStrides(condition.shape, outShape),
    broadcastStrides(a.shape, outShape),
    broadcastStrides(b.shape, outShape),
  ]);
  const cursor = new RowCursor(loop);
  const n = cursor.rowLength;
  const sc = cursor.innerStride(0);
  const sa = cursor.innerStride(1);
  const sb = cursor.innerStride(2);
  for (let o = 0; o < size;) {
    let ic = cursor.offsets[0]!;
    let ia = cursor.offsets[1]!;
    let ib = cursor.offsets[2]!;
    // Branch-free select, as in maximum: a random condition would mispredict half the time.
    for (const end = o + n; o < end; o++, ic += sc, ia += sa, ib += sb) {
      pick[0] = bv[ib]!;
      pick[1] = av[ia]!;
      out[o] = pick[c[ic]!]!;
    }
    cursor.next();
  }
  return { data: out, shape: outShape, dtype };
}
