import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d } from './pool.js';
import { adaptiveAvgPool1d } from './conv1d.js';
import { adaptiveAvgPool3d } from './conv3d.js';
import { isFloat } from './dispatch.js';
import { reshape } from './movement.js';
import { add, mul } from './elementwise.js';
import { selectAlong } from './select.js';

/**
 * 'linear' for [N, C, L], 'bilinear' and 'bicubic' for [N, C, H, W], 'trilinear' for [N, C, D, H, W];
 * 'nearest', 'nearest-exact' and 'area' (adaptive average pooling) for all three.
 */
export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear' | 'area';

export const INTERPOLATE_MODES: readonly InterpolateMode[] = [
  'nearest',
  'nearest-exact',
  'linear',
  'bilinear',
  'bicubic',
  'trilinear',
  'area',
];

/** The modes that mix neighbours, and so take alignCorners, with the input rank each needs. */
export const CORNER_MODES: Readonly<Partial<Record<InterpolateMode, number>>> = {
  linear: 3,
  bilinear: 4,
  bicubic: 4,
  trilinear: 5,
};

export interface InterpolateArgs {
  /** The output's spatial size: one number for every axis, or one per axis. Give this or scaleFactor. */
  size?: number | readonly number[];
  /** Output size = floor(input size x scaleFactor) per axis (one number, or one per axis). Give this or size. */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /**
   * linear, bilinear, bicubic and trilinear only: map the corner pixels' centres onto each other
   * (scale (in-1)/(out-1)), else the pixels' edges (PyTorch's default, false).
   */
  alignCorners?: boolean;
}

/**
 * PyTorch's nearest source index of each output position: in == out copies, out == 2 in halves,
 * else min(floor(i * scale), in - 1) in float32 as its kernel computes it, scale = 1/scaleFactor
 * when a scale factor was given, else in/out.
 */
function nearestIndices(inSize: number, outSize: number, scaleFactor: number | undefined): number[] {
  const scale = Math.fround(scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize);
  return Array.from({ length: outSize }, (_, i) =>
    outSize === inSize ? i : outSize === 2 * inSize ? i >> 1 : Math.min(Math.floor(Math.fround(i * scale)), inSize - 1),
  );
}

/** PyTorch's 'nearest-exact' source index: min(floor((i + 0.5) * scale), in - 1), the product rounded to float32. */
function nearestExactIndices(inSize: number, outSize: number, scaleFactor: number | undefined): number[] {
  const scale = Math.fround(scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize);
  return Array.from({ length: outSize }, (_, i) => Math.min(Math.floor(Math.fround((i + 0.5) * scale)), inSize - 1));
}

/** PyTorch's source scale of an axis: (in-1)/(out-1) with alignCorners, else 1/scaleFactor when given, else in/out. */
function sourceScale(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined) {
  if (alignCorners) return outSize > 1 ? (inSize - 1) / (outSize - 1) : 0;
  return scaleFactor !== undefined ? 1 / scaleFactor : inSize / outSize;
}

/** Keys' cubic convolution weights of the 4 taps around a fraction t, with PyTorch's A = -0.75. */
function cubicWeights(t: number): [number, number, number, number] {
  const a = -0.75;
  const near = (x: number) => ((a + 2) * x - (a + 3)) * x * x + 1; // |x| <= 1
  const far = (x: number) => ((a * x - 5 * a) * x + 8 * a) * x - 4 * a; // 1 < |x| < 2
  return [far(t + 1), near(t), near(1 - t), far(2 - t)];
}

/**
 * PyTorch's bicubic taps per output position: source i * scale (alignCorners) or (i + 0.5) * scale
 * - 0.5, not clamped; the four neighbours floor(source) - 1 .. + 2, clamped to the axis (border
 * replication), weighted by cubicWeights of the fraction.
 */
