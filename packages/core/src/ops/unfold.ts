import type { Shape, UnfoldOptions } from '../backend/contract.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat, runPrimitive } from './dispatch.js';
import { reshape, slice } from './movement.js';

/** A size for both spatial axes, or [height, width]. */
export type Size2d = number | readonly [number, number];

/** A size along the one spatial axis of [N, C, L] data: a number, or [length] as PyTorch's 1-tuples. */
export type Size1d = number | readonly [number];

/** A size for the three spatial axes of [N, C, D, H, W] data: a number for all, or [depth, height, width]. */
export type Size3d = number | readonly [number, number, number];

export interface UnfoldArgs {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /** Zeros added on both sides of each spatial axis (default 0). */
  padding?: Size2d;
  /** Spacing of the taps inside a window (default 1). */
  dilation?: Size2d;
}

/** `[n, n]` for a number, the pair itself otherwise; every entry checked to be an integer >= `min`. */
export function pair(what: string, value: Size2d, min: number): [number, number] {
  const out: [number, number] = typeof value === 'number' ? [value, value] : [value[0], value[1]];
  if (!Array.isArray(value) && typeof value !== 'number') {
    throw new ArgumentError(`${what} must be a number or [height, width], got ${String(value)}`);
  }
  if ((Array.isArray(value) && value.length !== 2) || out.some((v) => !Number.isInteger(v) || v < min)) {
    throw new ArgumentError(
      `${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(value as unknown)}`,
    );
  }
  return out;
}

/** `[n, n, n]` for a number, the triple itself otherwise; every entry checked to be an integer >= `min`. */
export function triple(what: string, value: Size3d, min: number): [number, number, number] {
  const out = (typeof value === 'number' ? [value, value, value] : value) as unknown;
  if (
    !Array.isArray(out) ||
    out.length !== 3 ||
    out.some((v) => typeof v !== 'number' || !Number.isInteger(v) || v < min)
  ) {
    throw new ArgumentError(
      `${what} must be an integer >= ${min} or [depth, height, width] of them, got ${JSON.stringify(value as unknown)}`,
    );
  }
  return [out[0] as number, out[1] as number, out[2] as number];
}

/** The number in a 1-D size (`n` or `[n]`), checked to be an integer >= `min`. */
export function single(what: string, value: Size1d, min: number): number {
  const out = Array.isArray(value) && value.length === 1 ? (value[0] as unknown) : value;
  if (typeof out !== 'number' || !Number.isInteger(out) || out < min) {
    throw new ArgumentError(`${what} must be an integer >= ${min} or [one of them], got ${JSON.stringify(value)}`);
  }
  return out;
}

/** Resolves and checks the window arguments of `unfold` (frozen, as recorded on the tape). */
export function unfoldOptions(op: string, kernelSize: Size2d, args: UnfoldArgs = {}): UnfoldOptions {
  return Object.freeze({
    kernelSize: Object.freeze(pair(`${op}: kernelSize`, kernelSize, 1)),
    stride: Object.freeze(pair(`${op}: stride`, args.stride ?? 1, 1)),
    padding: Object.freeze(pair(`${op}: padding`, args.padding ?? 0, 0)),
    dilation: Object.freeze(pair(`${op}: dilation`, args.dilation ?? 1, 1)),
  });
}

/** The number of window positions along one axis: floor((size + 2p - d(k-1) - 1) / s) + 1. */
export function windowCount(size: number, k: number, s: number, p: number, d: number): number {
  return Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;
}

/** [outH, outW] of `unfold` over an NCHW shape; throws when the window does not fit. */
export function unfoldOutputSize(op: string, shape: Shape, o: UnfoldOptions): [number, number] {
  if (shape.length !== 4) {
    throw new ShapeError(`${op}: expected an NCHW input of rank 4, got shape ${formatShape(shape)}`);
  }
  const outH = windowCount(shape[2]!, o.kernelSize[0], o.stride[0], o.padding[0], o.dilation[0]);
  const outW = windowCount(shape[3]!, o.kernelSize[1], o.stride[1], o.padding[1], o.dilation[1]);
  if (outH < 1 || outW < 1) {
    const extent = o.kernelSize.map((k, i) => o.dilation[i]! * (k - 1) + 1);
    throw new ShapeError(
      `${op}: a ${extent.join('x')} window (kernel ${o.kernelSize.join('x')}, dilation ${o.dilation.join('x')}) does not fit input ${formatShape(shape)} with padding ${o.padding.join('x')}`,
    );
  }
  return [outH, outW];
}

