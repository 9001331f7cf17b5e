import { ArgumentError, type Conv2dKernelOptions, ShapeError, type UnfoldOptions } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * The fused convolution kernels of the contract (conv2d, conv2dBackward) as direct loops over
 * the taps: each output sums in double and rounds once to the storage type.
 */

interface Geometry {
  n: number;
  c: number;
  h: number;
  w: number;
  o: number;
  cg: number;
  og: number;
  kh: number;
  kw: number;
  outH: number;
  outW: number;
}

function geometry(op: string, x: HostTensor, weight: HostTensor, options: Conv2dKernelOptions): Geometry {
  const dtype = x.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') throw unsupported(op, dtype);
  if (weight.dtype !== dtype) throw new ArgumentError(`${op}: weight dtype ${weight.dtype} differs from ${dtype}`);
  if (x.shape.length !== 4 || weight.shape.length !== 4)
    throw new ShapeError(`${op}: input [${x.shape.join(', ')}] and weight [${weight.shape.join(', ')}] must be rank 4`);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [o, cg, kh, kw] = weight.shape as [number, number, number, number];
  const { stride, padding, dilation, groups } = options;
  if (cg * groups !== c || o % groups !== 0)
    throw new ShapeError(`${op}: input [${x.shape.join(', ')}] with ${groups} group(s) does not fit weight`);
  const outH = Math.floor((h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) / stride[1]) + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(`${op}: the window does not fit input [${x.shape.join(', ')}]`);
  return { n, c, h, w, o, cg, og: o / groups, kh, kw, outH, outW };
}

/** Calls visit(xIndex, wIndex, yIndex) for every tap inside the image. */
function eachTap(g: Geometry, options: Conv2dKernelOptions, visit: (xi: number, wi: number, yi: number) => void): void {
  const { stride, padding, dilation } = options;
  for (let b = 0; b < g.n; b++)
    for (let oc = 0; oc < g.o; oc++) {
      const group = Math.floor(oc / g.og);
      for (let oh = 0; oh < g.outH; oh++)
        for (let ow = 0; ow < g.outW; ow++) {
          const yi = ((b * g.o + oc) * g.outH + oh) * g.outW + ow;
          for (let ic = 0; ic < g.cg; ic++)
            for (let i = 0; i < g.kh; i++) {
              const row = oh * stride[0] - padding[0] + i * dilation[0];
              if (row < 0 || row >= g.h) continue;
              for (let j = 0; j < g.kw; j++) {
                const col = ow * stride[1] - padding[1] + j * dilation[1];
                if (col < 0 || col >= g.w) continue;
                visit(
                  ((b * g.c + group * g.cg + ic) * g.h + row) * g.w + col,
                  ((oc * g.cg + ic) * g.kh + i) * g.kw + j,
                  yi,
                );
              }
            }
        }
    }
}

export function conv2d(
  x: HostTensor,
  weight: HostTensor,
  bias: HostTensor | null,
  options: Conv2dKernelOptions,
): HostTensor {
  const g = geometry('conv2d', x, weight, options);
  if (bias !== null && (bias.dtype !== x.dtype || bias.shape.length !== 1 || bias.shape[0] !== g.o))
    throw new ShapeError(`conv2d: bias must be [${g.o}] ${x.dtype}, got [${bias.shape.join(', ')}] ${bias.dtype}`);
  const sums = new Float64Array(g.n * g.o * g.outH * g.outW);
  eachTap(g, options, (xi, wi, yi) => (sums[yi] = sums[yi]! + x.data[xi]! * weight.data[wi]!));
  const out = allocate(x.dtype, sums.length);
  const plane = g.outH * g.outW;
  for (let i = 0; i < sums.length; i++) {
    const oc = Math.floor(i / plane) % g.o;
    out[i] = bias === null ? sums[i]! : sums[i]! + bias.data[oc]!;
  }
  return { data: out, shape: [g.n, g.o, g.outH, g.outW], dtype: x.dtype };
}

