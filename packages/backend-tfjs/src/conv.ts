// The fused convolution kernels (conv2d, conv2dBackward) on tfjs's own convolutions: tf.fused.conv2d
// (bias added in the same kernel), tf.conv2dTranspose and the Conv2DBackpropFilter kernel. Myelin is
// NCHW and tfjs convolves NHWC only (its 'NCHW' dataFormat is refused by wasm and by the fused
// op), so inputs and results are transposed around each call. What tfjs lacks is mapped here:
//  - dilation: tfjs refuses stride and dilation both above 1 and has no dilated gradients, so a
//    dilated kernel is convolved as the undilated kernel with zeros between its taps (its
//    gradient is then every dilation-th tap of the dilated kernel's gradient);
//  - groups: tfjs has no grouped convolution (depthwise only), so each group convolves its own
//    channel slice and the results are concatenated (on webgpu a forward pass whose groups have
//    one input channel each runs as one depthwise convolution, which is much faster there);
//  - tfjs-backend-wasm 4.22 registers no Conv2DBackpropFilter: there the weight gradient is itself
//    a convolution (channels as the batch, the batch as channels, dy as the filter, the stride as
//    dilation), on wasm's XNNPACK Conv2D;
//  - tfjs-backend-wasm 4.22's Conv2DBackpropInput is a plain loop, 5-10x slower than its XNNPACK
//    Conv2D: there the input gradient is the convolution of dy (spread by the stride, padded by
//    k - 1 - pad) with the filter turned 180 degrees and its channels swapped;
//  - tfjs-backend-wasm 4.22's Conv2D and FusedConv2D are wrong for a filter that is not square
//    (3x4: wrong values; 4x3: writes out of bounds and corrupts the wasm heap): there a filter is
//    padded with zero taps to a square and the input with as many zero rows or columns at the end.
// Every function runs inside the caller's tf.tidy.
import { sizeOf, type Conv2dKernelOptions } from '@myelin/core/backend';
import { filled, requireDType, type KernelContext, type Tensor } from './context.js';

type Pair = readonly [number, number];
type Quad = [number, number, number, number];
/** tfjs's explicit padding argument for NHWC. */
type TfPad = [[number, number], [number, number], [number, number], [number, number]];

