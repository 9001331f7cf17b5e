import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import { normalizeAxes, normalizeAxis, resolveShape, shapesEqual, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { runPrimitive, runReshape } from './dispatch.js';
import { cast, equal } from './elementwise.js';
import { arange } from '../tensor/creation.js';
import { checkPadMode, padByMode, type PadMode } from './padding.js';

/** Same elements, new shape; one dimension may be -1 (inferred). */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  // To its own shape (gradients of same-shape ops): nothing to resolve or check, the frozen shape is shared.
  if (shapesEqual(shape, x.shape)) return runReshape(x, x.shape);
  const resolved = Object.freeze(resolveShape('reshape', shape, x.size));
  if (sizeOf(resolved) !== x.size) {
    throw new ShapeError(
      `reshape: cannot reshape a tensor of shape ${formatShape(x.shape)} (${x.size} elements) to ${formatShape(shape)} (${sizeOf(resolved)} elements)`,
    );
  }
  return runReshape(x, resolved);
}

/** Merges axes startAxis..endAxis into one (PyTorch's flatten). */
export function flatten(x: Tensor, startAxis = 0, endAxis = -1): Tensor {
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis('flatten', startAxis, x.rank);
  const end = normalizeAxis('flatten', endAxis, x.rank);
  if (start > end) throw new ArgumentError(`flatten: startAxis ${startAxis} comes after endAxis ${endAxis}`);
  const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}

/** Removes size-1 axes (all of them, or the given ones, which must have size 1). */
export function squeeze(x: Tensor, axes?: number | number[]): Tensor {
  const targets =
    axes === undefined ? x.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes('squeeze', axes, x.rank);
  for (const axis of targets) {
    if (x.shape[axis] !== 1)
      throw new ShapeError(`squeeze: axis ${axis} of shape ${formatShape(x.shape)} has size ${x.shape[axis]}, not 1`);
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !targets.includes(i)),
  );
}

/** Inserts a size-1 axis at `axis` (which may be -1 for the end). */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const at = normalizeAxis('unsqueeze', axis, x.rank + 1);
  return reshape(x, [...x.shape.slice(0, at), 1, ...x.shape.slice(at)]);
}

/** Reorders axes: output axis i is input axis perm[i]. */
export function permute(x: Tensor, perm: readonly number[]): Tensor {
  if (perm.length !== x.rank)
    throw new ShapeError(`permute: got ${perm.length} axes [${perm.join(',')}] for a tensor of rank ${x.rank}`);
  const normalized = perm.map((axis) => normalizeAxis('permute', axis, x.rank));
  if (new Set(normalized).size !== normalized.length)
    throw new ArgumentError(`permute: [${perm.join(',')}] is not a permutation of 0..${x.rank - 1}`);
  const outShape = normalized.map((axis) => x.shape[axis]!);
  return runPrimitive('transpose', [x], { perm: normalized }, outShape, x.dtype, (h) =>
    x.backend.transpose(h, normalized),
  );
}

/** Swaps two axes (the last two by default, i.e. the matrix transpose). */
export function transpose(x: Tensor, axisA = -2, axisB = -1): Tensor {
  if (x.rank < 2)
    return permute(
      x,
      x.shape.map((_, i) => i),
    );
  const a = normalizeAxis('transpose', axisA, x.rank);
  const b = normalizeAxis('transpose', axisB, x.rank);
  const perm = x.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(x, perm);
}