function cubicTaps(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): Taps {
  const scale = sourceScale(inSize, outSize, alignCorners, scaleFactor);
  const indices: number[][] = [[], [], [], []];
  const weights = [0, 1, 2, 3].map(() => new Float64Array(outSize));
  for (let i = 0; i < outSize; i++) {
    const source = alignCorners ? scale * i : scale * (i + 0.5) - 0.5;
    const index = Math.floor(source);
    cubicWeights(source - index).forEach((w, k) => {
      indices[k]!.push(Math.min(Math.max(index - 1 + k, 0), inSize - 1));
      weights[k]![i] = w;
    });
  }
  return { indices, weights };
}

/** An axis' resampling: output i is the sum over taps k of x[indices[k][i]] * weights[k][i] (no weights: one tap, copied). */
interface Taps {
  indices: number[][];
  weights: Float64Array[] | null;
}

/**
 * PyTorch's linear interpolation per output position: the two neighbours' indices and weights
 * (in double precision). With alignCorners the source position is i * (in-1)/(out-1); without,
 * (i + 0.5) * scale - 0.5 clamped at 0, scale = 1/scaleFactor when given, else in/out.
 */
function linearTaps(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined): Taps {
  const lower: number[] = [];
  const upper: number[] = [];
  const lowerWeight = new Float64Array(outSize);
  const upperWeight = new Float64Array(outSize);
  const scale = sourceScale(inSize, outSize, alignCorners, scaleFactor);
  for (let i = 0; i < outSize; i++) {
    const source = alignCorners ? scale * i : Math.max(scale * (i + 0.5) - 0.5, 0);
    const index = Math.floor(source);
    const upperIndex = index < inSize - 1 ? index + 1 : index;
    const lambda = Math.min(Math.max(source - index, 0), 1);
    lower.push(index);
    upper.push(upperIndex);
    lowerWeight[i] = 1 - lambda;
    upperWeight[i] = lambda;
  }
  return { indices: [lower, upper], weights: [lowerWeight, upperWeight] };
}

/** Resolves size or scaleFactor into the output sizes and the scale factors given (if any). */
function outputSizes(x: Tensor, args: InterpolateArgs): { sizes: number[]; factors: (number | undefined)[] } {
  const spatial = x.shape.slice(2);
  const perAxis = (what: string, value: number | readonly number[]): number[] => {
    const list = typeof value === 'number' ? spatial.map(() => value) : [...value];
    if (!Array.isArray(value) && typeof value !== 'number')
      throw new ArgumentError(`interpolate: ${what} must be a number or a list of them, got ${String(value)}`);
    if (list.length !== spatial.length)
      throw new ArgumentError(
        `interpolate: ${what} ${JSON.stringify(value)} must have ${spatial.length} entr${spatial.length === 1 ? 'y' : 'ies'} for input ${formatShape(x.shape)}`,
      );
    return list;
  };
  if ((args.size === undefined) === (args.scaleFactor === undefined))
    throw new ArgumentError('interpolate: give exactly one of size and scaleFactor');
  if (args.size !== undefined) {
    const sizes = perAxis('size', args.size);
    if (sizes.some((s) => !Number.isInteger(s) || s < 1))
      throw new ArgumentError(`interpolate: size must be positive integers, got ${JSON.stringify(args.size)}`);
    return { sizes, factors: sizes.map(() => undefined) };
  }
  const factors = perAxis('scaleFactor', args.scaleFactor!);
  if (factors.some((f) => typeof f !== 'number' || !(f > 0) || !Number.isFinite(f)))
    throw new ArgumentError(
      `interpolate: scaleFactor must be positive numbers, got ${JSON.stringify(args.scaleFactor)}`,
    );
  const sizes = spatial.map((d, i) => Math.floor(d * factors[i]!));
  if (sizes.some((s) => s < 1))
    throw new ShapeError(
      `interpolate: scaleFactor ${JSON.stringify(args.scaleFactor)} shrinks input ${formatShape(x.shape)} to an empty ${sizes.join('x')} output`,
    );
  return { sizes, factors };
}

