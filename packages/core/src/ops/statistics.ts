import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { fromHost } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { normalizeAxes, normalizeAxis, reducedShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import {
  add,
  cast,
  div,
  equal,
  greater,
  logicalNot,
  maximum,
  minimum,
  mul,
  notEqual,
  round,
  floor,
  ceil,
  sqrt,
  sub,
  where,
} from './elementwise.js';
import { takeAlongDim } from './indexing.js';
import { sliceAlong } from './matrix-utils.js';
import { matmul } from './linalg.js';
import { concat, gather, permute, reshape, transpose, unsqueeze } from './movement.js';
import { max, mean, min, sum } from './reduce.js';
import { QUANTILE_INTERPOLATIONS, sort, type QuantileInterpolation } from './sort.js';
import { cumsum, norm, variance, type VarianceOptions } from './tensor-utils.js';
import { isNaN } from './tensor-math.js';

/*
 * torch's remaining reductions and statistics (amax, amin, aminmax, count_nonzero, var_mean,
 * std_mean, nanquantile, mode, cov, corrcoef, dist, pdist, renorm, trapezoid,
 * cumulative_trapezoid), composed from primitives so they differentiate on every backend.
 */

export interface AmaxOptions {
  /** The axes to reduce (default all). */
  dim?: number | number[];
  keepdim?: boolean;
}

function reduceOptions(op: string, x: Tensor, options: AmaxOptions): { axes: number[]; keepdim: boolean } {
  checkOptions(op, options, ['dim', 'keepdim']);
  return {
    axes: normalizeAxes(op, options.dim, x.rank),
    keepdim: checkBoolean(`${op}: keepdim`, options.keepdim ?? false),
  };
}

/** The extreme over axes, its gradient split evenly among the entries equal to it (torch's amax/amin). */
function evenExtreme(op: string, x: Tensor, options: AmaxOptions, largest: boolean): Tensor {
  const { axes, keepdim } = reduceOptions(op, x, options);
  const empty = axes.find((axis) => x.shape[axis] === 0);
  if (empty !== undefined)
    throw new ShapeError(`${op}: cannot reduce over dim ${empty} of size 0 (shape ${formatShape(x.shape)})`);
  const reduce = largest ? max : min;
  if (!isFloat(x.dtype)) return reduce(x, axes, keepdim);
  return composite(() => {
    const extreme = noGrad(() => reduce(x, axes, true));
    const ties = equal(x, extreme);
    // extreme + mean of (x - extreme) over the ties: exactly the extreme, with gradient 1/ties each.
    const share = div(sum(where(ties, sub(x, extreme), 0), axes, keepdim), sum(cast(ties, x.dtype), axes, keepdim));
    return add(reshape(extreme, reducedShape(x.shape, axes, keepdim)), share);
  });
}

/** torch.amax: the largest value over dim (all axes by default); the gradient is shared among ties. */
export const amax = (x: Tensor, options: AmaxOptions = {}): Tensor => evenExtreme('amax', x, options, true);
/** torch.amin: the smallest value over dim (all axes by default); the gradient is shared among ties. */
export const amin = (x: Tensor, options: AmaxOptions = {}): Tensor => evenExtreme('amin', x, options, false);

/** torch.aminmax: `{ min, max }` over one dim (all elements by default). */
export function aminmax(x: Tensor, options: { dim?: number; keepdim?: boolean } = {}): { min: Tensor; max: Tensor } {
  if (options.dim !== undefined && typeof options.dim !== 'number')
    throw new ArgumentError(`aminmax: dim must be one axis, got ${describeValue(options.dim)}`);
  return { min: amin(x, options), max: amax(x, options) };
}

/** torch.count_nonzero: the number of non-zero entries over dim (all by default), int32. */
export function countNonzero(x: Tensor, options: { dim?: number | number[] } = {}): Tensor {
  checkOptions('countNonzero', options, ['dim']);
  const axes = normalizeAxes('countNonzero', options.dim, x.rank);
  return composite(() => sum(cast(notEqual(x, 0), 'int32'), axes));
}

export interface VarMeanOptions {
  /** The axes to reduce (default all). */
  dim?: number | number[];
  /** Subtracted from the count in the variance's divisor (default 1, Bessel's correction). */
  correction?: number;
  keepdim?: boolean;
}

/** dim, and the variance's own options (its keepDims is torch's keepdim). */
function splitVarianceOptions(op: string, options: VarMeanOptions): [number[] | number | undefined, VarianceOptions] {
  checkOptions(op, options, ['dim', 'correction', 'keepdim']);
  const keepDims = checkBoolean(`${op}: keepdim`, options.keepdim ?? false);
  return [options.dim, options.correction === undefined ? { keepDims } : { correction: options.correction, keepDims }];
}

/** torch.var_mean: [variance, mean] over dim, with the variance's correction (default 1). */
export function varMean(x: Tensor, options: VarMeanOptions = {}): [Tensor, Tensor] {
  const [dim, rest] = splitVarianceOptions('varMean', options);
  return [variance(x, dim, rest), mean(x, dim, rest.keepDims)];
}

/** torch.std_mean: [standard deviation, mean] over dim, with the variance's correction (default 1). */
export function stdMean(x: Tensor, options: VarMeanOptions = {}): [Tensor, Tensor] {
  const [dim, rest] = splitVarianceOptions('stdMean', options);
  return [composite(() => sqrt(variance(x, dim, rest))), mean(x, dim, rest.keepDims)];
}

export interface NanquantileOptions {
  /** The axis to reduce (default: every element, flattened). */
  dim?: number;
  keepdim?: boolean;
  /** How a quantile between two entries is read (default 'linear'). */
  interpolation?: QuantileInterpolation;
}

/**
 * torch.nanquantile: the q-th quantiles (a number, or an array: a leading axis) over dim of the
 * entries that are not NaN (NaN where a row has none). Each row's rank q (count - 1) is computed
 * on the device from its own count, then read from the sorted row.
 */
export function nanquantile(x: Tensor, q: number | readonly number[], options: NanquantileOptions = {}): Tensor {
  checkOptions('nanquantile', options, ['dim', 'keepdim', 'interpolation']);
  const keepdim = checkBoolean('nanquantile: keepdim', options.keepdim ?? false);
  const interpolation = options.interpolation ?? 'linear';
  if (!QUANTILE_INTERPOLATIONS.includes(interpolation))
    throw new ArgumentError(
      `nanquantile: interpolation must be one of ${QUANTILE_INTERPOLATIONS.join(', ')}, got ${describeValue(interpolation)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`nanquantile: x must be float32 or float64, got ${x.dtype}`);
  const qs = typeof q === 'number' ? [q] : q;
  if (!Array.isArray(qs) || qs.length === 0 || qs.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1)))
    throw new ArgumentError(
      `nanquantile: q must be a number in [0, 1] or a non-empty array of them, got ${describeValue(q)}`,
    );
  if (x.size === 0) throw new ShapeError(`nanquantile: x must not be empty, got shape ${formatShape(x.shape)}`);
  const flat = options.dim === undefined;
  const at = flat ? 0 : normalizeAxis('nanquantile', options.dim!, Math.max(x.rank, 1));
  return composite(() => {
    const source = flat || x.rank === 0 ? reshape(x, [-1]) : x;
    const rows = transpose(source, at, source.rank - 1);
    const sorted = sort(rows, { dim: -1 }).values; // NaN last
    const count = sum(cast(logicalNot(isNaN(rows)), x.dtype), -1, true);
    const last = sub(count, 1);
    const n = rows.shape[rows.rank - 1]!;
    const clampIndex = (t: Tensor): Tensor => cast(minimum(maximum(t, 0), n - 1), 'int32');
    const picks = qs.map((value) => {
      const rank = mul(last, value);
      const low = floor(rank);
      const lowIndex = interpolation === 'nearest' ? round(rank) : interpolation === 'higher' ? ceil(rank) : low;
      const below = takeAlongDim(sorted, clampIndex(lowIndex), -1);
      if (interpolation !== 'linear' && interpolation !== 'midpoint') return below;
      const above = takeAlongDim(sorted, clampIndex(ceil(rank)), -1);
      const weight = interpolation === 'midpoint' ? 0.5 : sub(rank, low);
      return add(below, mul(sub(above, below), weight));
    });
    // Rows of only NaN give NaN; the quantiles go where dim was.
    const out = transpose(where(greater(count, 0), concat(picks, -1), Number.NaN), at, source.rank - 1);
    if (typeof q === 'number') {
      const dropped = reshape(
        out,
        out.shape.filter((_, i) => i !== at),
      );
      return keepdim
        ? reshape(dropped, flat ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === at ? 1 : d)))
        : dropped;
    }
    const front =
      at === 0
        ? out
        : permute(
            out,
            [at, ...out.shape.keys()].filter((v, i) => i === 0 || v !== at),
          );
    return keepdim
      ? reshape(front, [qs.length, ...(flat ? x.shape.map(() => 1) : x.shape.map((d, i) => (i === at ? 1 : d)))])
      : front;
  });
}

/**
 * torch.mode: `{ values, indices }` of the most frequent value along dim (default -1; the
 * smallest of equally frequent ones, indexed at its last occurrence, as torch's CPU kernel). Each
 * entry is compared with every other of its row (memory n^2 per row); the gradient goes to the index.
 */
export function mode(
  x: Tensor,
  options: { dim?: number; keepdim?: boolean } = {},
): { values: Tensor; indices: Tensor } {
  checkOptions('mode', options, ['dim', 'keepdim']);
  const keepdim = checkBoolean('mode: keepdim', options.keepdim ?? false);
  const at = normalizeAxis('mode', options.dim ?? -1, Math.max(x.rank, 1));
  if (x.size === 0) throw new ShapeError(`mode: x must not be empty, got shape ${formatShape(x.shape)}`);
  const source = x.rank === 0 ? [1] : x.shape;
  const n = source[at]!;
  const [values, indices] = compositeResults(() => {
    const rows = transpose(reshape(x, source), at, source.length - 1);
    const index = noGrad(() => {
      const same = equal(unsqueeze(rows, -1), unsqueeze(rows, -2));
      const counts = sum(cast(same, 'int32'), -1);
      const candidates = equal(counts, max(counts, -1, true));
      const top = isFloat(x.dtype) ? Infinity : 2 ** 31 - 1;
      const value = min(where(candidates, rows, top), -1, true);
      const positions = fromHost(
        Int32Array.from({ length: n }, (_, i) => i),
        [n],
        { dtype: 'int32', backend: x.backend },
      );
      return max(where(equal(rows, value), positions, -1), -1, true);
    });
    const back = (t: Tensor): Tensor => {
      const moved = transpose(t, at, source.length - 1);
      return keepdim ? moved : reshape(moved, reducedShape(source, [at], false));
    };
    return [back(takeAlongDim(rows, index, -1)), back(index)];
  });
  return { values: values!, indices: indices! };
}

export interface CovOptions {
  /** Subtracted from the (weighted) count: 1 (default) for Bessel's correction, 0 for the biased estimate. */
  correction?: number;
  /** Integer frequency weights, one per observation (column). */
  fweights?: Tensor;
  /** Observation weights, one per column. */
  aweights?: Tensor;
}

/**
 * torch.cov: the covariance matrix of the variables in x's rows (observations in the columns; a
 * vector is one variable, a 0-D result), with torch's frequency and observation weights.
 */
export function cov(x: Tensor, options: CovOptions = {}): Tensor {
  checkOptions('cov', options, ['correction', 'fweights', 'aweights']);
  const correction = checkNumber('cov: correction', options.correction ?? 1, { min: 0 });
  if (x.rank > 2) throw new ShapeError(`cov: x must be a vector or a matrix, got shape ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`cov: expected a float tensor, got dtype ${x.dtype}`);
  const observations = x.rank === 0 ? 1 : x.shape[x.rank - 1]!;
  for (const key of ['fweights', 'aweights'] as const) {
    const w = options[key];
    if (w !== undefined && (w.rank > 1 || w.size !== observations))
      throw new ShapeError(
        `cov: ${key} must be a vector of ${observations} weights (one per column), got shape ${formatShape(w.shape)}`,
      );
  }
  return composite(() => {
    const m = reshape(x, [-1, observations]);
    const { fweights, aweights } = options;
    const weights =
      fweights && aweights ? mul(cast(fweights, x.dtype), aweights) : fweights ? cast(fweights, x.dtype) : aweights;
    let c: Tensor;
    if (weights === undefined) {
      const centered = sub(m, mean(m, 1, true));
      c = div(matmul(centered, centered, { transposeB: true }), Math.max(0, observations - correction));
    } else {
      const total = sum(weights);
      const centered = sub(m, div(sum(mul(m, weights), 1, true), total));
      const factor = aweights
        ? sub(total, div(mul(sum(mul(weights, aweights)), correction), total))
        : sub(total, correction);
      c = div(matmul(centered, mul(centered, weights), { transposeB: true }), maximum(factor, 0));
    }
    return x.rank < 2 ? reshape(c, []) : c;
  });
}

/** torch.corrcoef: Pearson's correlation coefficients of x's rows, clipped to [-1, 1]. */
export function corrcoef(x: Tensor): Tensor {
  return composite(() => {
    const c = cov(x);
    if (c.rank === 0) return div(c, c);
    const n = c.shape[0]!;
    const diagonal = gather(
      reshape(c, [-1]),
      fromHost(
        Int32Array.from({ length: n }, (_, i) => i * (n + 1)),
        [n],
        { dtype: 'int32', backend: x.backend },
      ),
      0,
    );
    const deviation = sqrt(diagonal);
    const r = div(div(c, reshape(deviation, [n, 1])), deviation);
    return minimum(maximum(r, -1), 1);
  });
}

/** torch.dist: the p-norm of a - b (broadcasting; p 2 by default, also 0, 1, Infinity). */
export function dist(a: Tensor, b: Tensor, p = 2): Tensor {
  return composite(() => norm(sub(a, b), p));
}

/** torch.pdist: the p-norm distances between the rows of an [N, M] matrix, pairs i < j in row-major order. */
export function pdist(x: Tensor, p = 2): Tensor {
  if (x.rank !== 2) throw new ShapeError(`pdist: x must be a matrix [N, M], got shape ${formatShape(x.shape)}`);
  const n = x.shape[0]!;
  const firsts: number[] = [];
  const seconds: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      firsts.push(i);
      seconds.push(j);
    }
  return composite(() => {
    const pick = (rows: number[]): Tensor =>
      gather(x, fromHost(Int32Array.from(rows), [rows.length], { dtype: 'int32', backend: x.backend }), 0);
    return norm(sub(pick(firsts), pick(seconds)), p, 1);
  });
}

