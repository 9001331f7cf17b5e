import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions, describeValue } from '../nn/checks.js';
import { arange, fromHost, rand } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { isTensor } from '../tensor/is-tensor.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { relu, softmax } from './activation.js';
import { avgPool1d } from './conv1d.js';
import { isFloat } from './dispatch.js';
import { abs, add, cast, clamp, div, equal, floor, log, mul, neg, pow, sign, sub, where } from './elementwise.js';
import { concat, gather, oneHot, pad, permute, reshape, unsqueeze } from './movement.js';
import { avgPool2d } from './pool.js';
import { argmax, sum } from './reduce.js';
import { pair, single, type Size1d, type Size2d } from './unfold.js';

/**
 * The maximum of each window (last axis) and `positions` at it: the first of equal maxima, which
 * alone gets the gradient, as in torch's max pools (a max would split it among ties).
 */
function atArgmax(windows: Tensor, positions: Tensor): { value: Tensor; index: Tensor } {
  const axis = windows.rank - 1;
  const chosen = equal(
    unsqueeze(argmax(windows.detach(), axis), axis),
    arange(windows.shape[axis]!, { dtype: 'int32', backend: windows.backend }),
  );
  return { value: sum(where(chosen, windows, 0), axis), index: sum(where(chosen, positions, 0), axis) };
}

export interface LpPool1dArgs {
  /** The window step (default: the kernel size). */
  stride?: Size1d;
  ceilMode?: boolean;
}

export interface LpPool2dArgs {
  /** The window step (default: the kernel size). */
  stride?: Size2d;
  ceilMode?: boolean;
}

/** torch's lp_pool tail: (sign(mean) * relu(|mean|) * taps)^(1/p) of the windows' mean of x^p. */
function lpFromMean(meanOfPowers: Tensor, taps: number, normType: number): Tensor {
  return pow(mul(mul(sign(meanOfPowers), relu(abs(meanOfPowers))), taps), 1 / normType);
}

/** normType as a number other than 0 (lpPool's, and LPPool1d/2d's at construction). */
export function checkNormType(op: string, normType: unknown): number {
  const p = checkNumber(`${op}: normType`, normType);
  if (p === 0) throw new ArgumentError(`${op}: normType must be a non-zero number, got 0`);
  return p;
}

/**
 * The p-norm of each window of [N, C, L] or [C, L], (sum x^p)^(1/p), like torch's F.lp_pool1d
 * (p = 1 is sum pooling, p = Infinity max pooling's limit); no padding, as in torch.
 */
export function lpPool1d(x: Tensor, normType: number, kernelSize: Size1d, args: LpPool1dArgs = {}): Tensor {
  checkOptions('lpPool1d', args, ['stride', 'ceilMode']);
  const p = checkNormType('lpPool1d', normType);
  const kernel = single('lpPool1d: kernelSize', kernelSize, 1);
  return composite(() => {
    const mean = avgPool1d(pow(x, p), kernel, { stride: args.stride ?? kernel, ceilMode: args.ceilMode ?? false });
    return lpFromMean(mean, kernel, p);
  });
}

/** The p-norm of each window of [N, C, H, W] or [C, H, W], like torch's F.lp_pool2d. */
export function lpPool2d(x: Tensor, normType: number, kernelSize: Size2d, args: LpPool2dArgs = {}): Tensor {
  checkOptions('lpPool2d', args, ['stride', 'ceilMode']);
  const p = checkNormType('lpPool2d', normType);
  const [kh, kw] = pair('lpPool2d: kernelSize', kernelSize, 1);
  return composite(() => {
    const mean = avgPool2d(pow(x, p), [kh, kw], { stride: args.stride ?? [kh, kw], ceilMode: args.ceilMode ?? false });
    return lpFromMean(mean, kh * kw, p);
  });
}