/**
 * Sliding windows (im2col) of an NCHW float tensor, PyTorch's `F.unfold`: [N, C, H, W] ->
 * [N, C*kh*kw, L] with L = outH*outW window positions and zero padding. Convolution is this
 * followed by a matrix product, pooling this followed by a reduction. One primitive.
 */
export function unfold(x: Tensor, kernelSize: Size2d, args: UnfoldArgs = {}): Tensor {
  const options = unfoldOptions('unfold', kernelSize, args);
  if (!isFloat(x.dtype)) throw new DTypeError(`unfold: expected a float input, got dtype ${x.dtype}`);
  const [outH, outW] = unfoldOutputSize('unfold', x.shape, options);
  const [n, c] = x.shape as [number, number];
  const outShape = Object.freeze([n, c * options.kernelSize[0] * options.kernelSize[1], outH * outW]);
  return runPrimitive('unfold', [x], options, outShape, x.dtype, (h) => x.backend.unfold(h!, options));
}

/**
 * For each tap k = i*kw + j and window position l = oh*outW + ow, the flat index of the input
 * element it reads in the PADDED image [Hp, Wp]: the index map of unfold as a gather.
 */
function windowIndices(height: number, width: number, o: UnfoldOptions): Int32Array {
  const [kh, kw] = o.kernelSize;
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation;
  const outH = windowCount(height, kh, sh, o.padding[0], dh);
  const outW = windowCount(width, kw, sw, o.padding[1], dw);
  const paddedWidth = width + 2 * o.padding[1];
  const out = new Int32Array(kh * kw * outH * outW);
  let t = 0;
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let oh = 0; oh < outH; oh++) {
        const row = (oh * sh + i * dh) * paddedWidth + j * dw;
        for (let ow = 0; ow < outW; ow++) out[t++] = row + ow * sw;
      }
  return out;
}

/**
 * The adjoint of `unfold` (col2im, PyTorch's `F.fold` with the same arguments): adds each
 * column entry back at the input position it was read from; overlapping windows accumulate.
 * `cols` is [N, C*kh*kw, L]; the result is [N, C, outputSize...].
 *
 * Composed, not a primitive: unfold is a gather with a fixed index map over the padded image,
 * so its adjoint is scatterAdd with that map (which every backend already has) followed by a
 * slice that drops the padding. A second kernel per backend would add no capability; backends
 * that do better offer fused convolution kernels instead.
 */
export function fold(cols: Tensor, outputSize: Size2d, kernelSize: Size2d, args: UnfoldArgs = {}): Tensor {
  const options = unfoldOptions('fold', kernelSize, args);
  const [height, width] = pair('fold: outputSize', outputSize, 1);
  if (!isFloat(cols.dtype)) throw new DTypeError(`fold: expected a float input, got dtype ${cols.dtype}`);
  const [kh, kw] = options.kernelSize;
  const [outH, outW] = unfoldOutputSize('fold', [1, 1, height, width], options);
  const [n, rows, length] = cols.shape as [number, number, number];
  if (cols.rank !== 3 || rows % (kh * kw) !== 0 || length !== outH * outW) {
    throw new ShapeError(
      `fold: expected columns [N, C*${kh * kw}, ${outH * outW}] for output ${height}x${width}, got ${formatShape(cols.shape)}`,
    );
  }
  const channels = rows / (kh * kw);
  const [ph, pw] = options.padding;
  const paddedSize = (height + 2 * ph) * (width + 2 * pw);
  return composite(() => {
    const indices = fromHost(windowIndices(height, width, options), [kh * kw * length], {
      dtype: 'int32',
      backend: cols.backend,
    });
    const updates = reshape(cols, [n, channels, kh * kw * length]);
    // The map is valid by construction: the scatterAdd kernel runs without reading it back to check.
    const attrs = { axis: 2, dimSize: paddedSize };
    const scattered = runPrimitive(
      'scatterAdd',
      [updates, indices],
      attrs,
      [n, channels, paddedSize],
      cols.dtype,
      (u, i) => cols.backend.scatterAdd(u!, i!, 2, paddedSize),
    );
    const image = reshape(scattered, [n, channels, height + 2 * ph, width + 2 * pw]);
    return ph === 0 && pw === 0 ? image : slice(image, [0, 0, ph, pw], [n, channels, height, width]);
  });
}
