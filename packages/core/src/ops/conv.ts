import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { add } from './elementwise.js';
import { conv2dFused } from './fused.js';
import { matmul } from './linalg.js';
import { pad, reshape, slice } from './movement.js';
import { fold, pair, unfold, unfoldOptions, unfoldOutputSize, type Size2d } from './unfold.js';

export interface Conv2dArgs {
  /** Step between windows (default 1). */
  stride?: Size2d;
  /**
   * Zeros added on each side (default 0), or 'valid' (0), or 'same' (stride 1 only: the output
   * keeps the input's size; an odd total goes to the bottom/right, as in PyTorch).
   */
  padding?: Size2d | 'same' | 'valid';
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size2d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
  /** What the padding holds (default 'zeros'; 'reflect', 'replicate', 'circular' as PyTorch's Conv2d). */
  paddingMode?: PaddingMode;
}

/** How Conv2d/Conv1d pad (PyTorch's padding_mode): zeros, or F.pad's reflect, replicate or circular copies of the input. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

export const PADDING_MODES: readonly PaddingMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

/** Checks a convolution's padding mode. */
export function checkPaddingMode(what: string, mode: unknown): PaddingMode {
  if (typeof mode === 'string' && (PADDING_MODES as readonly string[]).includes(mode)) return mode as PaddingMode;
  throw new ArgumentError(
    `${what} must be ${PADDING_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`,
  );
}

/**
 * Runs a 2-D op on x [N, C, H, W], or on unbatched x [C, H, W] (as PyTorch's 2-D ops take it) as
 * a batch of one, returning the result without that batch axis; x must be float.
 */
