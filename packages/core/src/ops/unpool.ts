import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { withBatchAxis } from './conv.js';
import { maxPool1d, type Pool1dArgs } from './conv1d.js';
import { maxPool3d, withBatchAxis3d, type Pool3dArgs } from './conv3d.js';
import { add, cast, div, equal, maximum, mul, sub, where } from './elementwise.js';
import { concat, pad, reshape, scatterAdd, transpose, unsqueeze } from './movement.js';
import { maxPool2d, maxPoolWindows, poolOutputSize, type Pool2dArgs } from './pool.js';
import { argmax, sum } from './reduce.js';
import { selectAlong } from './select.js';
import { pair, single, triple, type Size1d, type Size2d, type Size3d } from './unfold.js';

// PyTorch's max pooling indices (the flat position of each window's maximum within its input plane,
// H*W or D*H*W) and max unpooling, which puts each value back at its index in a zero plane. The
// indices come from the windows' argmax and a host table of each tap's flat position; unpooling is
// one scatterAdd over the flattened planes, so every backend runs it and its gradient (a gather).

/**
 * Each window's argmax tap among [R, K, L] windows, as the table's entry of that tap: table[k][l]
 * (or table[row % tables][k][l] with several tables) is the flat input index tap k reads at output
 * position l. int32 [R, L]. The lookup is a one-hot product in float32 (exact below 2^24 elements
 * per plane), as tfjs-webgpu gathers no int32 tensors.
 */
function tableLookup(cols: Tensor, table: Int32Array, tables: number): Tensor {
  const [rows, taps, positions] = cols.shape as [number, number, number];
  // One-hot by a select, not a bool cast (tfjs-webgpu's cast of a bool breaks a later transpose).
  const tapIds = fromHost(
    Int32Array.from({ length: taps }, (_, k) => k),
    [taps],
    { dtype: 'int32', backend: cols.backend },
  );
  const one = fromHost(new Float32Array([1]), [1], { dtype: 'float32', backend: cols.backend });
  // The argmax over the last axis: tfjs-webgpu's over a middle one compiles an invalid shader.
  const tap = argmax(transpose(cols, 1, 2), 2); // [R, L]
  const hot = where(equal(unsqueeze(tap, -1), tapIds), one, 0); // [R, L, K] float32
  const byPosition = new Float32Array(table.length); // [tables, L, K]
  for (let t = 0; t < tables; t++)
    for (let k = 0; k < taps; k++)
      for (let l = 0; l < positions; l++)
        byPosition[(t * positions + l) * taps + k] = table[(t * taps + k) * positions + l]!;
  const lookup = fromHost(byPosition, [tables, positions, taps], { dtype: 'float32', backend: cols.backend });
  const picked = sum(mul(reshape(hot, [rows / tables, tables, positions, taps]), lookup), 3);
  return cast(reshape(picked, [rows, positions]), 'int32');
}

/** The flat (h*W + w) index of every window's maximum of a 2-D max pooling of x [N, C, H, W]. */
function maxPool2dIndices(x: Tensor, kernelSize: Size2d, args: Pool2dArgs): Tensor {
  const { cols, options, outH, outW, n, c } = maxPoolWindows('maxPool2d', x, kernelSize, args);
  const [kh, kw] = options.kernelSize;
  const table = new Int32Array(kh * kw * outH * outW);
  for (let i = 0; i < kh; i++)
    for (let j = 0; j < kw; j++)
      for (let oh = 0; oh < outH; oh++)
        for (let ow = 0; ow < outW; ow++) {
          const h = oh * options.stride[0] - options.padding[0] + i * options.dilation[0];
          const w = ow * options.stride[1] - options.padding[1] + j * options.dilation[1];
          table[((i * kw + j) * outH + oh) * outW + ow] = h * x.shape[3]! + w;
        }
  return reshape(tableLookup(cols, table, 1), [n, c, outH, outW]);
}

/**
 * Max over each window of [N, C, H, W] or [C, H, W] and the flat index (h*W + w) of each maximum in
 * its input plane, int32: PyTorch's `F.max_pool2d_with_indices` (`return_indices=True`), for maxUnpool2d.
 */
export function maxPool2dWithIndices(x: Tensor, kernelSize: Size2d, args: Pool2dArgs = {}): [Tensor, Tensor] {
  const values = maxPool2d(x, kernelSize, args);
  const indices = withBatchAxis('maxPool2d', x, (image) => composite(() => maxPool2dIndices(image, kernelSize, args)));
  return [values, indices];
}