/** Zero padding as tfjs takes it, from [top, bottom, left, right]. */
function explicitPad([top, bottom, left, right]: Quad): TfPad {
  // Always explicit: tfjs 4.22 sizes the output of a numeric pad with the filter's height and the
  // stride's first entry for both axes, wrong for a non-square filter or stride (conv3d's slices).
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

/** Symmetric padding [height, width] as tfjs takes it. */
export function tfPad([ph, pw]: Pair): TfPad {
  return explicitPad([ph, ph, pw, pw]);
}

/** tfjs backends whose Conv2D/FusedConv2D only work with square filters (see above). */
const SQUARE_FILTER_TFJS_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/**
 * tf.conv2d (tf.fused.conv2d with a bias) of NHWC x with an HWIO filter. A non-square filter on a
 * backend that needs square ones gets zero taps at its end, and the input as many zeros (times
 * the dilation) at its end, so the output and every sum are unchanged.
 */
function convolve(
  ctx: KernelContext,
  x: Tensor,
  filter: Tensor,
  strides: Pair,
  pads: Quad,
  dilations: Pair,
  bias: Tensor | null = null,
): Tensor {
  const { tf } = ctx;
  let f = filter;
  let p = pads;
  const [kh, kw] = filter.shape as Quad;
  if (kh !== kw && SQUARE_FILTER_TFJS_BACKENDS.has(tf.getBackend())) {
    const k = Math.max(kh, kw);
    f = tf.pad(f, [
      [0, k - kh],
      [0, k - kw],
      [0, 0],
      [0, 0],
    ]);
    p = [pads[0], pads[1] + dilations[0] * (k - kh), pads[2], pads[3] + dilations[1] * (k - kw)];
  }
  const args = {
    x: x as never,
    filter: f as never,
    strides: [strides[0], strides[1]] as [number, number],
    pad: explicitPad(p),
    dilations: [dilations[0], dilations[1]] as [number, number],
  };
  return bias === null
    ? tf.conv2d(args.x, args.filter, args.strides, args.pad, 'NHWC', args.dilations)
    : tf.fused.conv2d({ ...args, bias });
}

/** One side of the output: floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1. */
export function outputExtent(extent: number, k: number, stride: number, pad: number, dilation: number): number {
  return Math.floor((extent + 2 * pad - dilation * (k - 1) - 1) / stride) + 1;
}

/**
 * [kh, kw, cg, o] (tfjs's HWIO) with dilation - 1 zeros between the taps of each axis: the axis
 * and the ones after it folded to [k, 1, rest], padded to [k, d, rest], unfolded to k d taps and
 * cut after the last one (rank 3 at most: tfjs-webgpu 4.22 fails to compile a rank-5 pad).
 */
function dilateFilter(ctx: KernelContext, filter: Tensor, dilation: Pair): Tensor {
  const { tf } = ctx;
  let f = filter;
  for (const axis of [0, 1] as const) {
    const d = dilation[axis];
    if (d === 1) continue;
    const shape = [...f.shape] as Quad;
    const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
    const k = shape[axis];
    const rest = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    const spread = tf.pad(tf.reshape(f, [outer * k, 1, rest]), [
      [0, 0],
      [0, d - 1],
      [0, 0],
    ]);
    const taps = (k - 1) * d + 1;
    const cut = tf.slice(tf.reshape(spread, [outer, k * d, rest]), [0, 0, 0], [outer, taps, rest]);
    const dilated = [...shape];
    dilated[axis] = taps;
    f = tf.reshape(cut, dilated);
  }
  return f;
}

/** Every dilation-th tap of a dilated filter's gradient: the gradient of the undilated filter. */
function undilateFilter(ctx: KernelContext, grad: Tensor, dilation: Pair): Tensor {
  if (dilation[0] === 1 && dilation[1] === 1) return grad;
  return ctx.tf.stridedSlice(grad, [0, 0, 0, 0], grad.shape, [dilation[0], dilation[1], 1, 1]);
}

/** Runs `fn` per group on channel slices of the NHWC tensors given, concatenating along channels. */
function perGroup(ctx: KernelContext, groups: number, fn: (group: number) => Tensor, axis: number): Tensor {
  if (groups === 1) return fn(0);
  return ctx.tf.concat(
    Array.from({ length: groups }, (_, g) => fn(g)),
    axis,
  );
}

/** Channels [group * size, (group + 1) * size) of `t` along `axis` (all of it for one group). */
function channels(ctx: KernelContext, t: Tensor, axis: number, group: number, size: number): Tensor {
  if (t.shape[axis] === size) return t;
  const begin = t.shape.map(() => 0);
  begin[axis] = group * size;
  const extent = [...t.shape];
  extent[axis] = size;
  return ctx.tf.slice(t, begin, extent);
}

/** The weight [o, cg, kh, kw] as tfjs's filter [kh, kw, cg, o], dilated. */
function toFilter(ctx: KernelContext, weight: Tensor, dilation: Pair): Tensor {
  return dilateFilter(ctx, ctx.tf.transpose(weight, [2, 3, 1, 0]), dilation);
}

const NCHW_TO_NHWC = [0, 2, 3, 1];
const NHWC_TO_NCHW = [0, 3, 1, 2];

export function conv2d(
  ctx: KernelContext,
  x: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  options: Conv2dKernelOptions,
): Tensor {
  const { tf } = ctx;
  for (const t of bias === null ? [x, weight] : [x, weight, bias]) requireDType(ctx, 'conv2d', t, ['float32']);
  const [n, , h, w] = x.shape as Quad;
  const [o, cg, kh, kw] = weight.shape as Quad;
  const { stride, padding, dilation, groups } = options;
  const outH = outputExtent(h, kh, stride[0], padding[0], dilation[0]);
  const outW = outputExtent(w, kw, stride[1], padding[1], dilation[1]);
  const outShape = [n, o, outH, outW];
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, 'float32');
  if (x.size === 0 || weight.size === 0) {
    // No taps: the bias alone (or zeros).
    const zeros = filled(tf, outShape, 0, 'float32');
    return bias === null ? zeros : tf.add(zeros, tf.reshape(bias, [1, o, 1, 1]));
  }
  const og = o / groups;
  const input = tf.transpose(x, NCHW_TO_NHWC);
  const filter = toFilter(ctx, weight, dilation);
  if (cg === 1 && DEPTHWISE_FOR_ONE_CHANNEL_TFJS_BACKENDS.has(tf.getBackend())) {
    return tf.transpose(depthwise(ctx, input, filter, stride, padding, groups, og, bias), NHWC_TO_NCHW);
  }
  const y = perGroup(
    ctx,
    groups,
    (g) =>
      convolve(
        ctx,
        channels(ctx, input, 3, g, cg),
        channels(ctx, filter, 3, g, og),
        stride,
        [padding[0], padding[0], padding[1], padding[1]],
        [1, 1],
        bias === null ? null : channels(ctx, bias, 0, g, og),
      ),
    3,
  );
  return tf.transpose(y, NHWC_TO_NCHW);
}

