import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { withBatchAxis } from './conv.js';
import { div } from './elementwise.js';
import { maxPool2dFused } from './fused.js';
import { matmul } from './linalg.js';
import { pad, reshape } from './movement.js';
import { max, mean } from './reduce.js';
import { selectAlong } from './select.js';
import { pair, unfold, unfoldOptions, type Size2d } from './unfold.js';

export interface Pool2dArgs {
  /** Step between windows (default: the kernel size). */
  stride?: Size2d;
  /** Padding on each side (default 0; at most half the kernel, as in PyTorch). */
  padding?: Size2d;
  /** Spacing of the taps (max pooling only; default 1). */
  dilation?: Size2d;
  /**
   * Round the window count up, not down (default false): a last, partial window covers the end,
   * if it starts inside the input or the left padding (PyTorch's `ceil_mode`).
   */
  ceilMode?: boolean;
}

/**
 * PyTorch's pooling output size along one axis: floor (or ceil) of (size + 2p - d(k-1) - 1) / s,
 * plus 1, less the last window in ceil mode when it would start in the right padding.
 */
export function poolOutputSize(size: number, k: number, s: number, p: number, d: number, ceilMode: boolean): number {
  let out = Math.floor((size + 2 * p - d * (k - 1) - 1 + (ceilMode ? s - 1 : 0)) / s) + 1;
  if (ceilMode && (out - 1) * s >= size + p) out--;
  return out;
}

function poolOptions(op: string, x: Tensor, kernelSize: Size2d, args: Pool2dArgs) {
  const kernel = pair(`${op}: kernelSize`, kernelSize, 1);
  const options = unfoldOptions(op, kernel, {
    stride: args.stride ?? kernel,
    padding: args.padding ?? 0,
    dilation: args.dilation ?? 1,
  });
  if (options.padding[0] * 2 > kernel[0] || options.padding[1] * 2 > kernel[1]) {
    throw new ArgumentError(
      `${op}: padding ${options.padding.join('x')} must be at most half the kernel ${kernel.join('x')}`,
    );
  }
  const ceilMode = args.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean')
    throw new ArgumentError(`${op}: ceilMode must be true or false, got ${String(ceilMode)}`);
  const [outH, outW] = [0, 1].map((axis) =>
    poolOutputSize(
      x.shape[axis + 2]!,
      kernel[axis]!,
      options.stride[axis]!,
      options.padding[axis]!,
      options.dilation[axis]!,
      ceilMode,
    ),
  ) as [number, number];
  if (outH < 1 || outW < 1) {
    const extent = kernel.map((k, i) => options.dilation[i]! * (k - 1) + 1);
    throw new ShapeError(
      `${op}: a ${extent.join('x')} window (kernel ${kernel.join('x')}, dilation ${options.dilation.join('x')}) does not fit input ${formatShape(x.shape)} with padding ${options.padding.join('x')}`,
    );
  }
  // Ceil mode's last window may reach past the right padding: that much more, bottom and right.
  const [extraH, extraW] = [0, 1].map((axis) =>
    Math.max(
      0,
      ([outH, outW][axis]! - 1) * options.stride[axis]! +
        options.dilation[axis]! * (kernel[axis]! - 1) +
        1 -
        (x.shape[axis + 2]! + 2 * options.padding[axis]!),
    ),
  ) as [number, number];
  return { options, outH, outW, extraH, extraW };
}

/**
 * Windows as [N*C, kh*kw, outH*outW] of x [N, C, H, W] padded with `padValue` (and in ceil mode
 * past the end), reduced by the caller over axis 1. Rank 3 on purpose: tfjs-webgpu runs
 * broadcasts (the reductions' gradients) of rank 5 on the CPU.
 */
function windows(op: string, x: Tensor, kernelSize: Size2d, args: Pool2dArgs, padValue: number) {
  const { options, outH, outW, extraH, extraW } = poolOptions(op, x, kernelSize, args);
  const [n, c] = x.shape as [number, number];
  const [ph, pw] = options.padding;
  // Max pooling pads with -Infinity (never picked); unfold's own padding is zeros.
  const ownPadding = extraH + extraW === 0 && (padValue === 0 || ph + pw === 0);
  const input = ownPadding
    ? x
    : pad(
        x,
        [
          [0, 0],
          [0, 0],
          [ph, ph + extraH],
          [pw, pw + extraW],
        ],
        padValue,
      );
  const cols = unfold(input, options.kernelSize, ownPadding ? options : { ...options, padding: [0, 0] as const });
  const k = options.kernelSize[0] * options.kernelSize[1];
  return { cols: reshape(cols, [n * c, k, outH * outW]), options, outH, outW, extraH, extraW, n, c };
}