export function withBatchAxis(op: string, x: Tensor, run: (image: Tensor) => Tensor): Tensor {
  if (x.rank !== 4 && x.rank !== 3)
    throw new ShapeError(
      `${op}: expected an input [N, C, H, W] or unbatched [C, H, W], got shape ${formatShape(x.shape)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  if (x.rank === 4) return run(x);
  return composite(() => {
    const out = run(reshape(x, [1, ...x.shape]));
    return reshape(out, out.shape.slice(1));
  });
}

/** 'same' padding as [top, bottom, left, right] for a kernel and dilation (stride 1). */
function samePadding(kernel: [number, number], dilation: [number, number]): [number, number, number, number] {
  const totalH = dilation[0] * (kernel[0] - 1);
  const totalW = dilation[1] * (kernel[1] - 1);
  return [
    Math.floor(totalH / 2),
    totalH - Math.floor(totalH / 2),
    Math.floor(totalW / 2),
    totalW - Math.floor(totalW / 2),
  ];
}

/**
 * 2-D convolution (cross-correlation, as PyTorch's `F.conv2d`) of x [N, C, H, W] (or unbatched
 * [C, H, W]) with weight [O, C/groups, kh, kw] and an optional bias [O]: unfold (im2col) then one
 * batched matrix product, so it runs, and differentiates, on every backend. `paddingMode` pads as
 * PyTorch's Conv2d does (the functional form has it too, as an extension).
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, args: Conv2dArgs = {}): Tensor {
  return withBatchAxis('conv2d', x, (image) => conv2dOfBatch(image, weight, bias, args));
}

function conv2dOfBatch(x: Tensor, weight: Tensor, bias: Tensor | null, args: Conv2dArgs): Tensor {
  if (weight.rank !== 4) {
    throw new ShapeError(
      `conv2d: weight must be [outChannels, inChannels/groups, kh, kw], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`conv2d: groups must be a positive integer, got ${groups}`);
  const [n, c] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  if (c % groups !== 0 || o % groups !== 0 || cg * groups !== c) {
    throw new ShapeError(
      `conv2d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${cg} x groups and outChannels divisible by groups)`,
    );
  }
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new ShapeError(`conv2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  }
  const dilation = pair('conv2d: dilation', args.dilation ?? 1, 1);
  const stride = pair('conv2d: stride', args.stride ?? 1, 1);
  const padding = args.padding ?? 0;
  let extra: [number, number, number, number] | null = null;
  let symmetric: Size2d = 0;
  if (padding === 'same') {
    if (stride[0] !== 1 || stride[1] !== 1)
      throw new ArgumentError(`conv2d: padding 'same' needs stride 1, got ${stride.join('x')}`);
    const [top, bottom, left, right] = samePadding([kh, kw], dilation);
    if (top === bottom && left === right) symmetric = [top, left];
    else extra = [top, bottom, left, right];
  } else if (padding !== 'valid') symmetric = padding;
  const mode = checkPaddingMode('conv2d: paddingMode', args.paddingMode ?? 'zeros');
  const [ph, pw] = pair('conv2d: padding', symmetric, 0);
  if (mode !== 'zeros' && (extra !== null || ph + pw > 0)) {
    // PyTorch's Conv2d: F.pad with the mode, then a convolution without padding.
    const [top, bottom, left, right] = extra ?? [ph, ph, pw, pw];
    const paddings = [
      [0, 0],
      [0, 0],
      [top, bottom],
      [left, right],
    ] as const;
    return composite(() => conv2dOfBatch(pad(x, paddings, { mode }), weight, bias, { stride, dilation, groups }));
  }
  const options = unfoldOptions('conv2d', [kh, kw], { stride, padding: symmetric, dilation });
  const fused = x.backend.fused;
  if (
    extra === null &&
    fused?.conv2d !== undefined &&
    fused.conv2dBackward !== undefined &&
    weight.dtype === x.dtype &&
    (bias === null || bias.dtype === x.dtype) &&
    weight.backend === x.backend &&
    (bias === null || bias.backend === x.backend)
  ) {
    // One kernel each way (im2col + GEMM where the backend has it).
    return conv2dFused(x, weight, bias, {
      stride: options.stride,
      padding: options.padding,
      dilation: options.dilation,
      groups,
    });
  }
  return composite(() => {
    const input =
      extra === null
        ? x
        : pad(x, [
            [0, 0],
            [0, 0],
            [extra[0], extra[1]],
            [extra[2], extra[3]],
          ]);
    const [outH, outW] = unfoldOutputSize('conv2d', input.shape, options);
    const cols = unfold(input, [kh, kw], options); // [N, C*kh*kw, L]
    const k = cg * kh * kw;
    let out: Tensor;
    if (groups === 1) {
      out = matmul(reshape(weight, [o, k]), cols); // [N, O, L]
    } else {
      const grouped = reshape(cols, [n, groups, k, outH * outW]);
      out = matmul(reshape(weight, [groups, o / groups, k]), grouped); // [N, groups, O/groups, L]
    }
    out = reshape(out, [n, o, outH, outW]);
    return bias === null ? out : add(out, reshape(bias, [1, o, 1, 1]));
  });
}

export interface ConvTranspose2dArgs {
  /** Step between the input's positions in the output (default 1). */
  stride?: Size2d;
  /** Rows and columns cropped from each side of the full output, dilation*(k-1) - padding zeros of the dual conv2d (default 0). */
  padding?: Size2d;
  /** Rows and columns added at the bottom and right (default 0; less than the stride or the dilation, as in PyTorch). */
  outputPadding?: Size2d;
  /** Spacing of the kernel taps (default 1). */
  dilation?: Size2d;
  /** Split channels into this many independent groups (default 1; in and out channels divisible). */
  groups?: number;
}

/** PyTorch's rule for transposed convolutions: outputPadding below the stride or the dilation, per axis (1-D, 2-D or 3-D). */
export function checkOutputPadding(
  op: string,
  outputPadding: readonly number[],
  stride: readonly number[],
  dilation: readonly number[],
): void {
  if (outputPadding.some((p, axis) => p >= Math.max(stride[axis]!, dilation[axis]!))) {
    throw new ArgumentError(
      `${op}: outputPadding ${outputPadding.join('x')} must be smaller than the stride ${stride.join('x')} or the dilation ${dilation.join('x')}`,
    );
  }
}

/**
 * Transposed 2-D convolution (PyTorch's `F.conv_transpose2d`, the gradient of conv2d with
 * respect to its input) of x [N, C, H, W] (or unbatched [C, H, W]) with weight [C, O/groups, kh, kw] and an optional
 * bias [O]. The output is [N, O, outH, outW] with outH = (H-1)*stride - 2*padding +
 * dilation*(kh-1) + outputPadding + 1. One (grouped) matrix product gives each input position's
 * contribution as columns, and `fold` adds them into the image, so it runs and differentiates
 * on every backend.
 */
export function convTranspose2d(
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null = null,
  args: ConvTranspose2dArgs = {},
): Tensor {
  return withBatchAxis('convTranspose2d', x, (image) => convTranspose2dOfBatch(image, weight, bias, args));
}

function convTranspose2dOfBatch(x: Tensor, weight: Tensor, bias: Tensor | null, args: ConvTranspose2dArgs): Tensor {
  if (weight.rank !== 4) {
    throw new ShapeError(
      `convTranspose2d: weight must be [inChannels, outChannels/groups, kh, kw], got ${formatShape(weight.shape)}`,
    );
  }
  const groups = args.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1)
    throw new ArgumentError(`convTranspose2d: groups must be a positive integer, got ${groups}`);
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const [wc, og, kh, kw] = weight.shape as [number, number, number, number];
  if (wc !== c || c % groups !== 0) {
    throw new ShapeError(
      `convTranspose2d: input ${formatShape(x.shape)} with ${groups} group(s) does not fit weight ${formatShape(weight.shape)} (need inChannels = ${wc}, divisible by groups)`,
    );
  }
  const o = og * groups;
  if (bias !== null && (bias.rank !== 1 || bias.shape[0] !== o)) {
    throw new ShapeError(`convTranspose2d: bias must be [${o}], got ${formatShape(bias.shape)}`);
  }
  const options = unfoldOptions('convTranspose2d', [kh, kw], args);
  const { stride, padding, dilation } = options;
  const outputPadding = pair('convTranspose2d: outputPadding', args.outputPadding ?? 0, 0);
  checkOutputPadding('convTranspose2d', outputPadding, stride, dilation);
  // The full output before cropping: every input position's kernel footprint, padding 0.
  const full = [0, 1].map(
    (axis) => ([height, width][axis]! - 1) * stride[axis]! + dilation[axis]! * ([kh, kw][axis]! - 1) + 1,
  ) as [number, number];
  const [outH, outW] = [0, 1].map((axis) => full[axis]! - 2 * padding[axis]! + outputPadding[axis]!) as [
    number,
    number,
  ];
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `convTranspose2d: input ${formatShape(x.shape)} with kernel ${kh}x${kw}, stride ${stride.join('x')}, padding ${padding.join('x')}, dilation ${dilation.join('x')} and outputPadding ${outputPadding.join('x')} gives an empty ${outH}x${outW} output`,
    );
  }
  return composite(() => {
    const cg = c / groups;
    const k = og * kh * kw;
    // cols[n, (o, i, j), l] = sum over the group's input channels of w[c, o, i, j] * x[n, c, l].
    const inputs = reshape(x, [n, groups, cg, height * width]);
    const taps = reshape(weight, [groups, cg, k]);
    const cols = reshape(matmul(taps, inputs, { transposeA: true }), [n, o * kh * kw, height * width]);
    // Folded with padding 0 the window count is exactly H x W; then crop `padding` from the top
    // and left and keep outH x outW, extended by zeros where outputPadding reaches past the end.
    let image = fold(cols, full, [kh, kw], { stride, dilation });
    const [extraH, extraW] = [Math.max(0, outH + padding[0] - full[0]), Math.max(0, outW + padding[1] - full[1])];
    if (extraH + extraW > 0)
      image = pad(image, [
        [0, 0],
        [0, 0],
        [0, extraH],
        [0, extraW],
      ]);
    if (padding[0] + padding[1] > 0 || outH !== full[0] + extraH || outW !== full[1] + extraW)
      image = slice(image, [0, 0, padding[0], padding[1]], [n, o, outH, outW]);
    return bias === null ? image : add(image, reshape(bias, [1, o, 1, 1]));
  });
}