/** torch.renorm: each slice of x along dim whose p-norm exceeds maxnorm scaled down to it (by maxnorm / (norm + 1e-7), differentiated through the norm, as torch). */
export function renorm(x: Tensor, p: number, dim: number, maxnorm: number): Tensor {
  checkNumber('renorm: p', p, { min: Number.MIN_VALUE });
  checkNumber('renorm: maxnorm', maxnorm, { min: 0 });
  const at = normalizeAxis('renorm', dim, x.rank);
  const others = x.shape.map((_, i) => i).filter((i) => i !== at);
  return composite(() => {
    const norms = norm(x, p, others, true);
    const factor = where(greater(norms, maxnorm), div(maxnorm, add(norms, 1e-7)), 1);
    return mul(x, factor);
  });
}

export interface TrapezoidOptions {
  /** The sample points along dim (a vector, or y's shape); spacing dx otherwise. */
  x?: Tensor;
  /** The constant spacing without x (default 1). */
  dx?: number;
  /** The axis to integrate along (default -1). */
  dim?: number;
}

/** The trapezoids' areas along dim: (y[i] + y[i+1]) / 2 times the spacing. */
function trapezoids(op: string, y: Tensor, options: TrapezoidOptions): [Tensor, number] {
  checkOptions(op, options, ['x', 'dx', 'dim']);
  if (options.x !== undefined && options.dx !== undefined) throw new ArgumentError(`${op}: give x or dx, not both`);
  const dx = checkNumber(`${op}: dx`, options.dx ?? 1);
  const at = normalizeAxis(op, options.dim ?? -1, y.rank);
  const n = y.shape[at]!;
  if (n === 0) return [mul(sliceAlong(y, at, 0, 0), 1), at];
  const heights = div(add(sliceAlong(y, at, 1, n - 1), sliceAlong(y, at, 0, n - 1)), 2);
  const { x } = options;
  if (x === undefined) return [mul(heights, dx), at];
  if (x.rank === 1) {
    if (x.size !== n) throw new ShapeError(`${op}: x has ${x.size} points, y has ${n} along dim ${at}`);
    const spacing = sub(sliceAlong(x, 0, 1, n - 1), sliceAlong(x, 0, 0, n - 1));
    return [
      mul(
        heights,
        reshape(
          spacing,
          y.shape.map((d, i) => (i === at ? n - 1 : 1)),
        ),
      ),
      at,
    ];
  }
  const xAt = normalizeAxis(op, at - y.rank, x.rank);
  return [mul(heights, sub(sliceAlong(x, xAt, 1, n - 1), sliceAlong(x, xAt, 0, n - 1))), at];
}

/** torch.trapezoid: the trapezoidal rule's integral of y along dim. */
export function trapezoid(y: Tensor, options: TrapezoidOptions = {}): Tensor {
  return composite(() => {
    const [areas, at] = trapezoids('trapezoid', y, options);
    return sum(areas, at);
  });
}

/** torch.cumulative_trapezoid: the running trapezoidal integrals of y along dim (one fewer than y). */
export function cumulativeTrapezoid(y: Tensor, options: TrapezoidOptions = {}): Tensor {
  return composite(() => {
    const [areas, at] = trapezoids('cumulativeTrapezoid', y, options);
    return areas.shape[at] === 0 ? areas : cumsum(areas, at);
  });
}