export interface Conv2dGradients {
  input: Tensor | null;
  weight: Tensor | null;
  bias: Tensor | null;
}

export function conv2dBackward(
  ctx: KernelContext,
  grad: Tensor,
  x: Tensor,
  weight: Tensor,
  options: Conv2dKernelOptions,
  needs: { input: boolean; weight: boolean; bias: boolean },
): Conv2dGradients {
  const { tf } = ctx;
  for (const t of [grad, x, weight]) requireDType(ctx, 'conv2dBackward', t, ['float32']);
  const [n, c, h, w] = x.shape as Quad;
  const [o, cg, kh, kw] = weight.shape as Quad;
  const { stride, padding, dilation, groups } = options;
  const og = o / groups;
  const empty = grad.size === 0 || x.size === 0 || weight.size === 0;
  const bias = needs.bias ? (grad.size === 0 ? filled(tf, [o], 0, 'float32') : tf.sum(grad, [0, 2, 3])) : null;
  if (empty) {
    return {
      input: needs.input ? filled(tf, x.shape, 0, 'float32') : null,
      weight: needs.weight ? filled(tf, weight.shape, 0, 'float32') : null,
      bias,
    };
  }
  const strides: [number, number] = [stride[0], stride[1]];
  const nativeFilterGradient = needs.weight && hasFilterGradient(ctx);
  const dy = needs.input || nativeFilterGradient ? tf.transpose(grad, NCHW_TO_NHWC) : null;
  let input: Tensor | null = null;
  if (needs.input) {
    const filter = toFilter(ctx, weight, dilation);
    const asConvolution = CONVOLVE_INPUT_GRADIENT_TFJS_BACKENDS.has(tf.getBackend());
    const flipped = asConvolution ? tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) : null; // [kh, kw, o, cg]
    const dx = perGroup(
      ctx,
      groups,
      (g) =>
        flipped === null
          ? tf.conv2dTranspose(
              channels(ctx, dy!, 3, g, og) as never,
              channels(ctx, filter, 3, g, og) as never,
              [n, h, w, cg],
              strides,
              tfPad(padding),
            )
          : inputGradientAsConvolution(
              ctx,
              channels(ctx, dy!, 3, g, og),
              channels(ctx, flipped, 2, g, og),
              h,
              w,
              options,
            ),
      3,
    );
    input = tf.transpose(dx, NHWC_TO_NCHW);
  }
  let weightGrad: Tensor | null = null;
  if (needs.weight) {
    const kEff: Pair = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
    let filterGrad: Tensor; // [kEff0, kEff1, cg, o]
    if (nativeFilterGradient) {
      const xs = tf.transpose(x, NCHW_TO_NHWC);
      filterGrad = perGroup(
        ctx,
        groups,
        (g) =>
          // No public op: the kernel tfjs's own conv2d gradient runs.
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: channels(ctx, xs, 3, g, cg), dy: channels(ctx, dy!, 3, g, og) },
              { strides, pad: tfPad(padding), dataFormat: 'NHWC', filterShape: [kEff[0], kEff[1], cg, og] },
            ) as Tensor,
        3,
      );
    } else {
      filterGrad = filterGradientAsConvolution(ctx, x, grad, options, kEff, c, o);
    }
    weightGrad = tf.transpose(undilateFilter(ctx, filterGrad, dilation), [3, 2, 0, 1]);
  }
  return { input, weight: weightGrad, bias };
}

