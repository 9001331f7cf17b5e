import type { UnfoldOptions } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * im2col: x [N, C, H, W] -> [N, C*kh*kw, outH*outW]; row (c*kh + i)*kw + j holds tap (i, j) of
 * channel c for every window position, 0 where the tap falls in the padding. Each output row is
 * written as outH runs of outW elements; the in-bounds range of each run is found once, so the
 * inner loop is a plain strided copy with no per-element bounds test.
 */
export function unfold(x: HostTensor, options: UnfoldOptions): HostTensor {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw unsupported('unfold', x.dtype);
  const [n, c, height, width] = x.shape as [number, number, number, number];
  const [kh, kw] = options.kernelSize;
  const [sh, sw] = options.stride;
  const [ph, pw] = options.padding;
  const [dh, dw] = options.dilation;
  const outH = Math.floor((height + 2 * ph - dh * (kh - 1) - 1) / sh) + 1;
  const outW = Math.floor((width + 2 * pw - dw * (kw - 1) - 1) / sw) + 1;
  const length = outH * outW;
  const src = x.data;
  const out = allocate(x.dtype, n * c * kh * kw * length);
  let t = 0;
  for (let plane = 0; plane < n * c; plane++) {
    const base = plane * height * width;
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const colOffset = j * dw - pw;
        // ow in [owBegin, owEnd) reads a column inside the image: 0 <= ow*sw + colOffset < width.
        const owBegin = Math.min(outW, Math.max(0, Math.ceil(-colOffset / sw)));
        const owEnd = Math.max(owBegin, Math.min(outW, Math.ceil((width - colOffset) / sw)));
        for (let oh = 0; oh < outH; oh++, t += outW) {
          const row = oh * sh - ph + i * dh;
          if (row < 0 || row >= height) continue; // the zeros are already there
          const start = base + row * width + colOffset;
          for (let ow = owBegin; ow < owEnd; ow++) out[t + ow] = src[start + ow * sw]!;
        }
      }
    }
  }
  return { data: out, shape: [n, c * kh * kw, length], dtype: x.dtype };
}