/** Broadcasts to `shape` (NumPy rules; -1 keeps a dimension). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shape.length < x.rank)
    throw new ShapeError(
      `expand: cannot expand shape ${formatShape(x.shape)} to fewer dimensions ${formatShape(shape)}`,
    );
  const lead = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? x.shape[i - lead]! : d));
  resolveShape('expand', target);
  target.forEach((d, i) => {
    const own = i >= lead ? x.shape[i - lead]! : 1;
    if (own !== d && own !== 1) {
      throw new ShapeError(
        `expand: shape ${formatShape(x.shape)} cannot be broadcast to ${formatShape(shape)} (dimension ${i} is ${own}, must be 1 or ${d})`,
      );
    }
  });
  return composite(() => {
    const aligned = lead > 0 ? reshape(x, [...new Array<number>(lead).fill(1), ...x.shape]) : x;
    if (shapesEqual(aligned.shape, target)) return aligned === x ? reshape(x, target) : aligned;
    return runPrimitive('broadcastTo', [aligned], { shape: target }, target, x.dtype, (h) =>
      x.backend.broadcastTo(h, target),
    );
  });
}

/** The box starting at `begin` with extent `size` (-1 = to the end); negative begins count from the end. */
export function slice(x: Tensor, begin: readonly number[], size?: readonly number[]): Tensor {
  if (begin.length > x.rank || (size && size.length !== begin.length)) {
    throw new ShapeError(
      `slice: begin [${begin.join(',')}]${size ? ` and size [${size.join(',')}]` : ''} do not fit a tensor of shape ${formatShape(x.shape)}`,
    );
  }
  const start = x.shape.map((dim, i) => {
    const b = begin[i] ?? 0;
    return b < 0 ? b + dim : b;
  });
  const extent = x.shape.map((dim, i) => {
    const s = size?.[i] ?? -1;
    return s === -1 ? dim - start[i]! : s;
  });
  x.shape.forEach((dim, i) => {
    if (
      !Number.isInteger(start[i]) ||
      !Number.isInteger(extent[i]) ||
      start[i]! < 0 ||
      extent[i]! < 0 ||
      start[i]! + extent[i]! > dim
    ) {
      throw new ShapeError(
        `slice: begin ${start[i]} with size ${extent[i]} is out of bounds for axis ${i} of shape ${formatShape(x.shape)}`,
      );
    }
  });
  return runPrimitive('slice', [x], { begin: start, size: extent }, extent, x.dtype, (h) =>
    x.backend.slice(h, start, extent),
  );
}

export interface PadOptions {
  /** 'constant' (default) fills with `value`; 'reflect', 'replicate' and 'circular' copy x's own elements, as in PyTorch. */
  mode?: PadMode;
  /** The fill of 'constant' (default 0). */
  value?: number;
}

/**
 * Pads each axis with [before, after] elements (missing trailing axes get none): of `value` (a
 * number, or the options' value), or copied from x by the options' mode (PyTorch's `F.pad` modes).
 * In 'constant' mode a negative size cuts that many elements off that side, as in PyTorch.
 */
export function pad(
  x: Tensor,
  paddings: readonly (readonly [number, number])[],
  valueOrOptions: number | PadOptions = 0,
): Tensor {
  if (paddings.length > x.rank) throw new ShapeError(`pad: ${paddings.length} paddings for a tensor of rank ${x.rank}`);
  const options = typeof valueOrOptions === 'number' ? { value: valueOrOptions } : valueOrOptions;
  const mode = checkPadMode('pad: mode', options.mode ?? 'constant');
  const value = options.value ?? 0;
  const full: [number, number][] = x.shape.map((_, i) => {
    const [before, after] = paddings[i] ?? [0, 0];
    if (!Number.isInteger(before) || !Number.isInteger(after))
      throw new ArgumentError(`pad: paddings must be integers, got [${before}, ${after}] for axis ${i}`);
    if (mode !== 'constant' && (before < 0 || after < 0))
      throw new ArgumentError(
        `pad: mode '${mode}' needs non-negative paddings, got [${before}, ${after}] for axis ${i} (only 'constant' crops with negative ones)`,
      );
    return [before, after];
  });
  if (full.some(([before, after]) => before < 0 || after < 0)) return cropThenPad(x, full, value);
  if (mode !== 'constant') {
    if (options.value !== undefined && options.value !== 0)
      throw new ArgumentError(`pad: mode '${mode}' takes no value, got ${options.value}`);
    return padByMode(x, full, mode);
  }
  const outShape = x.shape.map((d, i) => d + full[i]![0] + full[i]![1]);
  return runPrimitive('pad', [x], { paddings: full, value }, outShape, x.dtype, (h) => x.backend.pad(h, full, value));
}

/** Constant padding with negative sizes, as PyTorch's F.pad: those sides are cut off first. */
function cropThenPad(x: Tensor, full: readonly [number, number][], value: number): Tensor {
  const begin = full.map(([before]) => Math.max(0, -before));
  const size = x.shape.map((d, i) => d - begin[i]! - Math.max(0, -full[i]![1]));
  const axis = size.findIndex((d) => d < 0);
  if (axis >= 0)
    throw new ShapeError(
      `pad: paddings [${full[axis]!.join(', ')}] would leave ${size[axis]} elements of axis ${axis} (size ${x.shape[axis]}) of shape ${formatShape(x.shape)}: a crop can remove at most the whole axis`,
    );
  const grow = full.map(([before, after]): [number, number] => [Math.max(0, before), Math.max(0, after)]);
  return composite(() => pad(slice(x, begin, size), grow, value));
}