/** Max over each window of [N, C, L] or [C, L] and the index of each maximum, int32: PyTorch's `F.max_pool1d_with_indices`. */
export function maxPool1dWithIndices(x: Tensor, kernelSize: Size1d, args: Pool1dArgs = {}): [Tensor, Tensor] {
  const values = maxPool1d(x, kernelSize, args);
  const k = single('maxPool1d: kernelSize', kernelSize, 1);
  const one = (v: Size1d | undefined, fallback: number) => single('maxPool1d', v ?? fallback, 0);
  const indices = composite(() => {
    const batched = x.rank === 2 ? reshape(x, [1, ...x.shape]) : x;
    const [n, c, length] = batched.shape as [number, number, number];
    const flat = maxPool2dIndices(reshape(batched, [n, c, 1, length]), [1, k], {
      stride: [1, one(args.stride, k)],
      padding: [0, one(args.padding, 0)],
      dilation: [1, one(args.dilation, 1)],
      ceilMode: args.ceilMode ?? false,
    });
    return reshape(flat, values.shape);
  });
  return [values, indices];
}

/**
 * Max over each window of [N, C, D, H, W] or [C, D, H, W] and the flat index (d*H*W + h*W + w) of
 * each maximum in its input volume, int32: PyTorch's `F.max_pool3d_with_indices`.
 */
