import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkOutputPadding, conv2d, convTranspose2d, type PaddingMode } from './conv.js';
import { adaptiveAvgPool2d, avgPool2d, checkDivisorOverride, maxPool2d, poolOutputSize } from './pool.js';
import { isFloat } from './dispatch.js';
import { reshape } from './movement.js';
import { single, windowCount, type Size1d } from './unfold.js';

// Every 1-D op runs as its 2-D form on [N, C, 1, L] with a kernel one row high, so the backends'
// fused conv and pooling kernels and every gradient rule serve it unchanged. The checks come first,
// in 1-D terms, so that an error names the shapes and arguments the caller passed.

export interface Conv1dArgs {
  /** Step between windows (default 1). */
  stride?: Size1d;
  /**
   * Zeros added on each side (default 0), or 'valid' (0), or 'same' (stride 1 only: the output
   * keeps the input's length; an odd total goes to the right, as in PyTorch).
   */
  padding?: Size1d | 'same' | 'valid';
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size1d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
  /** What the padding holds (default 'zeros'; 'reflect', 'replicate', 'circular' as PyTorch's Conv1d). */
  paddingMode?: PaddingMode;
}

/**
 * Checks x is [N, C, L] or unbatched [C, L] and returns its shape as an image [N, C, 1, L]
 * (unbatched as N = 1), and the way back for a result [N, O, 1, L'] (called inside `composite`).
 */
function asImage(op: string, x: Tensor): { shape: [number, number, 1, number]; back: (out: Tensor) => Tensor } {
  if (x.rank !== 3 && x.rank !== 2) {
    throw new ShapeError(`${op}: expected an input [N, C, L] or unbatched [C, L], got shape ${formatShape(x.shape)}`);
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  const unbatched = x.rank === 2;
  const [n, c, length] = (unbatched ? [1, ...x.shape] : x.shape) as [number, number, number];
  return {
    shape: [n, c, 1, length],
    back: (out) => reshape(out, unbatched ? [out.shape[1]!, out.shape[3]!] : [n, out.shape[1]!, out.shape[3]!]),
  };
}

export function checkGroups(op: string, groups: number): number {
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`${op}: groups must be a positive integer, got ${groups}`);
  return groups;
}

export function checkBias(op: string, bias: Tensor | null, channels: number): void {
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== channels)) {
    throw new ShapeError(`${op}: bias must be [${channels}], got ${formatShape(bias.shape)}`);
  }
}

/** Throws unless a window of `kernel` taps spaced `dilation` apart fits the padded length at least once. */
function checkWindowFits(op: string, x: Tensor, kernel: number, stride: number, padding: number, dilation: number) {
  if (windowCount(x.shape[x.rank - 1]!, kernel, stride, padding, dilation) < 1) {
    throw new ShapeError(
      `${op}: a window of ${dilation * (kernel - 1) + 1} (kernel ${kernel}, dilation ${dilation}) does not fit input ${formatShape(x.shape)} with padding ${padding}`,
    );
  }
}

/**
 * 1-D convolution (cross-correlation, as PyTorch's `F.conv1d`) of x [N, C, L] (or unbatched
 * [C, L]) with weight [O, C/groups, k] and an optional bias [O].
 */