/** [N, C, L] from [N, C, L] or unbatched [C, L], and the way back. */
function batched1d(op: string, x: Tensor): { input: Tensor; back: (out: Tensor) => Tensor } {
  if (x.rank !== 3 && x.rank !== 2)
    throw new ShapeError(`${op}: expected an input [N, C, L] or unbatched [C, L], got shape ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  if (x.rank === 3) return { input: x, back: (out) => out };
  return { input: reshape(x, [1, ...x.shape]), back: (out) => reshape(out, out.shape.slice(1)) };
}

/**
 * Maxima of [N, C, L] (or [C, L]) over torch's adaptive bins (bin i spans
 * [floor(i*L/n), ceil((i+1)*L/n))), like F.adaptive_max_pool1d: the gradient goes to the first
 * of equal maxima only, as torch's.
 */
export function adaptiveMaxPool1d(x: Tensor, outputSize: Size1d): Tensor {
  const [values, indices] = adaptiveMaxPool1dWithIndices(x, outputSize);
  indices.dispose();
  return values;
}

/**
 * adaptiveMaxPool1d and the index along L of each maximum (int32; the first of equal ones), like
 * F.adaptive_max_pool1d(..., return_indices=True): one gather of every bin's taps (padded to the
 * widest bin with -Infinity) and an argmax, through which the gradient goes.
 */
export function adaptiveMaxPool1dWithIndices(x: Tensor, outputSize: Size1d): [Tensor, Tensor] {
  const count = single('adaptiveMaxPool1d: outputSize', outputSize, 1);
  const { input, back } = batched1d('adaptiveMaxPool1d', x);
  const [values, indices] = compositeResults(() => {
    const [n, c, length] = input.shape as [number, number, number];
    const bins = Array.from({ length: count }, (_, i) => [
      Math.floor((i * length) / count),
      Math.ceil(((i + 1) * length) / count),
    ]);
    const widest = Math.max(...bins.map(([start, end]) => end! - start!));
    // Taps past a bin's end read the -Infinity appended at index `length`.
    const taps = bins.flatMap(([start, end]) =>
      Array.from({ length: widest }, (_, t) => (start! + t < end! ? start! + t : length)),
    );
    const padded = pad(
      input,
      [
        [0, 0],
        [0, 0],
        [0, 1],
      ],
      -Infinity,
    );
    const positions = fromHost(taps, [count * widest], { dtype: 'int32', backend: x.backend });
    const picked = reshape(gather(padded, positions, 2), [n, c, count, widest]);
    const { value, index } = atArgmax(picked, reshape(positions, [count, widest]));
    return [back(value), back(index)];
  });
  return [values!, indices!];
}

export interface GumbelSoftmaxOptions {
  /** The temperature (default 1): lower is closer to one-hot. */
  tau?: number;
  /** Return one-hot samples whose gradient is the soft sample's (straight-through), as torch's hard=True. */
  hard?: boolean;
  /** The class axis (default -1). */
  dim?: number;
  /** Draws the Gumbel noise; the default generator otherwise. */
  generator?: Generator;
  /** Gumbel(0, 1) noise of the logits' shape to use instead of drawing it (to reproduce a sample). */
  gumbels?: Tensor;
}

/**
 * A sample of the Gumbel-softmax (concrete) distribution over `logits`' classes, like torch's
 * F.gumbel_softmax: softmax((logits + g) / tau) with g ~ Gumbel(0, 1) (-log(-log(u)), u uniform
 * from the seeded host generator, so the same on every backend); with hard, the one-hot of its
 * argmax with the soft sample's gradient.
 */
export function gumbelSoftmax(logits: Tensor, options: GumbelSoftmaxOptions = {}): Tensor {
  checkOptions('gumbelSoftmax', options, ['tau', 'hard', 'dim', 'generator', 'gumbels']);
  const tau = checkNumber('gumbelSoftmax: tau', options.tau ?? 1);
  if (tau <= 0) throw new ArgumentError(`gumbelSoftmax: tau must be a number > 0, got ${tau}`);
  const hard = checkBoolean('gumbelSoftmax: hard', options.hard ?? false);
  if (!isFloat(logits.dtype))
    throw new DTypeError(`gumbelSoftmax: logits must be a float tensor, got dtype ${logits.dtype}`);
  if (logits.rank === 0) throw new ShapeError('gumbelSoftmax: logits must have a class axis, got a scalar');
  const dim = normalizeAxis('gumbelSoftmax', options.dim ?? -1, logits.rank);
  const given = options.gumbels;
  if (given !== undefined) {
    if (!isTensor(given))
      throw new ArgumentError(`gumbelSoftmax: gumbels must be a Tensor of Gumbel noise, got ${describeValue(given)}`);
    if (given.shape.length !== logits.shape.length || given.shape.some((d, i) => d !== logits.shape[i]))
      throw new ShapeError(
        `gumbelSoftmax: gumbels must have the logits' shape ${formatShape(logits.shape)}, got ${formatShape(given.shape)}`,
      );
    if (given.dtype !== logits.dtype)
      throw new DTypeError(`gumbelSoftmax: gumbels must have the logits' dtype ${logits.dtype}, got ${given.dtype}`);
    if (given.backend !== logits.backend)
      throw new ArgumentError(
        `gumbelSoftmax: gumbels must be on the logits' backend '${logits.backend.name}', got ${given.backend.name === logits.backend.name ? `another '${given.backend.name}' instance` : `'${given.backend.name}'`}`,
      );
  }
  return composite(() => {
    const gumbels =
      given ??
      neg(
        log(
          neg(
            log(
              clamp(
                rand(logits.shape, { generator: options.generator, dtype: logits.dtype, backend: logits.backend }),
                1e-20,
                null,
              ),
            ),
          ),
        ),
      );
    const soft = softmax(div(add(logits, gumbels), tau), dim);
    if (!hard) return soft;
    const classes = logits.shape[dim]!;
    // one-hot along the last axis, then moved to `dim`
    const last = cast(oneHot(argmax(soft.detach(), dim), classes), logits.dtype);
    const order = [...Array(logits.rank - 1).keys()].map((a) => a);
    order.splice(dim, 0, logits.rank - 1);
    const oneHotAtDim = permute(last, order);
    return add(sub(oneHotAtDim, soft.detach()), soft);
  });
}

