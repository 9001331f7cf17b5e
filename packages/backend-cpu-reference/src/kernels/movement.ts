import type { Shape } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { sizeOf } from '@myelin/core/backend';
import { contiguousStrides, copyStrided } from '../strides.js';

/** Output axis i is input axis perm[i]: a strided read of the input into a contiguous copy. */
export function transpose(x: HostTensor, perm: readonly number[]): HostTensor {
  const inStrides = contiguousStrides(x.shape);
  const shape = perm.map((axis) => x.shape[axis]!);
  const out = allocate(x.dtype, x.data.length);
  const TILE = 32;
  const rank = shape.length;
  const lastInput = perm[rank - 1];
  if (rank >= 2 && lastInput !== rank - 1 && shape[rank - 1]! >= TILE && shape[rank - 2]! >= TILE) {
    // The innermost output axis reads with a large stride: copy in square tiles so each
    // cache line read from the input is used for a whole tile row.
    transposeTiled(x, perm, shape, inStrides, out, TILE);
  } else {
    copyStrided(
      x.data,
      0,
      perm.map((axis) => inStrides[axis]!),
      out,
      0,
      contiguousStrides(shape),
      shape,
    );
  }
  return { data: out, shape, dtype: x.dtype };
}

function transposeTiled(
  x: HostTensor,
  perm: readonly number[],
  shape: number[],
  inStrides: number[],
  out: HostTensor['data'],
  tile: number,
): void {
  const rank = shape.length;
  const sourceStrides = perm.map((axis) => inStrides[axis]!);
  const targetStrides = contiguousStrides(shape);
  const rows = shape[rank - 2]!;
  const cols = shape[rank - 1]!;
  for (let r = 0; r < rows; r += tile) {
    for (let c = 0; c < cols; c += tile) {
      const box = [...shape.slice(0, rank - 2), Math.min(tile, rows - r), Math.min(tile, cols - c)];
      copyStrided(
        x.data,
        r * sourceStrides[rank - 2]! + c * sourceStrides[rank - 1]!,
        sourceStrides,
        out,
        r * targetStrides[rank - 2]! + c,
        targetStrides,
        box,
      );
    }
  }
}

/** Repeats x along its size-1 axes (same rank as `shape`). */
export function broadcastTo(x: HostTensor, shape: Shape): HostTensor {
  const out = allocate(x.dtype, sizeOf(shape));
  const own = contiguousStrides(x.shape);
  const strides = x.shape.map((dim, axis) => (dim === 1 ? 0 : own[axis]!));
  copyStrided(x.data, 0, strides, out, 0, contiguousStrides(shape), shape);
  return { data: out, shape, dtype: x.dtype };
}

/** The box at `begin` with extent `size`. */
export function slice(x: HostTensor, begin: readonly number[], size: readonly number[]): HostTensor {
  const strides = contiguousStrides(x.shape);
  let base = 0;
  for (let axis = 0; axis < begin.length; axis++) base += begin[axis]! * strides[axis]!;
  const out = allocate(x.dtype, sizeOf(size));
  copyStrided(x.data, base, strides, out, 0, contiguousStrides(size), size);
  return { data: out, shape: size, dtype: x.dtype };
}

/** Fills the padded shape with `value`, then copies x into its interior. */
export function pad(x: HostTensor, paddings: readonly (readonly [number, number])[], value: number): HostTensor {
  const shape = x.shape.map((dim, axis) => dim + paddings[axis]![0] + paddings[axis]![1]);
  const out = allocate(x.dtype, sizeOf(shape));
  out.fill(x.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
  const strides = contiguousStrides(shape);
  let base = 0;
  for (let axis = 0; axis < shape.length; axis++) base += paddings[axis]![0] * strides[axis]!;
  copyStrided(x.data, 0, contiguousStrides(x.shape), out, base, strides, x.shape);
  return { data: out, shape, dtype: x.dtype };
}

/** Joins along `axis`: each input is a [outer, chunk] matrix copied into its column range. */
export function concat(xs: readonly HostTensor[], axis: number): HostTensor {
  const first = xs[0]!;
  const shape = [...first.shape];
  shape[axis] = xs.reduce((total, x) => total + x.shape[axis]!, 0);
  const out = allocate(first.dtype, sizeOf(shape));
  const outer = sizeOf(shape.slice(0, axis));
  const rowLength = sizeOf(shape.slice(axis));
  let column = 0;
  for (const x of xs) {
    const chunk = sizeOf(x.shape.slice(axis));
    copyStrided(x.data, 0, [chunk, 1], out, column, [rowLength, 1], [outer, chunk]);
    column += chunk;
  }
  return { data: out, shape, dtype: first.dtype };
}
