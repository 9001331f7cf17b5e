import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkOptions, describeValue } from '../nn/checks.js';
import { arange, fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { add, cast, floor, greaterEqual, less, lessEqual, logicalAnd, mul, round, sub, where } from './elementwise.js';
import { matmul } from './linalg.js';
import { gather, permute, reshape, slice, squeeze } from './movement.js';

export type GridSampleMode = 'bilinear' | 'nearest' | 'bicubic';
export type GridSamplePaddingMode = 'zeros' | 'border' | 'reflection';

export interface GridSampleOptions {
  /** How a point between pixels is read: 'bilinear' (default; trilinear for 5-D), 'nearest', or 'bicubic' (4-D only). */
  mode?: GridSampleMode;
  /** What points outside the input read: 'zeros' (default), the 'border' pixels, or the input 'reflection'. */
  paddingMode?: GridSamplePaddingMode;
  /** -1 and 1 are the corner pixels' centres (true), or their outer edges (false, torch's default). */
  alignCorners?: boolean;
}

const MODES: readonly GridSampleMode[] = ['bilinear', 'nearest', 'bicubic'];
const PADDING_MODES: readonly GridSamplePaddingMode[] = ['zeros', 'border', 'reflection'];

function choice<C extends string>(what: string, value: unknown, fallback: C, choices: readonly C[]): C {
  const chosen = value ?? fallback;
  if (typeof chosen === 'string' && (choices as readonly string[]).includes(chosen)) return chosen as C;
  throw new ArgumentError(`${what} must be ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(chosen)}`);
}

/** A grid coordinate in [-1, 1] as a pixel position (torch's grid_sampler_unnormalize). */
function unnormalize(coordinate: Tensor, size: number, alignCorners: boolean): Tensor {
  return alignCorners ? mul(add(coordinate, 1), (size - 1) / 2) : mul(sub(mul(add(coordinate, 1), size), 1), 0.5);
}

/** min(max(x, 0), size - 1) with torch's gradient: 0 at and beyond either border. */
function clip(x: Tensor, size: number): Tensor {
  return where(lessEqual(x, 0), 0, where(greaterEqual(x, size - 1), size - 1, x));
}

/** x reflected into [low/2, high/2] (torch's reflect_coordinates), with its gradient sign. */
function reflect(x: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  if (twiceLow === twiceHigh) return mul(x, 0);
  const min = twiceLow / 2;
  const span = (twiceHigh - twiceLow) / 2;
  const shifted = sub(x, min);
  const distance = where(less(shifted, 0), mul(shifted, -1), shifted); // |x - min|, gradient +1 at 0 as torch's
  const flips = floor(mul(distance, 1 / span)).detach();
  const extra = sub(distance, mul(flips, span));
  const even = lessEqual(sub(flips, mul(floor(mul(flips, 0.5)), 2)), 0);
  return where(even, add(extra, min), sub(span + min, extra));
}

/** A pixel position with the padding mode applied (torch's compute_coordinates). */
function padded(x: Tensor, size: number, paddingMode: GridSamplePaddingMode, alignCorners: boolean): Tensor {
  if (paddingMode === 'border') return clip(x, size);
  if (paddingMode === 'reflection')
    return clip(alignCorners ? reflect(x, 0, 2 * (size - 1)) : reflect(x, -1, 2 * size - 1), size);
  return x;
}

/** Keys' cubic convolution weights of the 4 taps around fraction t, torch's A = -0.75. */
function cubicWeights(t: Tensor): Tensor[] {
  const a = -0.75;
  const near = (x: Tensor) => add(mul(mul(sub(mul(x, a + 2), a + 3), x), x), 1);
  const far = (x: Tensor) => sub(mul(add(mul(sub(mul(x, a), 5 * a), x), 8 * a), x), 4 * a);
  const rest = sub(1, t);
  return [far(add(t, 1)), near(t), near(rest), far(add(rest, 1))];
}

/** One tap per spatial axis: its integer pixel position and its weight along that axis. */
interface Tap {
  readonly position: Tensor;
  readonly weight: Tensor | null;
}

/**
 * Samples `input` ([N, C, H, W] or [N, C, D, H, W]) at the points of `grid` ([N, Ho, Wo, 2] or
 * [N, Do, Ho, Wo, 3], (x, y[, z]) in [-1, 1]) like torch.nn.functional.grid_sample: the spatial
 * transformer's read. Built from gathers at computed indices times weights computed from the
 * grid, so gradients reach both the input and the grid (none through 'nearest', as in torch).
 */
export function gridSample(input: Tensor, grid: Tensor, options: GridSampleOptions = {}): Tensor {
  checkOptions('gridSample', options, ['mode', 'paddingMode', 'alignCorners']);
  const mode = choice('gridSample: mode', options.mode, 'bilinear', MODES);
  const paddingMode = choice('gridSample: paddingMode', options.paddingMode, 'zeros', PADDING_MODES);
  const alignCorners = checkBoolean('gridSample: alignCorners', options.alignCorners ?? false);
  if (input.rank !== 4 && input.rank !== 5)
    throw new ShapeError(
      `gridSample: input must be [N, C, H, W] or [N, C, D, H, W], got shape ${formatShape(input.shape)}`,
    );
  const spatial = input.rank - 2;
  if (mode === 'bicubic' && spatial !== 2)
    throw new ArgumentError(`gridSample: mode 'bicubic' takes 4-D input only, got shape ${formatShape(input.shape)}`);
  if (grid.rank !== input.rank || grid.shape[0] !== input.shape[0] || grid.shape[grid.rank - 1] !== spatial)
    throw new ShapeError(
      `gridSample: grid must be [${spatial === 2 ? 'N, Ho, Wo, 2' : 'N, Do, Ho, Wo, 3'}] with N = ${input.shape[0]} for input of shape ${formatShape(input.shape)}, got shape ${formatShape(grid.shape)}`,
    );
  if (!isFloat(input.dtype) || grid.dtype !== input.dtype)
    throw new DTypeError(
      `gridSample: input and grid must have the same float dtype, got ${input.dtype} and ${grid.dtype}`,
    );
  if (input.shape.slice(2).some((d) => d === 0))
    throw new ShapeError(`gridSample: input's spatial sizes must be non-empty, got shape ${formatShape(input.shape)}`);

  return composite(() => {
    const [n, c, ...sizes] = input.shape as number[];
    const outSpatial = grid.shape.slice(1, -1);
    const pixels = sizes.reduce((a, b) => a * b, 1);
    // Channels last, one row per pixel of every sample: a gather picks rows.
    const table = reshape(permute(input, [0, ...sizes.map((_, i) => i + 2), 1]), [n! * pixels, c!]);
    const strides = sizes.map((_, axis) => sizes.slice(axis + 1).reduce((a, b) => a * b, 1));
    // Row indices in int32: float32 holds integers exactly only to 2^24, and N * pixels may pass it.
    const batchRows = reshape(arange(0, n! * pixels, pixels, { dtype: 'int32', backend: input.backend }), [
      n!,
      ...outSpatial.map(() => 1),
    ]);
    // grid[..., k] addresses spatial axis (spatial - 1 - k): x is the width.
    const coordinates = sizes.map((size, axis) => {
      const k = spatial - 1 - axis;
      const begin = [...grid.shape.slice(0, -1).map(() => 0), k];
      const column = squeeze(slice(grid, begin, [...grid.shape.slice(0, -1), 1]), grid.rank - 1);
      return unnormalize(column, size, alignCorners);
    });
    const tapsPerAxis: Tap[][] = coordinates.map((x, axis) => {
      const size = sizes[axis]!;
      if (mode === 'bicubic') {
        const start = floor(x);
        const weights = cubicWeights(sub(x, start));
        return weights.map((weight, i) => ({
          position: padded(add(start.detach(), i - 1), size, paddingMode, alignCorners).detach(),
          weight,
        }));
      }
      const source = padded(x, size, paddingMode, alignCorners);
      if (mode === 'nearest') return [{ position: round(source).detach(), weight: null }];
      const low = floor(source);
      const high = sub(source, low);
      return [
        { position: low.detach(), weight: sub(1, high) },
        { position: add(low.detach(), 1), weight: high },
      ];
    });
    // Every combination of one tap per axis: 2^spatial corners (bilinear), 16 (bicubic), 1 (nearest).
    const corners = tapsPerAxis.reduce<Tap[][]>(
      (acc, taps) => acc.flatMap((combo) => taps.map((tap) => [...combo, tap])),
      [[]],
    );
    let out: Tensor | null = null;
    for (const corner of corners) {
      let row = batchRows;
      let inside: Tensor | null = null;
      let weight: Tensor | null = null;
      for (const [axis, { position, weight: w }] of corner.entries()) {
        const size = sizes[axis]!;
        const within = logicalAnd(greaterEqual(position, 0), lessEqual(position, size - 1));
        inside = inside === null ? within : logicalAnd(inside, within);
        row = add(row, mul(cast(where(within, position, 0), 'int32'), strides[axis]!));
        if (w !== null) weight = weight === null ? w : mul(weight, w);
      }
      const picked = gather(table, row, 0); // [N, ...out, C]
      const mask = cast(inside!, input.dtype);
      const scale = weight === null ? mask : mul(weight, mask);
      const term = mul(picked, reshape(scale, [...scale.shape, 1]));
      out = out === null ? term : add(out, term);
    }
    return permute(out!, [0, spatial + 1, ...outSpatial.map((_, i) => i + 1)]);
  });
}

/**
 * The sampling grid of an affine map, like torch.nn.functional.affine_grid: theta [N, 2, 3] and
 * size [N, C, H, W] give [N, H, W, 2]; theta [N, 3, 4] and size [N, C, D, H, W] give
 * [N, D, H, W, 3]. Differentiable in theta (a matmul with the base grid).
 */
export function affineGrid(theta: Tensor, size: readonly number[], options: { alignCorners?: boolean } = {}): Tensor {
  checkOptions('affineGrid', options, ['alignCorners']);
  const alignCorners = checkBoolean('affineGrid: alignCorners', options.alignCorners ?? false);
  if (
    !Array.isArray(size) ||
    (size.length !== 4 && size.length !== 5) ||
    !size.every((d) => Number.isSafeInteger(d) && d > 0)
  )
    throw new ArgumentError(
      `affineGrid: size must be [N, C, H, W] or [N, C, D, H, W] of positive integers, got ${describeValue(size)}`,
    );
  const spatial = size.length - 2;
  const [n] = size;
  if (!isFloat(theta.dtype)) throw new DTypeError(`affineGrid: theta must be a float tensor, got dtype ${theta.dtype}`);
  if (theta.rank !== 3 || theta.shape[0] !== n || theta.shape[1] !== spatial || theta.shape[2] !== spatial + 1)
    throw new ShapeError(
      `affineGrid: theta must be [${n}, ${spatial}, ${spatial + 1}] for size ${formatShape(size)}, got shape ${formatShape(theta.shape)}`,
    );
  const axes = size.slice(2);
  // The base grid's rows: (x, y[, z], 1) at every output pixel, x varying fastest.
  const steps = axes.map((steps) =>
    Array.from({ length: steps }, (_, i) => {
      const position = steps === 1 ? 0 : -1 + (2 * i) / (steps - 1);
      return alignCorners ? position : (position * (steps - 1)) / steps;
    }),
  );
  const pixels = axes.reduce((a, b) => a * b, 1);
  const base = new Float64Array(pixels * (spatial + 1));
  for (let p = 0; p < pixels; p++) {
    let rest = p;
    for (let axis = spatial - 1; axis >= 0; axis--) {
      base[p * (spatial + 1) + (spatial - 1 - axis)] = steps[axis]![rest % axes[axis]!]!;
      rest = Math.floor(rest / axes[axis]!);
    }
    base[p * (spatial + 1) + spatial] = 1;
  }
  return composite(() => {
    const grid = fromHost(base, [pixels, spatial + 1], { dtype: theta.dtype, backend: theta.backend });
    // [N, pixels, spatial] = base [pixels, spatial+1] x theta^T [N, spatial+1, spatial]
    const points = matmul(grid, theta, { transposeB: true });
    return reshape(points, [n!, ...axes, spatial]);
  });
}
