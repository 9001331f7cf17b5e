// The fused max-pooling kernels (maxPool2d, maxPool2dBackward). The forward pass is tf.maxPool
// (on NCHW viewed as one-channel NHWC images) where tfjs has it, i.e. without dilation; with dilation it
// gathers each window's taps and takes their max. The backward pass is not tfjs's MaxPoolGrad:
// that sends a window's whole gradient to one tap, where the contract shares it among ties (a
// ReLU's zeros tie often). Instead, in NCHW with gathers and elementwise ops only:
//   count[w] = the number of taps of window w equal to its max y[w] (taps outside the image read
//              NaN, never equal), share[w] = grad[w] / count[w];
//   dx[p]    = sum over the windows w holding pixel p of (x[p] == y[w]) * share[w],
// the windows of each pixel listed in a constant index map (padded with a sentinel window whose
// max is NaN and share 0). A NaN max has count 0 and an infinite or NaN share: 0 * share puts
// NaN on each of its taps, as the contract asks. Windows that tile the image (stride = kernel, no
// padding or dilation) take a path without gathers. Every function runs inside the caller's tf.tidy.
import { sizeOf, type UnfoldOptions } from '@myelin/core/backend';
import { filled, requireDType, type KernelContext, type Tensor } from './context.js';
import { outputExtent, tfPad } from './conv.js';
import { cast } from './elementwise.js';
import { cachedIndexMap } from './index-maps.js';

type Quad = [number, number, number, number];

interface Windows {
  h: number;
  w: number;
  outH: number;
  outW: number;
  /** Taps per window, kh kw. */
  taps: number;
}

function windows(x: Tensor, o: UnfoldOptions): Windows {
  const [, , h, w] = x.shape as Quad;
  const [kh, kw] = o.kernelSize;
  return {
    h,
    w,
    outH: outputExtent(h, kh, o.stride[0], o.padding[0], o.dilation[0]),
    outW: outputExtent(w, kw, o.stride[1], o.padding[1], o.dilation[1]),
    taps: kh * kw,
  };
}

const geometryKey = (g: Windows, o: UnfoldOptions) =>
  `${g.h},${g.w},${o.kernelSize.join()},${o.stride.join()},${o.padding.join()},${o.dilation.join()}`;

/** Calls visit(window, tap, pixel) for each tap of each window; pixel -1 outside the image. */
function eachTap(g: Windows, o: UnfoldOptions, visit: (window: number, tap: number, pixel: number) => void): void {
  const [kh, kw] = o.kernelSize;
  for (let oh = 0; oh < g.outH; oh++)
    for (let ow = 0; ow < g.outW; ow++)
      for (let i = 0; i < kh; i++) {
        const row = oh * o.stride[0] - o.padding[0] + i * o.dilation[0];
        for (let j = 0; j < kw; j++) {
          const col = ow * o.stride[1] - o.padding[1] + j * o.dilation[1];
          const inside = row >= 0 && row < g.h && col >= 0 && col < g.w;
          visit(oh * g.outW + ow, i * kw + j, inside ? row * g.w + col : -1);
        }
      }
}

/** [taps, L]: the flat pixel each tap of each window reads, h w (one past the image) outside it. */
function tapMap(ctx: KernelContext, g: Windows, o: UnfoldOptions): Tensor {
  return cachedIndexMap(ctx, `pool-taps:${geometryKey(g, o)}`, () => {
    const windowsCount = g.outH * g.outW;
    const values = new Int32Array(g.taps * windowsCount);
    eachTap(g, o, (window, tap, pixel) => (values[tap * windowsCount + window] = pixel < 0 ? g.h * g.w : pixel));
    return values;
  });
}

/**
 * [R, h w]: slot r of pixel p holds the r-th window containing p, or L (one past the windows);
 * R is the most windows any pixel is in (1 when windows tile the image).
 */
function windowMap(ctx: KernelContext, g: Windows, o: UnfoldOptions): { map: Tensor; slots: number } {
  const key = geometryKey(g, o);
  const pixels = g.h * g.w;
  const map = cachedIndexMap(ctx, `pool-windows:${key}`, () => {
    const lists: number[][] = Array.from({ length: pixels }, () => []);
    eachTap(g, o, (window, _tap, pixel) => {
      if (pixel >= 0) lists[pixel]!.push(window);
    });
    const slots = lists.reduce((most, list) => Math.max(most, list.length), 1);
    const values = new Int32Array(slots * pixels).fill(g.outH * g.outW);
    lists.forEach((list, p) => list.forEach((window, r) => (values[r * pixels + p] = window)));
    return values;
  });
  return { map, slots: map.size / pixels };
}

export function maxPool2d(ctx: KernelContext, x: Tensor, o: UnfoldOptions): Tensor {
  const { tf } = ctx;
  requireDType(ctx, 'maxPool2d', x, ['float32']);
  const [n, c] = x.shape as Quad;
  const g = windows(x, o);
  const outShape = [n, c, g.outH, g.outW];
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, 'float32');
  if (o.dilation[0] === 1 && o.dilation[1] === 1) {
    // Pooling is per channel: NCHW viewed as NHWC images of one channel needs no transposes.
    const pool = (t: Tensor): Tensor =>
      tf.maxPool(
        tf.reshape(t, [n * c, g.h, g.w, 1]) as never,
        [o.kernelSize[0], o.kernelSize[1]],
        [o.stride[0], o.stride[1]],
        tfPad(o.padding),
      );
    // tfjs's MaxPool skips NaN (wasm's XNNPACK even returns -Infinity for a padded window with
    // one): a window holding a NaN gives NaN, as the contract asks. Where reading is cheap (host
    // memory), one check of the whole input spares the masks when there is none.
    const y = pool(x);
    if (ctx.hostMemory && tf.any(tf.isNaN(x)).dataSync()[0] === 0) return tf.reshape(y, outShape);
    const hasNan = tf.greater(pool(cast(ctx, tf.isNaN(x), 'float32')), tf.zerosLike(y));
    return tf.reshape(tf.where(hasNan, filled(tf, y.shape, NaN, 'float32'), y), outShape);
  }
  // Dilated: each window's taps (-Infinity outside the image, never picked), then their max.
  const rows = tf.concat([tf.reshape(x, [n * c, g.h * g.w]), filled(tf, [n * c, 1], -Infinity, 'float32')], 1);
  const cols = tf.reshape(tf.gather(rows, tapMap(ctx, g, o), 1), [n * c, g.taps, g.outH * g.outW]);
  return tf.reshape(tf.max(cols, 1), outShape);
}