/**
 * The windows of a max pooling of x [N, C, H, W] as [N*C, kh*kw, outH*outW] (-Infinity in the
 * padding, as maxPool2d's composed path reduces them), with the resolved window arguments.
 */
export function maxPoolWindows(op: string, x: Tensor, kernelSize: Size2d, args: Pool2dArgs) {
  return windows(op, x, kernelSize, args, -Infinity);
}

/**
 * Max over each window (PyTorch's `F.max_pool2d`) of [N, C, H, W] or unbatched [C, H, W]; the
 * stride defaults to the kernel size.
 */
export function maxPool2d(x: Tensor, kernelSize: Size2d, args: Pool2dArgs = {}): Tensor {
  return withBatchAxis('maxPool2d', x, (image) => {
    const fused = image.backend.fused;
    if (fused?.maxPool2d !== undefined && fused.maxPool2dBackward !== undefined) {
      const { options, extraH, extraW } = poolOptions('maxPool2d', image, kernelSize, args);
      if (extraH + extraW === 0) return maxPool2dFused(image, options);
      // Ceil mode: -Infinity past the end, then the kernel's own padding gives the same windows.
      return composite(() =>
        maxPool2dFused(
          pad(
            image,
            [
              [0, 0],
              [0, 0],
              [0, extraH],
              [0, extraW],
            ],
            -Infinity,
          ),
          options,
        ),
      );
    }
    return composite(() => {
      const { cols, outH, outW, n, c } = windows('maxPool2d', image, kernelSize, args, -Infinity);
      return reshape(max(cols, 1), [n, c, outH, outW]);
    });
  });
}

export interface AvgPool2dArgs extends Omit<Pool2dArgs, 'dilation'> {
  /** Count the padding zeros in each window's mean (default true, as in PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this (a non-zero integer) instead of its count, as PyTorch's `divisor_override`. */
  divisorOverride?: number | null;
}

/** Checks a pooling's divisorOverride: null (none) or a non-zero integer, as PyTorch takes it. */
export function checkDivisorOverride(op: string, divisor: unknown): number | null {
  if (divisor === null || divisor === undefined) return null;
  if (typeof divisor !== 'number' || !Number.isInteger(divisor) || divisor === 0)
    throw new ArgumentError(
      `${op}: divisorOverride must be a non-zero integer or null, got ${JSON.stringify(divisor)}`,
    );
  return divisor;
}

/**
 * Mean over each window (PyTorch's `F.avg_pool2d`) of [N, C, H, W] or unbatched [C, H, W]; the
 * stride defaults to the kernel size. A ceil-mode window past the right padding is divided by its
 * taps inside the padded input, as in PyTorch; divisorOverride replaces every divisor.
 */
export function avgPool2d(x: Tensor, kernelSize: Size2d, args: AvgPool2dArgs = {}): Tensor {
  return withBatchAxis('avgPool2d', x, (image) =>
    composite(() => {
      const { cols, options, outH, outW, extraH, extraW, n, c } = windows(
        'avgPool2d',
        image,
        kernelSize,
        { ...args, dilation: 1 },
        0,
      );
      const [ph, pw] = options.padding;
      const includePad = args.countIncludePad ?? true;
      const divisorOverride = checkDivisorOverride('avgPool2d', args.divisorOverride);
      if (divisorOverride !== null) return reshape(div(cols.sum(1), divisorOverride), [n, c, outH, outW]);
      if (extraH + extraW === 0 && (includePad || ph + pw === 0)) return reshape(mean(cols, 1), [n, c, outH, outW]);
      // Divide each window's sum by its taps inside the padded image (countIncludePad) or the image.
      const [height, width] = [image.shape[2]!, image.shape[3]!];
      const taps = (start: number, k: number, size: number, p: number) => {
        const end = Math.min(start + k, size + p);
        return includePad ? end - start : Math.min(end, size) - Math.max(start, 0);
      };
      const counts = new Float64Array(outH * outW);
      for (let i = 0; i < outH; i++)
        for (let j = 0; j < outW; j++)
          counts[i * outW + j] =
            taps(i * options.stride[0] - ph, options.kernelSize[0], height, ph) *
            taps(j * options.stride[1] - pw, options.kernelSize[1], width, pw);
      const divisor = fromHost(counts, [outH * outW], { dtype: image.dtype, backend: image.backend });
      return reshape(div(cols.sum(1), divisor), [n, c, outH, outW]);
    }),
  );
}

