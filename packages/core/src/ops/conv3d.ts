import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOutputPadding, checkPaddingMode, conv2d, convTranspose2d, type PaddingMode } from './conv.js';
import { checkBias, checkGroups } from './conv1d.js';
import { isFloat } from './dispatch.js';
import { add } from './elementwise.js';
import { concat, pad, permute, reshape, scatterAdd, slice } from './movement.js';
import {
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  avgPool2d,
  checkDivisorOverride,
  maxPool2d,
  poolOutputSize,
} from './pool.js';
import { selectAlong } from './select.js';
import { triple, windowCount, type Size3d } from './unfold.js';

// Every 3-D op is built from the 2-D ones: a convolution is the sum over the kernel's depth taps of
// conv2d on the depth slices each tap reads (moved into the batch axis), and pooling, whose window
// is a box, is a 2-D pooling over height and width followed by one over depth (max, mean and their
// divisors factor over the axes). The checks come first, in 3-D terms, so that an error names the
// shapes and arguments the caller passed.

export interface Conv3dArgs {
  /** Step between windows (default 1). */
  stride?: Size3d;
  /**
   * Zeros added on each side (default 0), or 'valid' (0), or 'same' (stride 1 only: the output
   * keeps the input's size; an odd total goes to the end, as in PyTorch).
   */
  padding?: Size3d | 'same' | 'valid';
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size3d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
  /** What the padding holds (default 'zeros'; 'reflect', 'replicate', 'circular' as PyTorch's Conv3d). */
  paddingMode?: PaddingMode;
}

/**
 * Runs a 3-D op on x [N, C, D, H, W], or on unbatched x [C, D, H, W] as a batch of one, returning
 * the result without that batch axis; x must be float.
 */