export function maxPool3dWithIndices(x: Tensor, kernelSize: Size3d, args: Pool3dArgs = {}): [Tensor, Tensor] {
  const values = maxPool3d(x, kernelSize, args);
  const indices = withBatchAxis3d('maxPool3d', x, (volume) =>
    composite(() => {
      const [n, c, depth, height, width] = volume.shape as [number, number, number, number, number];
      const kernel = triple('maxPool3d: kernelSize', kernelSize, 1);
      const stride = triple('maxPool3d: stride', args.stride ?? kernel, 1);
      const padding = triple('maxPool3d: padding', args.padding ?? 0, 0);
      const dilation = triple('maxPool3d: dilation', args.dilation ?? 1, 1);
      const ceilMode = args.ceilMode ?? false;
      const outD = poolOutputSize(depth, kernel[0], stride[0], padding[0], dilation[0], ceilMode);
      const back = Math.max(0, (outD - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1 - depth - padding[0]);
      // Depth padded with -Infinity (never the maximum) on a rank-4 view, then each depth tap's planes.
      const planes = pad(
        reshape(volume, [n, c, depth, height * width]),
        [
          [0, 0],
          [0, 0],
          [padding[0], back],
        ],
        -Infinity,
      );
      const perTap: Tensor[] = [];
      let outH = 0;
      let outW = 0;
      for (let t = 0; t < kernel[0]; t++) {
        const read = Array.from({ length: outD }, (_, i) => i * stride[0] + t * dilation[0]);
        const slices = reshape(selectAlong(planes, 2, read), [n, c * outD, height, width]);
        const w = maxPoolWindows('maxPool3d', slices, [kernel[1], kernel[2]], {
          stride: [stride[1], stride[2]],
          padding: [padding[1], padding[2]],
          dilation: [dilation[1], dilation[2]],
          ceilMode,
        });
        [outH, outW] = [w.outH, w.outW];
        perTap.push(w.cols); // [N*C*D', kh*kw, H'*W']
      }
      const cols = concat(perTap, 1); // [N*C*D', kd*kh*kw, H'*W'], rows (n, c, od)
      const [kh, kw] = [kernel[1], kernel[2]];
      const taps = kernel[0] * kh * kw;
      const positions = outH * outW;
      const table = new Int32Array(outD * taps * positions);
      for (let od = 0; od < outD; od++)
        for (let t = 0; t < kernel[0]; t++)
          for (let i = 0; i < kh; i++)
            for (let j = 0; j < kw; j++)
              for (let oh = 0; oh < outH; oh++)
                for (let ow = 0; ow < outW; ow++) {
                  const d = od * stride[0] - padding[0] + t * dilation[0];
                  const h = oh * stride[1] - padding[1] + i * dilation[1];
                  const w = ow * stride[2] - padding[2] + j * dilation[2];
                  const tap = (t * kh + i) * kw + j;
                  table[(od * taps + tap) * positions + oh * outW + ow] = (d * height + h) * width + w;
                }
      return reshape(tableLookup(cols, table, outD), [n, c, outD, outH, outW]);
    }),
  );
  return [values, indices];
}

export interface MaxUnpoolArgs<S> {
  /** Step between windows (default: the kernel size). */
  stride?: S;
  /** The pooling's padding (default 0). */
  padding?: S;
  /**
   * The output's spatial size (or the whole shape), to undo a pooling that dropped a remainder;
   * each within a stride of the default (in-1)*stride - 2*padding + kernel, as in PyTorch.
   */
  outputSize?: readonly number[];
}

/**
 * Puts each value of x [N, C, *in] (or unbatched) at its flat index `indices` in a zero output of
 * [N, C, *out]: PyTorch's max_unpool. Indices repeated (windows that overlap and share a maximum)
 * hold the same value, which the output keeps.
 */
function maxUnpool(
  op: string,
  spatial: number,
  x: Tensor,
  indices: Tensor,
  kernel: number[],
  args: { stride?: number[]; padding?: number[]; outputSize?: readonly number[] },
): Tensor {
  if (x.rank !== spatial + 2 && x.rank !== spatial + 1)
    throw new ShapeError(
      `${op}: expected an input of rank ${spatial + 2} (or unbatched ${spatial + 1}), got shape ${formatShape(x.shape)}`,
    );
  if (indices.dtype !== 'int32' || indices.shape.join() !== x.shape.join())
    throw new ShapeError(
      `${op}: indices must be int32 of the input's shape ${formatShape(x.shape)}, got ${indices.dtype} ${formatShape(indices.shape)}`,
    );
  const stride = args.stride ?? kernel;
  const padding = args.padding ?? kernel.map(() => 0);
  const inSizes = x.shape.slice(x.rank - spatial);
  const defaults = inSizes.map((size, i) => (size - 1) * stride[i]! - 2 * padding[i]! + kernel[i]!);
  let sizes = defaults;
  if (args.outputSize !== undefined) {
    const given = [...args.outputSize];
    if (given.length !== spatial && given.length !== x.rank)
      throw new ArgumentError(
        `${op}: outputSize must have ${spatial} entries (or ${x.rank}, the whole shape), got ${JSON.stringify(given)}`,
      );
    sizes = given.slice(given.length - spatial);
    sizes.forEach((size, i) => {
      if (!Number.isInteger(size) || size <= defaults[i]! - stride[i]! || size >= defaults[i]! + stride[i]!)
        throw new ArgumentError(
          `${op}: outputSize ${JSON.stringify(given)} must be between ${defaults.map((d, a) => d - stride[a]! + 1).join('x')} and ${defaults.map((d, a) => d + stride[a]! - 1).join('x')} for input ${formatShape(x.shape)}`,
        );
    });
  }
  if (sizes.some((size) => size < 1))
    throw new ShapeError(`${op}: input ${formatShape(x.shape)} gives an empty ${sizes.join('x')} output`);
  const volume = sizes.reduce((a, b) => a * b, 1);
  const planes = x.size / inSizes.reduce((a, b) => a * b, 1);
  const perPlane = x.size / planes;
  return composite(() => {
    const offsets = Int32Array.from({ length: x.size }, (_, i) => Math.floor(i / perPlane) * volume);
    const at = add(reshape(indices, [x.size]), fromHost(offsets, [x.size], { dtype: 'int32', backend: x.backend }));
    const total = planes * volume;
    const sums = scatterAdd(reshape(x, [x.size]), at, 0, total);
    const ones = fromHost(new Float64Array(x.size).fill(1), [x.size], { dtype: x.dtype, backend: x.backend });
    const counts = maximum(scatterAdd(ones, at, 0, total), 1);
    // The value is the mean of the repeats (each the same maximum), the gradient PyTorch's: every
    // input gets the output's gradient at its index (sums' gradient), not a share of it.
    const out = add(sub(div(sums, counts), sums).detach(), sums);
    return reshape(out, [...x.shape.slice(0, x.rank - spatial), ...sizes]);
  });
}

/** PyTorch's `F.max_unpool1d`: x [N, C, L] (or [C, L]) back to length (L-1)*stride - 2*padding + kernel, or outputSize. */
export function maxUnpool1d(x: Tensor, indices: Tensor, kernelSize: Size1d, args: MaxUnpoolArgs<Size1d> = {}): Tensor {
  const k = single('maxUnpool1d: kernelSize', kernelSize, 1);
  return maxUnpool('maxUnpool1d', 1, x, indices, [k], {
    stride: [single('maxUnpool1d: stride', args.stride ?? k, 1)],
    padding: [single('maxUnpool1d: padding', args.padding ?? 0, 0)],
    outputSize: args.outputSize,
  });
}

/** PyTorch's `F.max_unpool2d`: x [N, C, H, W] (or [C, H, W]) back to (in-1)*stride - 2*padding + kernel per axis, or outputSize. */
export function maxUnpool2d(x: Tensor, indices: Tensor, kernelSize: Size2d, args: MaxUnpoolArgs<Size2d> = {}): Tensor {
  const k = pair('maxUnpool2d: kernelSize', kernelSize, 1);
  return maxUnpool('maxUnpool2d', 2, x, indices, k, {
    stride: pair('maxUnpool2d: stride', args.stride ?? k, 1),
    padding: pair('maxUnpool2d: padding', args.padding ?? 0, 0),
    outputSize: args.outputSize,
  });
}

/** PyTorch's `F.max_unpool3d`: x [N, C, D, H, W] (or [C, D, H, W]) back to (in-1)*stride - 2*padding + kernel per axis, or outputSize. */
export function maxUnpool3d(x: Tensor, indices: Tensor, kernelSize: Size3d, args: MaxUnpoolArgs<Size3d> = {}): Tensor {
  const k = triple('maxUnpool3d: kernelSize', kernelSize, 1);
  return maxUnpool('maxUnpool3d', 3, x, indices, k, {
    stride: triple('maxUnpool3d: stride', args.stride ?? k, 1),
    padding: triple('maxUnpool3d: padding', args.padding ?? 0, 0),
    outputSize: args.outputSize,
  });
}