/** Joins tensors along an existing axis. */
export function concat(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ArgumentError('concat: needs at least one tensor');
  const at = normalizeAxis('concat', axis, first.rank);
  for (const x of xs) {
    if (x.dtype !== first.dtype) throw new DTypeError(`concat: dtypes differ (${first.dtype} vs ${x.dtype})`);
    if (x.rank !== first.rank || x.shape.some((d, i) => i !== at && d !== first.shape[i])) {
      throw new ShapeError(
        `concat: shapes ${xs.map((t) => formatShape(t.shape)).join(', ')} differ outside axis ${at}`,
      );
    }
  }
  const outShape = [...first.shape];
  outShape[at] = xs.reduce((n, x) => n + x.shape[at]!, 0);
  return runPrimitive('concat', xs, { axis: at }, outShape, first.dtype, (...hs) => first.backend.concat(hs, at));
}

/** Joins tensors of one shape along a new axis. */
export function stack(xs: readonly Tensor[], axis = 0): Tensor {
  const first = xs[0];
  if (first === undefined) throw new ArgumentError('stack: needs at least one tensor');
  for (const x of xs) {
    if (!shapesEqual(x.shape, first.shape))
      throw new ShapeError(`stack: all shapes must match, got ${xs.map((t) => formatShape(t.shape)).join(', ')}`);
  }
  return composite(() =>
    concat(
      xs.map((x) => unsqueeze(x, axis)),
      normalizeAxis('stack', axis, first.rank + 1),
    ),
  );
}

/**
 * Picks entries along `axis` by integer `indices` of any shape: the result has shape
 * x.shape[:axis] + indices.shape + x.shape[axis+1:].
 */
export function gather(x: Tensor, indices: Tensor, axis = 0): Tensor {
  const at = normalizeAxis('gather', axis, x.rank);
  if (indices.dtype !== 'int32') throw new DTypeError(`gather: indices must be int32, got ${indices.dtype}`);
  if (indices.backend.readSync) checkIndices('gather', indices, x.shape[at]!);
  const outShape = [...x.shape.slice(0, at), ...indices.shape, ...x.shape.slice(at + 1)];
  return runPrimitive('gather', [x, indices], { axis: at }, outShape, x.dtype, (h, i) => x.backend.gather(h!, i!, at));
}

/** PyTorch's index_select: `indices` must be 1-D. */
export function indexSelect(x: Tensor, axis: number, indices: Tensor): Tensor {
  if (indices.rank !== 1)
    throw new ShapeError(`indexSelect: indices must be 1-D, got shape ${formatShape(indices.shape)}`);
  return gather(x, indices, axis);
}

/** The adjoint of gather: zeros of `dimSize` along `axis` with each update added at its index. */
export function scatterAdd(updates: Tensor, indices: Tensor, axis: number, dimSize: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`scatterAdd: indices must be int32, got ${indices.dtype}`);
  const rank = updates.rank - indices.rank + 1;
  const at = normalizeAxis('scatterAdd', axis, rank);
  const expected = updates.shape.slice(at, at + indices.rank);
  if (!shapesEqual(expected, indices.shape)) {
    throw new ShapeError(
      `scatterAdd: updates of shape ${formatShape(updates.shape)} do not match indices of shape ${formatShape(indices.shape)} at axis ${at}`,
    );
  }
  if (indices.backend.readSync) checkIndices('scatterAdd', indices, dimSize);
  const outShape = [...updates.shape.slice(0, at), dimSize, ...updates.shape.slice(at + indices.rank)];
  return runPrimitive('scatterAdd', [updates, indices], { axis: at, dimSize }, outShape, updates.dtype, (u, i) =>
    updates.backend.scatterAdd(u!, i!, at, dimSize),
  );
}

/** Class indices (int32, any shape) to one-hot float32 vectors on a new last axis. */
export function oneHot(indices: Tensor, numClasses: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`oneHot: indices must be int32, got ${indices.dtype}`);
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new ArgumentError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  if (indices.backend.readSync) checkIndices('oneHot', indices, numClasses);
  return composite(() =>
    cast(equal(unsqueeze(indices, -1), arange(numClasses, { dtype: 'int32', backend: indices.backend })), 'float32'),
  );
}

/** Host-side bounds check, where the values can be read without stalling a device. */
export function checkIndices(op: string, indices: Tensor, dimSize: number): void {
  const values = indices.dataSync();
  for (let i = 0; i < values.length; i++) {
    const index = values[i]!;
    if (index < 0 || index >= dimSize) {
      throw new ArgumentError(
        `${op}: index ${index} at position ${i} is out of range for a dimension of size ${dimSize} (expected 0..${dimSize - 1})`,
      );
    }
  }
}