/**
 * Resizes the spatial axes of [N, C, L], [N, C, H, W] or [N, C, D, H, W] as PyTorch's
 * `F.interpolate` (recompute_scale_factor unset, no antialias): 'nearest' and 'nearest-exact' pick
 * one source element per output position, 'linear', 'bilinear' and 'trilinear' mix the two nearest
 * along each axis, 'bicubic' the four nearest (Keys' cubic convolution, A = -0.75, the border
 * replicated), 'area' averages (adaptive average pooling). Axis by axis, last first (as PyTorch's
 * kernels mix), each as gathers with host-computed indices and weighted sums on a rank-3 view
 * [before, axis, after], so every backend runs and differentiates it.
 */
export function interpolate(x: Tensor, args: InterpolateArgs): Tensor {
  if (x.rank < 3 || x.rank > 5)
    throw new ShapeError(
      `interpolate: expected an input [N, C, L], [N, C, H, W] or [N, C, D, H, W], got shape ${formatShape(x.shape)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`interpolate: expected a float input, got dtype ${x.dtype}`);
  const mode = args.mode ?? 'nearest';
  if (!INTERPOLATE_MODES.includes(mode))
    throw new ArgumentError(
      `interpolate: mode must be ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`,
    );
  const cornerRank = CORNER_MODES[mode];
  if (cornerRank !== undefined && cornerRank !== x.rank)
    throw new ShapeError(
      `interpolate: mode '${mode}' needs a ${['3-D [N, C, L]', '4-D [N, C, H, W]', '5-D [N, C, D, H, W]'][cornerRank - 3]} input, got shape ${formatShape(x.shape)}`,
    );
  if (cornerRank === undefined && args.alignCorners !== undefined)
    throw new ArgumentError(
      `interpolate: alignCorners applies to modes 'linear', 'bilinear', 'bicubic' and 'trilinear' only, got it with mode '${mode}'`,
    );
  const alignCorners = args.alignCorners ?? false;
  if (typeof alignCorners !== 'boolean')
    throw new ArgumentError(`interpolate: alignCorners must be a boolean, got ${String(alignCorners)}`);
  const { sizes, factors } = outputSizes(x, args);
  if (mode === 'area') {
    if (x.rank === 3) return adaptiveAvgPool1d(x, sizes[0]!);
    return x.rank === 4
      ? adaptiveAvgPool2d(x, sizes as [number, number])
      : adaptiveAvgPool3d(x, sizes as [number, number, number]);
  }
  // PyTorch's bicubic kernel copies only when no axis changes size; else it resamples every axis by its scale.
  const sameSize = sizes.every((size, i) => size === x.shape[i + 2]);
  const tapsOf = (inSize: number, outSize: number, factor: number | undefined): Taps | null => {
    if (mode === 'nearest' || mode === 'nearest-exact') {
      const indices = (mode === 'nearest' ? nearestIndices : nearestExactIndices)(inSize, outSize, factor);
      return indices.every((source, i) => source === i) && outSize === inSize
        ? null
        : { indices: [indices], weights: null };
    }
    if (mode === 'bicubic') return sameSize ? null : cubicTaps(inSize, outSize, alignCorners, factor);
    if (outSize === inSize) return null; // PyTorch copies an axis whose size stays, whatever the scale
    return linearTaps(inSize, outSize, alignCorners, factor);
  };
  return composite(() => {
    let out = x;
    for (let axis = x.rank - 1; axis >= 2; axis--) {
      const taps = tapsOf(x.shape[axis]!, sizes[axis - 2]!, factors[axis - 2]);
      if (taps === null) continue;
      const shape = out.shape;
      const before = shape.slice(0, axis).reduce((a, b) => a * b, 1);
      const after = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
      const view = reshape(out, [before, shape[axis]!, after]);
      const outSize = sizes[axis - 2]!;
      let mixed: Tensor | null = null;
      taps.indices.forEach((indices, k) => {
        const picked = selectAlong(view, 1, indices);
        const weights = taps.weights?.[k];
        const term =
          weights === undefined
            ? picked
            : mul(picked, fromHost(weights, [outSize, 1], { dtype: x.dtype, backend: x.backend }));
        mixed = mixed === null ? term : add(mixed, term);
      });
      out = reshape(
        mixed!,
        shape.map((d, i) => (i === axis ? outSize : d)),
      );
    }
    return out === x ? reshape(x, x.shape) : out; // a new tensor even when no axis changed
  });
}
