import { ArgumentError, ShapeError, formatShape } from '../errors.js';

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const dim of shape) size *= dim;
  return size;
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    strides[axis] = stride;
    stride *= shape[axis]!;
  }
  return strides;
}

export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting of two shapes; `op` names the operation in the error. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `${op}: shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast (dimension ${i - rank} is ${da} vs ${db}; each pair must be equal or one of them 1)`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/**
 * `broadcastShapes` for core's ops: when one shape is the broadcast of both (equal shapes, or a
 * scalar operand) it returns that shape itself, so the common cases allocate nothing. The
 * result may be an input (tensor shapes are frozen), so it is read-only.
 */
export function broadcastOutShape(op: string, a: readonly number[], b: readonly number[]): readonly number[] {
  if (a === b || b.length === 0) return a;
  if (a.length === 0) return b;
  if (a.length === b.length) {
    let i = 0;
    while (i < a.length && a[i] === b[i]) i++;
    if (i === a.length) return a;
  }
  // Frozen, so the output tensor keeps it without a copy.
  return Object.freeze(broadcastShapes(op, a, b));
}

/** Checks a user-supplied shape: non-negative integers, at most one -1 which is inferred from `size`. */
export function resolveShape(op: string, shape: readonly number[], size?: number): number[] {
  let inferAt = -1;
  let known = 1;
  for (let i = 0; i < shape.length; i++) {
    const dim = shape[i]!;
    if (dim === -1 && size !== undefined) {
      if (inferAt !== -1) throw new ShapeError(`${op}: only one dimension may be -1, got ${formatShape(shape)}`);
      inferAt = i;
    } else if (!Number.isInteger(dim) || dim < 0) {
      throw new ShapeError(`${op}: dimensions must be non-negative integers, got ${formatShape(shape)}`);
    } else {
      known *= dim;
    }
  }
  const out = shape.slice();
  if (inferAt !== -1) {
    if (known === 0 || size! % known !== 0) {
      throw new ShapeError(`${op}: cannot infer the -1 in ${formatShape(shape)} for ${size} elements`);
    }
    out[inferAt] = size! / known;
  }
  return out;
}

/** Turns a possibly negative axis into 0..rank-1, or throws naming the op and the range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ArgumentError(
      `${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank}..${Math.max(rank - 1, 0)})`,
    );
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises `axes` (undefined = all), sorted and unique. */
export function normalizeAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return allAxes(rank);
  if (typeof axes !== 'number') {
    // Already normalised (the usual call from core itself): non-negative, increasing, in range.
    let i = 0;
    while (
      i < axes.length &&
      Number.isInteger(axes[i]) &&
      axes[i]! >= (i === 0 ? 0 : axes[i - 1]! + 1) &&
      axes[i]! < rank
    )
      i++;
    if (i === axes.length) return axes.slice();
  }
  const list = typeof axes === 'number' ? [axes] : axes;
  const normalized = list.map((axis) => {
    if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
      throw new ArgumentError(
        `${op}: axis ${axis} is out of range for a tensor of rank ${rank} (expected ${-rank}..${rank - 1})`,
      );
    }
    return axis < 0 ? axis + rank : axis;
  });
  const unique = [...new Set(normalized)].sort((x, y) => x - y);
  if (unique.length !== normalized.length) throw new ArgumentError(`${op}: repeated axis in [${list.join(',')}]`);
  return unique;
}

function allAxes(rank: number): number[] {
  const axes = new Array<number>(rank);
  for (let i = 0; i < rank; i++) axes[i] = i;
  return axes;
}

/** The shape after reducing `axes`. */
export function reducedShape(shape: readonly number[], axes: readonly number[], keepDims: boolean): number[] {
  const out: number[] = [];
  shape.forEach((dim, axis) => {
    if (!axes.includes(axis)) out.push(dim);
    else if (keepDims) out.push(1);
  });
  return out;
}