export interface FractionalMaxPool2dArgs {
  /** The output's [height, width] (or one size for both). Give this or outputRatio. */
  outputSize?: Size2d;
  /** The output size as a fraction of the input's, in (0, 1) (one for both axes, or [h, w]). Give this or outputSize. */
  outputRatio?: number | readonly [number, number];
  /** torch's _random_samples: [N, C, 2] in [0, 1) (width's, then height's), one pair per plane; else drawn. */
  randomSamples?: Tensor;
  /** Draws the samples when randomSamples is not given; the default generator otherwise. */
  generator?: Generator;
}

/** The window starts of one axis for each plane (torch's generate_intervals), as float tensor values [P, out]. */
function fractionalStarts(samples: Tensor, inputSize: number, outputSize: number, poolSize: number): Tensor {
  const last = fromHost([inputSize - poolSize], [1, 1], { dtype: samples.dtype, backend: samples.backend });
  if (outputSize === 1) return mul(last, samples.mul(0).add(1));
  const alpha = (inputSize - poolSize) / (outputSize - 1);
  const steps = fromHost(
    Array.from({ length: outputSize - 1 }, (_, i) => i),
    [1, outputSize - 1],
    { dtype: samples.dtype, backend: samples.backend },
  );
  const starts = sub(floor(mul(add(steps, samples), alpha)), floor(mul(samples, alpha)));
  return concat([starts, add(mul(samples, 0), last)], 1);
}

/**
 * Fractional max pooling of [N, C, H, W] or [C, H, W] (Graham's; torch's F.fractional_max_pool2d
 * with return_indices): kernelSize windows at pseudo-random starts, one sequence per plane from
 * `randomSamples` (or seeded draws), and the flat index h * W + w of each maximum (int32).
 */
