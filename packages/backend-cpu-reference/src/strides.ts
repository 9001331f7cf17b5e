import { stridesOf, type Shape, type TypedArray } from '@myelin/core/backend';

/** Row-major strides of `shape` (core's definition, so both sides agree on layout). */
export const contiguousStrides: (shape: Shape) => number[] = stridesOf;

/** Strides that read `shape` as if broadcast to `outShape` (right-aligned; 0 on broadcast axes). */
export function broadcastStrides(shape: Shape, outShape: Shape): number[] {
  const own = contiguousStrides(shape);
  const lead = outShape.length - shape.length;
  const strides = new Array<number>(outShape.length).fill(0);
  for (let axis = 0; axis < shape.length; axis++) {
    if (shape[axis] !== 1) strides[lead + axis] = own[axis]!;
  }
  return strides;
}

/** A loop nest over `shape` in row-major order, with one stride per axis for each operand. */
export interface StridedLoop {
  readonly shape: readonly number[];
  readonly strides: readonly (readonly number[])[];
}

/**
 * Drops size-1 axes and merges neighbouring axes that every operand walks as one, so the
 * innermost loop is as long as possible (same-shape operands collapse to a single axis).
 * The result always has at least one axis.
 */
export function collapseLoop(shape: Shape, strides: readonly (readonly number[])[]): StridedLoop {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let axis = 0; axis < shape.length; axis++) {
    const dim = shape[axis]!;
    if (dim === 1) continue;
    const last = outShape.length - 1;
    const mergeable = last >= 0 && strides.every((s, operand) => outStrides[operand]![last] === s[axis]! * dim);
    if (mergeable) {
      outShape[last] = outShape[last]! * dim;
      strides.forEach((s, operand) => (outStrides[operand]![last] = s[axis]!));
    } else {
      outShape.push(dim);
      strides.forEach((s, operand) => outStrides[operand]!.push(s[axis]!));
    }
  }
  if (outShape.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: outShape, strides: outStrides };
}

/**
 * An odometer over every axis of a loop but the innermost: `offsets[operand]` is where the
 * current row starts in each operand. Callers run the innermost axis as a tight loop.
 */
export class RowCursor {
  readonly offsets: number[];
  private readonly counters: number[];

  constructor(
    private readonly loop: StridedLoop,
    baseOffsets?: readonly number[],
  ) {
    this.offsets = loop.strides.map((_, operand) => baseOffsets?.[operand] ?? 0);
    this.counters = new Array<number>(loop.shape.length).fill(0);
  }

  /** The length and per-operand strides of the innermost axis. */
  get rowLength(): number {
    return this.loop.shape[this.loop.shape.length - 1]!;
  }
  innerStride(operand: number): number {
    const strides = this.loop.strides[operand]!;
    return strides[strides.length - 1]!;
  }

  next(): void {
    const { shape, strides } = this.loop;
    const offsets = this.offsets;
    for (let axis = shape.length - 2; axis >= 0; axis--) {
      const dim = shape[axis]!;
      if (++this.counters[axis]! < dim) {
        for (let operand = 0; operand < offsets.length; operand++) offsets[operand]! += strides[operand]![axis]!;
        return;
      }
      this.counters[axis] = 0;
      for (let operand = 0; operand < offsets.length; operand++) {
        offsets[operand]! -= strides[operand]![axis]! * (dim - 1);
      }
    }
  }
}

/** Rows at least this long are copied with `TypedArray.set` (a memcpy) instead of a loop. */
const BULK_COPY = 32;

/**
 * Copies the box `shape` from `source` (at `sourceBase`, with `sourceStrides`) into `target`
 * (at `targetBase`, with `targetStrides`). Both arrays must be of the same type.
 */
export function copyStrided(
  source: TypedArray,
  sourceBase: number,
  sourceStrides: readonly number[],
  target: TypedArray,
  targetBase: number,
  targetStrides: readonly number[],
  shape: Shape,
): void {
  let total = 1;
  for (const dim of shape) total *= dim;
  if (total === 0) return;
  const loop = collapseLoop(shape, [sourceStrides, targetStrides]);
  const cursor = new RowCursor(loop, [sourceBase, targetBase]);
  const n = cursor.rowLength;
  const ss = cursor.innerStride(0);
  const ts = cursor.innerStride(1);
  const bulk = ss === 1 && ts === 1 && n >= BULK_COPY;
  for (let done = 0; done < total; done += n) {
    let s = cursor.offsets[0]!;
    let t = cursor.offsets[1]!;
    if (bulk) {
      target.set(source.subarray(s, s + n), t);
    } else {
      for (let i = 0; i < n; i++, s += ss, t += ts) target[t] = source[s]!;
    }
    cursor.next();
  }
}