/**
 * tfjs backends where a convolution with one input channel per group runs much faster as a
 * depthwise convolution: tfjs-webgpu 4.22 takes 1.3 s for LeNet's first layer (batch 64, one
 * input channel) on a software adapter as Conv2D, 0.13-0.23 s as DepthwiseConv2dNative.
 */
const DEPTHWISE_FOR_ONE_CHANNEL_TFJS_BACKENDS: ReadonlySet<string> = new Set(['webgpu']);

/**
 * A convolution whose groups each have one input channel (c = groups) as one depthwise
 * convolution: the filter [kh, kw, 1, o] as [kh, kw, groups, og], output channel g og + m from
 * input channel g, which is PyTorch's grouping. NHWC in and out.
 */
function depthwise(
  ctx: KernelContext,
  input: Tensor,
  filter: Tensor,
  stride: Pair,
  padding: Pair,
  groups: number,
  og: number,
  bias: Tensor | null,
): Tensor {
  const { tf } = ctx;
  const [k0, k1] = filter.shape as Quad;
  // The fused depthwise op takes no explicit padding and sizes a numeric one wrongly for a
  // non-square filter or stride (see explicitPad): pad the input itself, then 'valid'.
  const x = padding[0] + padding[1] > 0 ? tf.pad(input, tfPad(padding)) : input;
  return tf.fused.depthwiseConv2d({
    x: x as never,
    filter: tf.reshape(filter, [k0, k1, groups, og]) as never,
    strides: [stride[0], stride[1]],
    pad: 'valid',
    ...(bias === null ? {} : { bias }),
  });
}

/** tfjs backends whose Conv2DBackpropInput is much slower than their Conv2D (see above). */
const CONVOLVE_INPUT_GRADIENT_TFJS_BACKENDS: ReadonlySet<string> = new Set(['wasm']);

/** Inserts stride - 1 zeros between the rows and columns of NHWC `t` (the strided output's spacing). */
function spread(ctx: KernelContext, t: Tensor, stride: Pair): Tensor {
  const { tf } = ctx;
  if (stride[0] === 1 && stride[1] === 1) return t;
  const [n, oh, ow, ch] = t.shape as Quad;
  const rows = tf.pad(tf.reshape(t, [n * oh, 1, ow * ch]), [
    [0, 0],
    [0, stride[0] - 1],
    [0, 0],
  ]);
  const tallH = (oh - 1) * stride[0] + 1;
  const tall = tf.slice(tf.reshape(rows, [n, oh * stride[0], ow * ch]), [0, 0, 0], [n, tallH, ow * ch]);
  const cols = tf.pad(tf.reshape(tall, [n * tallH * ow, 1, ch]), [
    [0, 0],
    [0, stride[1] - 1],
    [0, 0],
  ]);
  const wideW = (ow - 1) * stride[1] + 1;
  return tf.slice(tf.reshape(cols, [n, tallH, ow * stride[1], ch]), [0, 0, 0, 0], [n, tallH, wideW, ch]);
}