export function fractionalMaxPool2dWithIndices(
  x: Tensor,
  kernelSize: Size2d,
  args: FractionalMaxPool2dArgs = {},
): [Tensor, Tensor] {
  const op = 'fractionalMaxPool2d';
  checkOptions(op, args, ['outputSize', 'outputRatio', 'randomSamples', 'generator']);
  if (x.rank !== 4 && x.rank !== 3)
    throw new ShapeError(
      `${op}: expected an input [N, C, H, W] or unbatched [C, H, W], got shape ${formatShape(x.shape)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`${op}: expected a float input, got dtype ${x.dtype}`);
  const [kh, kw] = pair(`${op}: kernelSize`, kernelSize, 1);
  const unbatched = x.rank === 3;
  const [n, c, height, width] = (unbatched ? [1, ...x.shape] : x.shape) as [number, number, number, number];
  if ((args.outputSize === undefined) === (args.outputRatio === undefined))
    throw new ArgumentError(`${op}: give exactly one of outputSize and outputRatio`);
  let outH: number;
  let outW: number;
  if (args.outputSize !== undefined) [outH, outW] = pair(`${op}: outputSize`, args.outputSize, 1);
  else {
    const ratio = args.outputRatio!;
    const [rh, rw] = typeof ratio === 'number' ? [ratio, ratio] : ratio;
    for (const r of [rh, rw])
      if (typeof r !== 'number' || !(r > 0 && r < 1))
        throw new ArgumentError(`${op}: outputRatio must be in (0, 1), got ${describeValue(ratio)}`);
    [outH, outW] = [Math.trunc(height * rh!), Math.trunc(width * rw!)];
  }
  if (outH + kh - 1 > height || outW + kw - 1 > width)
    throw new ShapeError(
      `${op}: outputSize ${outH}x${outW} with kernelSize ${kh}x${kw} needs an input of at least ${outH + kh - 1}x${outW + kw - 1}, got ${height}x${width}`,
    );
  const given = args.randomSamples;
  if (given !== undefined && (given.rank !== 3 || given.shape[0] !== n || given.shape[1] !== c || given.shape[2] !== 2))
    throw new ShapeError(`${op}: randomSamples must be [${n}, ${c}, 2], got shape ${formatShape(given.shape)}`);
  const planes = n * c;
  const [values, indices] = compositeResults(() => {
    const options = { dtype: x.dtype, backend: x.backend };
    const samples = reshape(given?.cast(x.dtype) ?? rand([n, c, 2], { ...options, generator: args.generator }), [
      planes,
      2,
    ]);
    const column = (k: number) =>
      reshape(gather(samples, fromHost([k], [1], { dtype: 'int32', backend: x.backend }), 1), [planes, 1]);
    const startsW = fractionalStarts(column(0), width, outW, kw); // [P, outW]
    const startsH = fractionalStarts(column(1), height, outH, kh); // [P, outH]
    // Indices in int32: float32 holds integers exactly only to 2^24, and N * C * H * W may pass it.
    const int32 = { dtype: 'int32', backend: x.backend } as const;
    const taps = (k: number) => arange(k, int32);
    const rows = add(reshape(cast(startsH, 'int32'), [planes, outH, 1, 1, 1]), reshape(taps(kh), [1, 1, 1, kh, 1]));
    const cols = add(reshape(cast(startsW, 'int32'), [planes, 1, outW, 1, 1]), reshape(taps(kw), [1, 1, 1, 1, kw]));
    const inPlane = reshape(add(mul(rows, width), cols), [planes, outH, outW, kh * kw]);
    const planeStart = reshape(arange(0, planes * height * width, height * width, int32), [planes, 1, 1, 1]);
    const picked = gather(reshape(x, [planes * height * width]), reshape(add(inPlane, planeStart), [-1]), 0);
    const windows = reshape(picked, [planes, outH, outW, kh * kw]);
    const { value, index } = atArgmax(windows, inPlane);
    const shape = unbatched ? [c, outH, outW] : [n, c, outH, outW];
    return [reshape(value, shape), reshape(index, shape)];
  });
  return [values!, indices!];
}

/** fractionalMaxPool2dWithIndices' values (torch's F.fractional_max_pool2d). */
export function fractionalMaxPool2d(x: Tensor, kernelSize: Size2d, args: FractionalMaxPool2dArgs = {}): Tensor {
  const [values, indices] = fractionalMaxPool2dWithIndices(x, kernelSize, args);
  indices.dispose();
  return values;
}