export function withBatchAxis3d(op: string, x: Tensor, run: (volume: Tensor) => Tensor): Tensor {
  if (x.rank !== 5 && x.rank !== 4)
    throw new ShapeError(
      `${op}: expected an input [N, C, D, H, W] or unbatched [C, D, H, W], got shape ${formatShape(x.shape)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  if (x.rank === 5) return run(x);
  return composite(() => {
    const out = run(reshape(x, [1, ...x.shape]));
    return reshape(out, out.shape.slice(1));
  });
}

/**
 * 3-D convolution (cross-correlation, as PyTorch's `F.conv3d`) of x [N, C, D, H, W] (or unbatched
 * [C, D, H, W]) with weight [O, C/groups, kd, kh, kw] and an optional bias [O]. `paddingMode` pads
 * as PyTorch's Conv3d does (the functional form has it too, as an extension).
 */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, args: Conv3dArgs = {}): Tensor {
  return withBatchAxis3d('conv3d', x, (volume) => conv3dOfBatch(volume, weight, bias, args));
}

function conv3dOfBatch(x: Tensor, weight: Tensor, bias: Tensor | null, args: Conv3dArgs): Tensor {
  if (weight.rank !== 5) {
    throw new ShapeError(
      `conv3d: weight must be [outChannels, inChannels/groups, kd, kh, kw], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = checkGroups('conv3d', args.groups ?? 1);
  const [n, c, depth, height, width] = x.shape as [number, number, number, number, number];
  const [o, cg, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  if (c % groups !== 0 || o % groups !== 0 || cg * groups !== c) {
    throw new ShapeError(
      `conv3d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${cg} x groups and outChannels divisible by groups)`,
    );
  }
  checkBias('conv3d', bias, o);
  const stride = triple('conv3d: stride', args.stride ?? 1, 1);
  const dilation = triple('conv3d: dilation', args.dilation ?? 1, 1);
  const mode = checkPaddingMode('conv3d: paddingMode', args.paddingMode ?? 'zeros');
  const padding = args.padding ?? 0;
  if (padding === 'same' && stride.some((s) => s !== 1))
    throw new ArgumentError(`conv3d: padding 'same' needs stride 1, got ${stride.join('x')}`);
  const symmetric = typeof padding === 'string' ? [0, 0, 0] : triple('conv3d: padding', padding, 0);
  // Depth is padded here; height and width by conv2d ('same' there too, with its odd extra at the end).
  const depthTotal = dilation[0] * (kd - 1);
  const [front, back] =
    padding === 'same'
      ? [Math.floor(depthTotal / 2), depthTotal - Math.floor(depthTotal / 2)]
      : [symmetric[0]!, symmetric[0]!];
  if (padding !== 'same') {
    const sizes = [depth, height, width];
    const kernel = [kd, kh, kw];
    if (
      sizes.some((size, axis) => windowCount(size, kernel[axis]!, stride[axis]!, symmetric[axis]!, dilation[axis]!) < 1)
    )
      throw new ShapeError(
        `conv3d: a ${kernel.map((k, axis) => dilation[axis]! * (k - 1) + 1).join('x')} window (kernel ${kd}x${kh}x${kw}, dilation ${dilation.join('x')}) does not fit input ${formatShape(x.shape)} with padding ${symmetric.join('x')}`,
      );
  }
  const outD = Math.floor((depth + front + back - depthTotal - 1) / stride[0]) + 1;
  return composite(() => {
    // Rank 4 throughout, height and width as one axis (tfjs-webgpu compiles no rank-5 pad or gather).
    const planes = reshape(x, [n, c, depth, height * width]);
    const padded =
      front + back === 0
        ? planes
        : pad(
            planes,
            [
              [0, 0],
              [0, 0],
              [front, back],
            ],
            mode === 'zeros' ? 0 : { mode },
          );
    const slices = permute(padded, [0, 2, 1, 3]); // [N, D', C, H*W]: depth beside the batch
    const kernels = reshape(weight, [o, cg, kd, kh * kw]);
    let out: Tensor | null = null;
    for (let tap = 0; tap < kd; tap++) {
      const read = Array.from({ length: outD }, (_, i) => i * stride[0] + tap * dilation[0]);
      const picked = reshape(selectAlong(slices, 1, read), [n * outD, c, height, width]);
      const taps = reshape(slice(kernels, [0, 0, tap, 0], [o, cg, 1, kh * kw]), [o, cg, kh, kw]);
      // The bias joins the first tap's conv2d, at rank 4 (tfjs-webgpu broadcasts rank 5 on the CPU).
      const term = conv2d(picked, taps, tap === 0 ? bias : null, {
        stride: [stride[1], stride[2]],
        padding: padding === 'same' || padding === 'valid' ? padding : [symmetric[1]!, symmetric[2]!],
        dilation: [dilation[1], dilation[2]],
        groups,
        paddingMode: mode,
      });
      out = out === null ? term : add(out, term);
    }
    const [outH, outW] = [out!.shape[2]!, out!.shape[3]!];
    const channelsFirst = permute(reshape(out!, [n, outD, o, outH * outW]), [0, 2, 1, 3]);
    return reshape(channelsFirst, [n, o, outD, outH, outW]);
  });
}

export interface ConvTranspose3dArgs {
  /** Step between the input's positions in the output (default 1). */
  stride?: Size3d;
  /** Positions cropped from each side of the full output, dilation*(k-1) - padding zeros of the dual conv3d (default 0). */
  padding?: Size3d;
  /** Positions added at the end of each axis (default 0; less than the stride or the dilation, as in PyTorch). */
  outputPadding?: Size3d;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size3d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
}

/**
 * Transposed 3-D convolution (PyTorch's `F.conv_transpose3d`, the gradient of conv3d with respect
 * to its input) of x [N, C, D, H, W] (or unbatched [C, D, H, W]) with weight [C, O/groups, kd, kh,
 * kw] and an optional bias [O]; each output axis is (in-1)*stride - 2*padding + dilation*(k-1) +
 * outputPadding + 1. Each depth tap's convTranspose2d of every input slice is scattered (added)
 * to the output depths it reaches, id*stride + tap*dilation, then the depth is cropped.
 */
export function convTranspose3d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  args: ConvTranspose3dArgs = {},
): Tensor {
  return withBatchAxis3d('convTranspose3d', x, (volume) => convTranspose3dOfBatch(volume, weight, bias, args));
}

function convTranspose3dOfBatch(x: Tensor, weight: Tensor, bias: Tensor | null, args: ConvTranspose3dArgs): Tensor {
  if (weight.rank !== 5) {
    throw new ShapeError(
      `convTranspose3d: weight must be [inChannels, outChannels/groups, kd, kh, kw], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = checkGroups('convTranspose3d', args.groups ?? 1);
  const [n, c, depth, height, width] = x.shape as [number, number, number, number, number];
  const [wc, og, kd, kh, kw] = weight.shape as [number, number, number, number, number];
  if (wc !== c || c % groups !== 0) {
    throw new ShapeError(
      `convTranspose3d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${wc}, divisible by groups)`,
    );
  }
  const o = og * groups;
  checkBias('convTranspose3d', bias, o);
  const stride = triple('convTranspose3d: stride', args.stride ?? 1, 1);
  const padding = triple('convTranspose3d: padding', args.padding ?? 0, 0);
  const outputPadding = triple('convTranspose3d: outputPadding', args.outputPadding ?? 0, 0);
  const dilation = triple('convTranspose3d: dilation', args.dilation ?? 1, 1);
  checkOutputPadding('convTranspose3d', outputPadding, stride, dilation);
  const sizes = [depth, height, width];
  const kernel = [kd, kh, kw];
  const out = sizes.map(
    (size, axis) =>
      (size - 1) * stride[axis]! -
      2 * padding[axis]! +
      dilation[axis]! * (kernel[axis]! - 1) +
      outputPadding[axis]! +
      1,
  );
  if (out.some((size) => size < 1)) {
    throw new ShapeError(
      `convTranspose3d: input ${formatShape(x.shape)} with kernel ${kernel.join('x')}, stride ${stride.join('x')}, padding ${padding.join('x')}, dilation ${dilation.join('x')} and outputPadding ${outputPadding.join('x')} gives an empty ${out.join('x')} output`,
    );
  }
  const outD = out[0]!;
  const fullD = (depth - 1) * stride[0] + dilation[0] * (kd - 1) + 1;
  return composite(() => {
    // Rank 4 throughout, as conv3d (tfjs-webgpu compiles no rank-5 pad or gather).
    const slices = reshape(permute(reshape(x, [n, c, depth, height * width]), [0, 2, 1, 3]), [
      n * depth,
      c,
      height,
      width,
    ]);
    const kernels = reshape(weight, [c, og, kd, kh * kw]);
    const terms: Tensor[] = [];
    for (let tap = 0; tap < kd; tap++) {
      const taps = reshape(slice(kernels, [0, 0, tap, 0], [c, og, 1, kh * kw]), [c, og, kh, kw]);
      const planes = convTranspose2d(slices, taps, null, {
        stride: [stride[1], stride[2]],
        padding: [padding[1], padding[2]],
        outputPadding: [outputPadding[1], outputPadding[2]],
        dilation: [dilation[1], dilation[2]],
        groups,
      });
      terms.push(reshape(planes, [n, depth, o * out[1]! * out[2]!]));
    }
    const reach = Int32Array.from(
      { length: kd * depth },
      (_, i) => (i % depth) * stride[0] + Math.floor(i / depth) * dilation[0],
    );
    const indices = fromHost(reach, [kd * depth], { dtype: 'int32', backend: x.backend });
    let full = scatterAdd(concat(terms, 1), indices, 1, fullD); // [N, fullD, O*H'*W']
    // Crop `padding` from the front, and extend by zeros where outputPadding reaches past the end.
    const extra = Math.max(0, outD + padding[0] - fullD);
    if (extra > 0)
      full = pad(full, [
        [0, 0],
        [0, extra],
      ]);
    if (padding[0] > 0 || outD !== full.shape[1]) full = slice(full, [0, padding[0], 0], [n, outD, full.shape[2]!]);
    let result = permute(reshape(full, [n, outD, o, out[1]! * out[2]!]), [0, 2, 1, 3]);
    if (bias !== null) result = add(result, reshape(bias, [1, o, 1, 1]));
    return reshape(result, [n, o, outD, out[1]!, out[2]!]);
  });
}

export interface Pool3dArgs {
  /** Step between windows (default: the kernel size). */
  stride?: Size3d;
  /** Padding on each side (default 0; at most half the kernel, as in PyTorch). */
  padding?: Size3d;
  /** Spacing of the taps (max pooling only; default 1). */
  dilation?: Size3d;
  /** Round the window count up (default false): a last, partial window covers the end, as PyTorch's `ceil_mode`. */
  ceilMode?: boolean;
}

/** The checked kernel, stride, padding and dilation of a 3-D pooling of x [N, C, D, H, W]. */
function poolArgs(op: string, x: Tensor, kernelSize: Size3d, args: Pool3dArgs) {
  const kernel = triple(`${op}: kernelSize`, kernelSize, 1);
  const stride = triple(`${op}: stride`, args.stride ?? kernel, 1);
  const padding = triple(`${op}: padding`, args.padding ?? 0, 0);
  const dilation = triple(`${op}: dilation`, args.dilation ?? 1, 1);
  if (padding.some((p, axis) => p * 2 > kernel[axis]!))
    throw new ArgumentError(`${op}: padding ${padding.join('x')} must be at most half the kernel ${kernel.join('x')}`);
  const ceilMode = args.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean')
    throw new ArgumentError(`${op}: ceilMode must be true or false, got ${String(ceilMode)}`);
  const fits = kernel.every(
    (k, axis) => poolOutputSize(x.shape[axis + 2]!, k, stride[axis]!, padding[axis]!, dilation[axis]!, ceilMode) >= 1,
  );
  if (!fits)
    throw new ShapeError(
      `${op}: a ${kernel.map((k, axis) => dilation[axis]! * (k - 1) + 1).join('x')} window (kernel ${kernel.join('x')}, dilation ${dilation.join('x')}) does not fit input ${formatShape(x.shape)} with padding ${padding.join('x')}`,
    );
  return { kernel, stride, padding, dilation, ceilMode };
}

/**
 * A box-separable op on [N, C, D, H, W]: `planes` over height and width of every depth slice, then
 * `depths` over depth of [N, C, D, H'*W'] (its width axis left alone).
 */
function overPlanesThenDepth(x: Tensor, planes: (image: Tensor) => Tensor, depths: (image: Tensor) => Tensor): Tensor {
  return composite(() => {
    const [n, c, depth, height, width] = x.shape as [number, number, number, number, number];
    const flat = planes(reshape(x, [n, c * depth, height, width])); // [N, C*D, H', W']
    const [outH, outW] = [flat.shape[2]!, flat.shape[3]!];
    const pooled = depths(reshape(flat, [n, c, depth, outH * outW])); // [N, C, D', H'*W']
    return reshape(pooled, [n, c, pooled.shape[2]!, outH, outW]);
  });
}

/** Max over each window (PyTorch's `F.max_pool3d`) of [N, C, D, H, W] or [C, D, H, W]; the stride defaults to the kernel size. */
export function maxPool3d(x: Tensor, kernelSize: Size3d, args: Pool3dArgs = {}): Tensor {
  return withBatchAxis3d('maxPool3d', x, (volume) => {
    const { kernel, stride, padding, dilation, ceilMode } = poolArgs('maxPool3d', volume, kernelSize, args);
    return overPlanesThenDepth(
      volume,
      (image) =>
        maxPool2d(image, [kernel[1], kernel[2]], {
          stride: [stride[1], stride[2]],
          padding: [padding[1], padding[2]],
          dilation: [dilation[1], dilation[2]],
          ceilMode,
        }),
      (image) =>
        maxPool2d(image, [kernel[0], 1], {
          stride: [stride[0], 1],
          padding: [padding[0], 0],
          dilation: [dilation[0], 1],
          ceilMode,
        }),
    );
  });
}

export interface AvgPool3dArgs extends Omit<Pool3dArgs, 'dilation'> {
  /** Count the padding zeros in each window's mean (default true, as in PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this (a non-zero integer) instead of its count, as PyTorch's `divisor_override`. */
  divisorOverride?: number | null;
}

/**
 * Mean over each window (PyTorch's `F.avg_pool3d`) of [N, C, D, H, W] or [C, D, H, W]; the stride
 * defaults to the kernel size. The divisor (taps inside the padded input, or inside the input) is
 * the product of its counts per axis, so the two 2-D poolings give it exactly.
 */
export function avgPool3d(x: Tensor, kernelSize: Size3d, args: AvgPool3dArgs = {}): Tensor {
  return withBatchAxis3d('avgPool3d', x, (volume) => {
    const { kernel, stride, padding, ceilMode } = poolArgs('avgPool3d', volume, kernelSize, { ...args, dilation: 1 });
    const countIncludePad = args.countIncludePad ?? true;
    // With divisorOverride: the planes' window sums (divisor 1), then the depth's sums over it.
    const divisorOverride = checkDivisorOverride('avgPool3d', args.divisorOverride);
    return overPlanesThenDepth(
      volume,
      (image) =>
        avgPool2d(image, [kernel[1], kernel[2]], {
          stride: [stride[1], stride[2]],
          padding: [padding[1], padding[2]],
          ceilMode,
          countIncludePad,
          divisorOverride: divisorOverride === null ? null : 1,
        }),
      (image) =>
        avgPool2d(image, [kernel[0], 1], {
          stride: [stride[0], 1],
          padding: [padding[0], 0],
          ceilMode,
          countIncludePad,
          divisorOverride,
        }),
    );
  });
}

/** An adaptive 3-D pooling's output size: a number for every axis, or [depth, height, width] with null keeping an axis. */
export type AdaptiveSize3d = number | readonly [number | null, number | null, number | null];

function adaptiveSizes(op: string, x: Tensor, outputSize: AdaptiveSize3d): [number, number, number] {
  const requested = typeof outputSize === 'number' ? [outputSize, outputSize, outputSize] : outputSize;
  if (!Array.isArray(requested) || requested.length !== 3)
    throw new ArgumentError(
      `${op}: outputSize must be a positive integer or [depth, height, width] of them (or null), got ${JSON.stringify(outputSize)}`,
    );
  const sizes = requested.map((size: number | null, axis) => size ?? x.shape[axis + 2]!);
  return triple(`${op}: outputSize`, sizes as [number, number, number], 1);
}

/**
 * Averages [N, C, D, H, W] (or [C, D, H, W]) over PyTorch's adaptive bins (bin i of an axis of
 * size S into n spans [floor(i*S/n), ceil((i+1)*S/n))), as `F.adaptive_avg_pool3d`; null in
 * outputSize keeps that axis.
 */
export function adaptiveAvgPool3d(x: Tensor, outputSize: AdaptiveSize3d): Tensor {
  return withBatchAxis3d('adaptiveAvgPool3d', x, (volume) => {
    const [outD, outH, outW] = adaptiveSizes('adaptiveAvgPool3d', volume, outputSize);
    return overPlanesThenDepth(
      volume,
      (image) => adaptiveAvgPool2d(image, [outH, outW]),
      (image) => adaptiveAvgPool2d(image, [outD, null]),
    );
  });
}

/**
 * Maxima of [N, C, D, H, W] (or [C, D, H, W]) over PyTorch's adaptive bins, like
 * `F.adaptive_max_pool3d` without indices; null in outputSize keeps that axis.
 */
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize3d): Tensor {
  return withBatchAxis3d('adaptiveMaxPool3d', x, (volume) => {
    const [outD, outH, outW] = adaptiveSizes('adaptiveMaxPool3d', volume, outputSize);
    return overPlanesThenDepth(
      volume,
      (image) => adaptiveMaxPool2d(image, [outH, outW]),
      (image) => adaptiveMaxPool2d(image, [outD, null]),
    );
  });
}
