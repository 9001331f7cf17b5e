// unfold (im2col) as one tf.gather over the padded, flattened image: every tfjs backend (cpu,
// wasm, webgpu, node-gpu) runs gather natively, so no custom kernel is needed.
import { type UnfoldOptions, sizeOf } from '@myelin/core/backend';
import { filled, type KernelContext, type Tensor, type TfjsDType } from './context.js';
import { cachedIndexMap } from './index-maps.js';

/** For tap k = i*kw + j and window l = oh*outW + ow: the flat index it reads in the padded [Hp, Wp] image. */
function windowIndices(
  ctx: KernelContext,
  height: number,
  width: number,
  o: UnfoldOptions,
  outH: number,
  outW: number,
) {
  const key = `unfold:${height},${width},${o.kernelSize.join()},${o.stride.join()},${o.padding.join()},${o.dilation.join()}`;
  return cachedIndexMap(ctx, key, () => {
    const [kh, kw] = o.kernelSize;
    const paddedWidth = width + 2 * o.padding[1];
    const values = new Int32Array(kh * kw * outH * outW);
    let t = 0;
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let oh = 0; oh < outH; oh++) {
          const row = (oh * o.stride[0] + i * o.dilation[0]) * paddedWidth + j * o.dilation[1];
          for (let ow = 0; ow < outW; ow++) values[t++] = row + ow * o.stride[1];
        }
    return values;
  });
}

export function unfold(ctx: KernelContext, x: Tensor, o: UnfoldOptions): Tensor {
  const { tf } = ctx;
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const [kh, kw] = o.kernelSize;
  const [ph, pw] = o.padding;
  const outH = Math.floor((height + 2 * ph - o.dilation[0] * (kh - 1) - 1) / o.stride[0]) + 1;
  const outW = Math.floor((width + 2 * pw - o.dilation[1] * (kw - 1) - 1) / o.stride[1]) + 1;
  const outShape = [n, c * kh * kw, outH * outW];
  if (sizeOf(outShape) === 0) return filled(tf, outShape, 0, x.dtype as TfjsDType);
  const padded =
    ph + pw > 0
      ? tf.pad(x, [
          [0, 0],
          [0, 0],
          [ph, ph],
          [pw, pw],
        ])
      : x;
  const flat = tf.reshape(padded, [n * c, (height + 2 * ph) * (width + 2 * pw)]);
  const cols = tf.gather(flat, windowIndices(ctx, height, width, o, outH, outW), 1);
  return tf.reshape(cols, outShape);
}