/** An adaptive pooling's output size: a number for both axes, or [height, width] with null keeping an axis. */
export type AdaptiveSize2d = number | readonly [number | null, number | null];

/** PyTorch's adaptive bin i of an axis of `size` into `count`: [floor(i*size/count), ceil((i+1)*size/count)). */
function adaptiveBin(i: number, size: number, count: number): [number, number] {
  return [Math.floor((i * size) / count), Math.ceil(((i + 1) * size) / count)];
}

function adaptiveSizes(op: string, x: Tensor, outputSize: AdaptiveSize2d): [number, number] {
  const requested = typeof outputSize === 'number' ? [outputSize, outputSize] : outputSize;
  const out: [number, number] = [requested[0] ?? x.shape[2]!, requested[1] ?? x.shape[3]!];
  pair(`${op}: outputSize`, out, 1);
  return out;
}

/**
 * Averages [N, C, H, W] (or [C, H, W]) over PyTorch's adaptive bins (bin i of an axis of size S
 * into n spans [floor(i*S/n), ceil((i+1)*S/n))): two matrix products with constant averaging
 * matrices, exact for any sizes. `null` in outputSize keeps that axis.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize2d): Tensor {
  return withBatchAxis('adaptiveAvgPool2d', x, (image) => {
    const [height, width] = [image.shape[2]!, image.shape[3]!];
    const [outH, outW] = adaptiveSizes('adaptiveAvgPool2d', image, outputSize);
    const bins = (size: number, count: number, transposed: boolean): Tensor => {
      const values = new Float64Array(size * count);
      for (let i = 0; i < count; i++) {
        const [start, end] = adaptiveBin(i, size, count);
        for (let s = start; s < end; s++) values[transposed ? s * count + i : i * size + s] = 1 / (end - start);
      }
      return fromHost(values, transposed ? [size, count] : [count, size], {
        dtype: image.dtype,
        backend: image.backend,
      });
    };
    return composite(() => {
      if (outH === 1 && outW === 1) return mean(image, [2, 3], true);
      if (height % outH === 0 && width % outW === 0) return avgPool2d(image, [height / outH, width / outW]);
      const rows = outH === height ? image : matmul(bins(height, outH, false), image); // [N, C, outH, W]
      return outW === width ? rows : matmul(rows, bins(width, outW, true)); // [N, C, outH, outW]
    });
  });
}

/**
 * Maxima of [N, C, H, W] (or [C, H, W]) over PyTorch's adaptive bins (as adaptiveAvgPool2d's),
 * like `F.adaptive_max_pool2d` without indices. Max over a rectangle is the max over its rows of
 * the max over its columns: per axis, one gather of every bin's elements (padded to the widest
 * bin with -Infinity) and a max, so every backend runs and differentiates it. `null` keeps an axis.
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize2d): Tensor {
  return withBatchAxis('adaptiveMaxPool2d', x, (image) => {
    const [n, c, height, width] = image.shape as [number, number, number, number];
    const [outH, outW] = adaptiveSizes('adaptiveMaxPool2d', image, outputSize);
    if (height % outH === 0 && width % outW === 0) return maxPool2d(image, [height / outH, width / outW]);
    return composite(() => {
      let out = image;
      for (const axis of [3, 2] as const) {
        const size = out.shape[axis]!;
        const count = axis === 2 ? outH : outW;
        if (count === size) continue;
        const bins = Array.from({ length: count }, (_, i) => adaptiveBin(i, size, count));
        const widest = Math.max(...bins.map(([start, end]) => end - start));
        // Taps past a bin's end read the -Infinity appended at index `size`.
        const indices = bins.flatMap(([start, end]) =>
          Array.from({ length: widest }, (_, t) => (start + t < end ? start + t : size)),
        );
        const padded = pad(
          out,
          axis === 2
            ? [
                [0, 0],
                [0, 0],
                [0, 1],
              ]
            : [
                [0, 0],
                [0, 0],
                [0, 0],
                [0, 1],
              ],
          -Infinity,
        );
        const picked = selectAlong(padded, axis, indices); // the bins' taps along `axis`
        const [rows, columns] = [out.shape[2]!, out.shape[3]!];
        out =
          axis === 3
            ? reshape(max(reshape(picked, [n * c * rows, count, widest]), 2), [n, c, rows, count])
            : reshape(max(reshape(picked, [n * c * count, widest, columns]), 1), [n, c, count, columns]);
      }
      return out;
    });
  });
}
