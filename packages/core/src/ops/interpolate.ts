import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { adaptiveAvgPool2d } from './pool.js';
import { adaptiveAvgPool1d } from './conv1d.js';
import { isFloat } from './dispatch.js';
import { reshape } from './movement.js';
import { add, mul } from './elementwise.js';
import { selectAlong } from './select.js';

/** 'linear' for [N, C, L], 'bilinear' for [N, C, H, W]; 'nearest' and 'area' (adaptive average pooling) for both. */
export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'area';

export const INTERPOLATE_MODES: readonly InterpolateMode[] = ['nearest', 'linear', 'bilinear', 'area'];

export interface InterpolateArgs {
  /** The output's spatial size: one number for every axis, or one per axis. Give this or scaleFactor. */
  size?: number | readonly number[];
  /** Output size = floor(input size x scaleFactor) per axis (one number, or one per axis). Give this or size. */
  scaleFactor?: number | readonly number[];
  /** Default 'nearest'. */
  mode?: InterpolateMode;
  /**
   * linear/bilinear only: map the corner pixels' centres onto each other (scale (in-1)/(out-1)),
   * else the pixels' edges (PyTorch's default, false).
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

/**
 * PyTorch's linear interpolation per output position: the two neighbours' indices and weights
 * (in double precision). With alignCorners the source position is i * (in-1)/(out-1); without,
 * (i + 0.5) * scale - 0.5 clamped at 0, scale = 1/scaleFactor when given, else in/out.
 */
function linearWeights(inSize: number, outSize: number, alignCorners: boolean, scaleFactor: number | undefined) {
  const lower: number[] = [];
  const upper: number[] = [];
  const lowerWeight = new Float64Array(outSize);
  const upperWeight = new Float64Array(outSize);
  const scale = alignCorners
    ? outSize > 1
      ? (inSize - 1) / (outSize - 1)
      : 0
    : scaleFactor !== undefined
      ? 1 / scaleFactor
      : inSize / outSize;
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
  return { lower, upper, lowerWeight, upperWeight };
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
 * Resizes the spatial axes of [N, C, L] or [N, C, H, W] as PyTorch's `F.interpolate`
 * (recompute_scale_factor unset): 'nearest' picks one source element per output position, 'linear'
 * and 'bilinear' mix the two nearest along each axis (width first, then height), 'area' averages
 * (adaptive average pooling). Built from gathers with host-computed indices and weighted sums, so
 * every backend runs and differentiates it.
 */
export function interpolate(x: Tensor, args: InterpolateArgs): Tensor {
  if (x.rank !== 3 && x.rank !== 4)
    throw new ShapeError(`interpolate: expected an input [N, C, L] or [N, C, H, W], got shape ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`interpolate: expected a float input, got dtype ${x.dtype}`);
  const mode = args.mode ?? 'nearest';
  if (!INTERPOLATE_MODES.includes(mode))
    throw new ArgumentError(
      `interpolate: mode must be ${INTERPOLATE_MODES.map((m) => `'${m}'`).join(', ')}, got ${JSON.stringify(mode)}`,
    );
  const linear = mode === 'linear' || mode === 'bilinear';
  if (linear && (mode === 'linear') !== (x.rank === 3))
    throw new ShapeError(
      `interpolate: mode '${mode}' needs a ${mode === 'linear' ? '3-D [N, C, L]' : '4-D [N, C, H, W]'} input, got shape ${formatShape(x.shape)}`,
    );
  if (!linear && args.alignCorners !== undefined)
    throw new ArgumentError(
      `interpolate: alignCorners applies to modes 'linear' and 'bilinear' only, got it with mode '${mode}'`,
    );
  const alignCorners = args.alignCorners ?? false;
  if (typeof alignCorners !== 'boolean')
    throw new ArgumentError(`interpolate: alignCorners must be a boolean, got ${String(alignCorners)}`);
  const { sizes, factors } = outputSizes(x, args);
  if (mode === 'area')
    return x.rank === 3 ? adaptiveAvgPool1d(x, sizes[0]!) : adaptiveAvgPool2d(x, sizes as [number, number]);
  return composite(() => {
    let out = x;
    // The last axis first: PyTorch's bilinear kernel mixes along the width, then the height.
    for (let axis = x.rank - 1; axis >= 2; axis--) {
      const inSize = x.shape[axis]!;
      const outSize = sizes[axis - 2]!;
      const factor = factors[axis - 2];
      if (mode === 'nearest') {
        if (outSize !== inSize) out = selectAlong(out, axis, nearestIndices(inSize, outSize, factor));
        continue;
      }
      if (outSize === inSize) continue; // PyTorch copies an axis whose size stays, whatever the scale
      const { lower, upper, lowerWeight, upperWeight } = linearWeights(inSize, outSize, alignCorners, factor);
      // Weights [out, 1, ...] broadcast over the axes after this one.
      const weightShape = [outSize, ...new Array<number>(x.rank - 1 - axis).fill(1)];
      const weights = (values: Float64Array) => fromHost(values, weightShape, { dtype: x.dtype, backend: x.backend });
      out = add(
        mul(selectAlong(out, axis, lower), weights(lowerWeight)),
        mul(selectAlong(out, axis, upper), weights(upperWeight)),
      );
    }
    return out === x ? reshape(x, x.shape) : out; // a new tensor even when no axis changed
  });
}