/** Whether the windows tile the image: stride = kernel, no padding, no dilation (LeNet's pools). */
function tiles(o: UnfoldOptions): boolean {
  return (
    o.stride[0] === o.kernelSize[0] &&
    o.stride[1] === o.kernelSize[1] &&
    o.padding[0] === 0 &&
    o.padding[1] === 0 &&
    o.dilation[0] === 1 &&
    o.dilation[1] === 1
  );
}

/**
 * maxPool2dBackward for windows that tile the image, without gathers (tfjs-wasm's GatherV2 is
 * an element-by-element loop, ~25x slower than these ops): each window's rows of x viewed as
 * [planes outH, kh, outW, kw] against y broadcast to that shape (as 0 + y: tfjs-wasm's Tile is as
 * slow as its gather, its broadcasting add is XNNPACK's), ties counted over the kh and kw axes.
 */
function tiledBackward(ctx: KernelContext, grad: Tensor, x: Tensor, y: Tensor, g: Windows, o: UnfoldOptions): Tensor {
  const { tf } = ctx;
  const [n, c, h, w] = x.shape as Quad;
  const [kh, kw] = o.kernelSize;
  const rows = g.outH * kh;
  const cols = g.outW * kw;
  // Rows and columns past the last window get no gradient.
  const covered = rows === h && cols === w ? x : tf.slice(x, [0, 0, 0, 0], [n, c, rows, cols]);
  const shape = [n * c * g.outH, kh, g.outW, kw];
  const windowShape = [n * c * g.outH, 1, g.outW, 1];
  const best = tf.add(filled(tf, shape, 0, 'float32'), tf.reshape(y, windowShape));
  const hits = cast(ctx, tf.equal(tf.reshape(covered, shape), best), 'float32');
  // Ties per window as k times an average pool of the one-channel hits, rounded to the integer
  // it is: tfjs-webgpu's Sum over many short rows is ~30x slower than its AvgPool.
  // 'valid', not 0: tfjs 4.22 sizes a numeric pad with the kernel's height for both axes (see conv.ts).
  const mean = tf.avgPool(tf.reshape(hits, [n * c, rows, cols, 1]) as never, [kh, kw], [kh, kw], 'valid');
  const count = tf.round(tf.mul(mean, tf.scalar(kh * kw, 'float32')));
  const share = tf.div(tf.reshape(grad, windowShape), tf.reshape(count, windowShape));
  const dx = tf.reshape(tf.mul(hits, share), [n, c, rows, cols]);
  if (dx.shape[2] === h && dx.shape[3] === w) return dx;
  return tf.pad(dx, [
    [0, 0],
    [0, 0],
    [0, h - rows],
    [0, w - cols],
  ]);
}

export function maxPool2dBackward(ctx: KernelContext, grad: Tensor, x: Tensor, y: Tensor, o: UnfoldOptions): Tensor {
  const { tf } = ctx;
  for (const t of [grad, x, y]) requireDType(ctx, 'maxPool2dBackward', t, ['float32']);
  const [n, c] = x.shape as Quad;
  const g = windows(x, o);
  const planes = n * c;
  const pixels = g.h * g.w;
  const windowsCount = g.outH * g.outW;
  if (x.size === 0 || windowsCount === 0) return filled(tf, x.shape, 0, 'float32');
  if (tiles(o)) return tiledBackward(ctx, grad, x, y, g, o);
  const image = tf.reshape(x, [planes, pixels]);
  const best = tf.reshape(y, [planes, windowsCount]);
  // Ties per window: taps equal to the max (NaN outside the image never is).
  const withNan = tf.concat([image, filled(tf, [planes, 1], NaN, 'float32')], 1);
  const cols = tf.reshape(tf.gather(withNan, tapMap(ctx, g, o), 1), [planes, g.taps, windowsCount]);
  const hits = cast(ctx, tf.equal(cols, tf.reshape(best, [planes, 1, windowsCount])), 'float32');
  const share = tf.div(tf.reshape(grad, [planes, windowsCount]), tf.sum(hits, 1));
  // Back to the pixels: each pixel's windows, a sentinel (max NaN, share 0) in unused slots.
  const { map, slots } = windowMap(ctx, g, o);
  const bestOf = tf.gather(tf.concat([best, filled(tf, [planes, 1], NaN, 'float32')], 1), map, 1);
  const shareOf = tf.gather(tf.concat([share, filled(tf, [planes, 1], 0, 'float32')], 1), map, 1);
  const isMax = cast(
    ctx,
    tf.equal(tf.reshape(image, [planes, 1, pixels]), tf.reshape(bestOf, [planes, slots, pixels])),
    'float32',
  );
  const contributions = tf.mul(isMax, tf.reshape(shareOf, [planes, slots, pixels]));
  const dx = slots === 1 ? contributions : tf.sum(contributions, 1);
  return tf.reshape(dx, x.shape);
}