export function conv1d(x: Tensor, weight: Tensor, bias: Tensor | null = null, args: Conv1dArgs = {}): Tensor {
  const { shape, back } = asImage('conv1d', x);
  if (weight.rank !== 3) {
    throw new ShapeError(
      `conv1d: weight must be [outChannels, inChannels/groups, k], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = checkGroups('conv1d', args.groups ?? 1);
  const c = shape[1];
  const [o, cg, k] = weight.shape as [number, number, number];
  if (c % groups !== 0 || o % groups !== 0 || cg * groups !== c) {
    throw new ShapeError(
      `conv1d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${cg} x groups and outChannels divisible by groups)`,
    );
  }
  checkBias('conv1d', bias, o);
  const stride = single('conv1d: stride', args.stride ?? 1, 1);
  const dilation = single('conv1d: dilation', args.dilation ?? 1, 1);
  const padding = args.padding ?? 0;
  if (padding === 'same' && stride !== 1)
    throw new ArgumentError(`conv1d: padding 'same' needs stride 1, got ${stride}`);
  const symmetric = padding === 'same' || padding === 'valid' ? padding : single('conv1d: padding', padding, 0);
  // 'same' pads the dilated kernel's full extent, so its window always fits.
  if (symmetric !== 'same') checkWindowFits('conv1d', x, k, stride, symmetric === 'valid' ? 0 : symmetric, dilation);
  return composite(() =>
    back(
      conv2d(reshape(x, shape), reshape(weight, [o, cg, 1, k]), bias, {
        stride: [1, stride],
        padding: typeof symmetric === 'number' ? [0, symmetric] : symmetric,
        dilation: [1, dilation],
        groups,
        paddingMode: args.paddingMode ?? 'zeros',
      }),
    ),
  );
}

export interface ConvTranspose1dArgs {
  /** Step between the input's positions in the output (default 1). */
  stride?: Size1d;
  /** Positions cropped from each end of the full output, dilation*(k-1) - padding zeros of the dual conv1d (default 0). */
  padding?: Size1d;
  /** Positions added at the end (default 0; less than the stride or the dilation, as in PyTorch). */
  outputPadding?: Size1d;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size1d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
}

/**
 * Transposed 1-D convolution (PyTorch's `F.conv_transpose1d`, the gradient of conv1d with respect
 * to its input) of x [N, C, L] (or unbatched [C, L]) with weight [C, O/groups, k] and an optional
 * bias [O]; the output length is (L-1)*stride - 2*padding + dilation*(k-1) + outputPadding + 1.
 */
export function convTranspose1d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  args: ConvTranspose1dArgs = {},
): Tensor {
  const { shape, back } = asImage('convTranspose1d', x);
  if (weight.rank !== 3) {
    throw new ShapeError(
      `convTranspose1d: weight must be [inChannels, outChannels/groups, k], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = checkGroups('convTranspose1d', args.groups ?? 1);
  const [, c, , length] = shape;
  const [wc, og, k] = weight.shape as [number, number, number];
  if (wc !== c || c % groups !== 0) {
    throw new ShapeError(
      `convTranspose1d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${wc}, divisible by groups)`,
    );
  }
  checkBias('convTranspose1d', bias, og * groups);
  const stride = single('convTranspose1d: stride', args.stride ?? 1, 1);
  const padding = single('convTranspose1d: padding', args.padding ?? 0, 0);
  const outputPadding = single('convTranspose1d: outputPadding', args.outputPadding ?? 0, 0);
  const dilation = single('convTranspose1d: dilation', args.dilation ?? 1, 1);
  checkOutputPadding('convTranspose1d', [outputPadding], [stride], [dilation]);
  const outLength = (length - 1) * stride - 2 * padding + dilation * (k - 1) + outputPadding + 1;
  if (outLength < 1) {
    throw new ShapeError(
      `convTranspose1d: input ${formatShape(x.shape)} with kernel ${k}, stride ${stride}, padding ${padding}, dilation ${dilation} and outputPadding ${outputPadding} gives an empty output of length ${outLength}`,
    );
  }
  return composite(() =>
    back(
      convTranspose2d(reshape(x, shape), reshape(weight, [wc, og, 1, k]), bias, {
        stride: [1, stride],
        padding: [0, padding],
        outputPadding: [0, outputPadding],
        dilation: [1, dilation],
        groups,
      }),
    ),
  );
}

export interface Pool1dArgs {
  /** Step between windows (default: the kernel size). */
  stride?: Size1d;
  /** Padding on each side (default 0; at most half the kernel, as in PyTorch). */
  padding?: Size1d;
  /** Spacing of the taps (max pooling only; default 1). */
  dilation?: Size1d;
  /** Round the window count up (default false): a last, partial window covers the end, as PyTorch's `ceil_mode`. */
  ceilMode?: boolean;
}

/** The checked kernel, stride, padding and dilation of a 1-D pooling. */
function poolArgs(op: string, x: Tensor, kernelSize: Size1d, args: Pool1dArgs) {
  const kernel = single(`${op}: kernelSize`, kernelSize, 1);
  const stride = single(`${op}: stride`, args.stride ?? kernel, 1);
  const padding = single(`${op}: padding`, args.padding ?? 0, 0);
  const dilation = single(`${op}: dilation`, args.dilation ?? 1, 1);
  if (padding * 2 > kernel)
    throw new ArgumentError(`${op}: padding ${padding} must be at most half the kernel ${kernel}`);
  const ceilMode = args.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean')
    throw new ArgumentError(`${op}: ceilMode must be true or false, got ${String(ceilMode)}`);
  if (poolOutputSize(x.shape[x.rank - 1]!, kernel, stride, padding, dilation, ceilMode) < 1)
    throw new ShapeError(
      `${op}: a window of ${dilation * (kernel - 1) + 1} (kernel ${kernel}, dilation ${dilation}) does not fit input ${formatShape(x.shape)} with padding ${padding}`,
    );
  return { kernel, stride, padding, dilation, ceilMode };
}

/** Max over each window (PyTorch's `F.max_pool1d`) of [N, C, L] or [C, L]; the stride defaults to the kernel size. */
export function maxPool1d(x: Tensor, kernelSize: Size1d, args: Pool1dArgs = {}): Tensor {
  const { shape, back } = asImage('maxPool1d', x);
  const { kernel, stride, padding, dilation, ceilMode } = poolArgs('maxPool1d', x, kernelSize, args);
  return composite(() =>
    back(
      maxPool2d(reshape(x, shape), [1, kernel], {
        stride: [1, stride],
        padding: [0, padding],
        dilation: [1, dilation],
        ceilMode,
      }),
    ),
  );
}

export interface AvgPool1dArgs extends Omit<Pool1dArgs, 'dilation'> {
  /** Count the padding zeros in each window's mean (default true, as in PyTorch). */
  countIncludePad?: boolean;
  /** Divide every window's sum by this (a non-zero integer) instead of its count, as PyTorch's `divisor_override`. */
  divisorOverride?: number | null;
}

/** Mean over each window (PyTorch's `F.avg_pool1d`) of [N, C, L] or [C, L]; the stride defaults to the kernel size. */
export function avgPool1d(x: Tensor, kernelSize: Size1d, args: AvgPool1dArgs = {}): Tensor {
  const { shape, back } = asImage('avgPool1d', x);
  const { kernel, stride, padding, ceilMode } = poolArgs('avgPool1d', x, kernelSize, { ...args, dilation: 1 });
  return composite(() =>
    back(
      avgPool2d(reshape(x, shape), [1, kernel], {
        stride: [1, stride],
        padding: [0, padding],
        ceilMode,
        countIncludePad: args.countIncludePad ?? true,
        divisorOverride: checkDivisorOverride('avgPool1d', args.divisorOverride),
      }),
    ),
  );
}

/**
 * Averages [N, C, L] (or [C, L]) into `outputSize` positions over PyTorch's adaptive bins
 * (bin i spans [floor(i*L/n), ceil((i+1)*L/n))), as `F.adaptive_avg_pool1d`.
 */
export function adaptiveAvgPool1d(x: Tensor, outputSize: Size1d): Tensor {
  const { shape, back } = asImage('adaptiveAvgPool1d', x);
  const size = single('adaptiveAvgPool1d: outputSize', outputSize, 1);
  return composite(() => back(adaptiveAvgPool2d(reshape(x, shape), [1, size])));
}