/**
 * dx of a convolution as a convolution: dy [N, outH, outW, og] spread by the stride and padded
 * by kEff - 1 - pad before (and what reaches the input's extent after), convolved with stride 1
 * by `flipped` [kEff0, kEff1, og, cg] (the dilated filter turned 180 degrees, channels swapped).
 * Where the padding exceeds kEff - 1 the ends are cut instead. Returns [N, h, w, cg].
 */
function inputGradientAsConvolution(
  ctx: KernelContext,
  dy: Tensor,
  flipped: Tensor,
  h: number,
  w: number,
  options: Conv2dKernelOptions,
): Tensor {
  const { tf } = ctx;
  const [k0, k1] = flipped.shape as Quad;
  const spreadDy = spread(ctx, dy, options.stride);
  const [, sh, sw] = spreadDy.shape as Quad;
  // Output row r reads spread rows r - before .. r - before + k - 1: before = k - 1 - pad.
  const before: Pair = [k0 - 1 - options.padding[0], k1 - 1 - options.padding[1]];
  const after: Pair = [h + k0 - 1 - before[0] - sh, w + k1 - 1 - before[1] - sw];
  if (Math.min(...before, ...after) >= 0) {
    return convolve(ctx, spreadDy, flipped, [1, 1], [before[0], after[0], before[1], after[1]], [1, 1]);
  }
  // Padding larger than the kernel: pad by what is non-negative, then cut the rest.
  const full = convolve(
    ctx,
    spreadDy,
    flipped,
    [1, 1],
    [Math.max(0, before[0]), Math.max(0, after[0]), Math.max(0, before[1]), Math.max(0, after[1])],
    [1, 1],
  );
  return tf.slice(
    full,
    [0, Math.max(0, -before[0]), Math.max(0, -before[1]), 0],
    [dy.shape[0]!, h, w, flipped.shape[3]!],
  );
}

/**
 * Whether the weight gradient runs as tfjs's Conv2DBackpropFilter kernel: not on wasm, which has
 * none in 4.22 (nor where someone registered one there: the convolution below is what we want),
 * nor on a backend without one.
 */
function hasFilterGradient(ctx: KernelContext): boolean {
  const backend = ctx.tf.getBackend();
  return backend !== 'wasm' && ctx.tf.getKernel('Conv2DBackpropFilter', backend) !== undefined;
}

/**
 * dW[i, j, ci, co] = sum over b, oh, ow of x[b, ci, oh s + i, ow s + j] dy[b, co, oh, ow] (padded
 * x, the filter's dilation already spread into its taps): a convolution of x as [C, H, W, N]
 * (channels as the batch) with dy as the filter [outH, outW, N, O], stride 1 and dilation s,
 * whose first kEff rows and columns are the gradient. Returns [kEff0, kEff1, cg, o].
 */
function filterGradientAsConvolution(
  ctx: KernelContext,
  x: Tensor,
  grad: Tensor,
  options: Conv2dKernelOptions,
  kEff: Pair,
  c: number,
  o: number,
): Tensor {
  const { tf } = ctx;
  const { stride, padding, groups } = options;
  const cg = c / groups;
  const og = o / groups;
  const images = tf.transpose(x, [1, 2, 3, 0]); // [C, H, W, N]
  const filters = tf.transpose(grad, [2, 3, 0, 1]); // [outH, outW, N, O]
  const perGroupGrad = (g: number): Tensor => {
    const full = convolve(
      ctx,
      channels(ctx, images, 0, g, cg),
      channels(ctx, filters, 3, g, og),
      [1, 1],
      [padding[0], padding[0], padding[1], padding[1]],
      stride,
    ); // [cg, >= kEff0, >= kEff1, og]
    const cut = tf.slice(full, [0, 0, 0, 0], [cg, kEff[0], kEff[1], og]);
    return tf.transpose(cut, [1, 2, 0, 3]); // [kEff0, kEff1, cg, og]
  };
  return perGroup(ctx, groups, perGroupGrad, 3);
}