export function conv2dBackward(
  grad: HostTensor,
  x: HostTensor,
  weight: HostTensor,
  options: Conv2dKernelOptions,
  needs: { input: boolean; weight: boolean; bias: boolean },
): { input: HostTensor | null; weight: HostTensor | null; bias: HostTensor | null } {
  const g = geometry('conv2dBackward', x, weight, options);
  const expected = [g.n, g.o, g.outH, g.outW];
  if (grad.dtype !== x.dtype || grad.shape.length !== 4 || grad.shape.some((d, i) => d !== expected[i]))
    throw new ShapeError(`conv2dBackward: grad must be [${expected.join(', ')}], got [${grad.shape.join(', ')}]`);
  const dx = needs.input ? new Float64Array(x.data.length) : null;
  const dw = needs.weight ? new Float64Array(weight.data.length) : null;
  eachTap(g, options, (xi, wi, yi) => {
    const gy = grad.data[yi]!;
    if (dx !== null) dx[xi] = dx[xi]! + gy * weight.data[wi]!;
    if (dw !== null) dw[wi] = dw[wi]! + gy * x.data[xi]!;
  });
  const host = (sums: Float64Array | null, shape: readonly number[]): HostTensor | null => {
    if (sums === null) return null;
    const data = allocate(x.dtype, sums.length);
    for (let i = 0; i < sums.length; i++) data[i] = sums[i]!;
    return { data, shape: shape.slice(), dtype: x.dtype };
  };
  let db: Float64Array | null = null;
  if (needs.bias) {
    db = new Float64Array(g.o);
    const plane = g.outH * g.outW;
    for (let i = 0; i < grad.data.length; i++) {
      const oc = Math.floor(i / plane) % g.o;
      db[oc] = db[oc]! + grad.data[i]!;
    }
  }
  return { input: host(dx, x.shape), weight: host(dw, weight.shape), bias: host(db, [g.o]) };
}

/** Calls visit(window, taps) with each window's flat output index and its in-image input indices. */
function eachWindow(x: HostTensor, options: UnfoldOptions, visit: (yi: number, taps: number[]) => void): number[] {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const { kernelSize, stride, padding, dilation } = options;
  const outH = Math.floor((h + 2 * padding[0] - dilation[0] * (kernelSize[0] - 1) - 1) / stride[0]) + 1;
  const outW = Math.floor((w + 2 * padding[1] - dilation[1] * (kernelSize[1] - 1) - 1) / stride[1]) + 1;
  if (outH < 1 || outW < 1) throw new ShapeError(`maxPool2d: the window does not fit input [${x.shape.join(', ')}]`);
  const taps: number[] = [];
  for (let p = 0; p < n * c; p++)
    for (let oh = 0; oh < outH; oh++)
      for (let ow = 0; ow < outW; ow++) {
        taps.length = 0;
        for (let i = 0; i < kernelSize[0]; i++) {
          const row = oh * stride[0] - padding[0] + i * dilation[0];
          if (row < 0 || row >= h) continue;
          for (let j = 0; j < kernelSize[1]; j++) {
            const col = ow * stride[1] - padding[1] + j * dilation[1];
            if (col >= 0 && col < w) taps.push((p * h + row) * w + col);
          }
        }
        visit((p * outH + oh) * outW + ow, taps);
      }
  return [n, c, outH, outW];
}

function checkPool(op: string, x: HostTensor): void {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw unsupported(op, x.dtype);
  if (x.shape.length !== 4) throw new ShapeError(`${op}: expected rank 4, got [${x.shape.join(', ')}]`);
}

export function maxPool2d(x: HostTensor, options: UnfoldOptions): HostTensor {
  checkPool('maxPool2d', x);
  const values: number[] = [];
  const shape = eachWindow(x, options, (yi, taps) => {
    let best = -Infinity;
    for (const t of taps) {
      const v = x.data[t]!;
      if (Number.isNaN(v) || v > best) best = v;
      if (Number.isNaN(best)) break;
    }
    values[yi] = best;
  });
  const data = allocate(x.dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return { data, shape, dtype: x.dtype };
}

export function maxPool2dBackward(grad: HostTensor, x: HostTensor, y: HostTensor, options: UnfoldOptions): HostTensor {
  checkPool('maxPool2dBackward', x);
  if (grad.dtype !== x.dtype || y.dtype !== x.dtype || grad.data.length !== y.data.length)
    throw new ShapeError(`maxPool2dBackward: grad [${grad.shape.join(', ')}] and y [${y.shape.join(', ')}] differ`);
  const sums = new Float64Array(x.data.length);
  const shape = eachWindow(x, options, (yi, taps) => {
    const best = y.data[yi]!;
    let count = 0;
    for (const t of taps) if (x.data[t] === best) count++;
    const share = grad.data[yi]! / count; // NaN max: count 0, the composed rule's NaN on every tap
    for (const t of taps) sums[t] = sums[t]! + (count === 0 ? NaN : x.data[t] === best ? share : 0);
  });
  if (shape.some((d, i) => d !== y.shape[i]))
    throw new ShapeError(`maxPool2dBackward: y is [${y.shape.join(', ')}], the windows [${shape.join(', ')}]`);
  const data = allocate(x.dtype, sums.length);
  for (let i = 0; i < sums.length; i++) data[i] = sums[i]!;
  return { data, shape: x.shape.slice(), dtype: x.dtype };
}
