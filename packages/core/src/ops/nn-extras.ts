import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { fromHost, rand } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { normalizeAxis } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { relu, softmax } from './activation.js';
import { avgPool1d } from './conv1d.js';
import { isFloat } from './dispatch.js';
import { abs, add, cast, clamp, div, log, mul, neg, pow, sign, sub } from './elementwise.js';
import { gather, oneHot, pad, permute, reshape } from './movement.js';
import { adaptiveMaxPool2d, avgPool2d } from './pool.js';
import { argmax, max } from './reduce.js';
import { pair, single, type Size1d, type Size2d } from './unfold.js';

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

function checkNormType(op: string, normType: unknown): number {
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
 * [floor(i*L/n), ceil((i+1)*L/n))), like F.adaptive_max_pool1d.
 */
export function adaptiveMaxPool1d(x: Tensor, outputSize: Size1d): Tensor {
  const count = single('adaptiveMaxPool1d: outputSize', outputSize, 1);
  const { input, back } = batched1d('adaptiveMaxPool1d', x);
  return composite(() => {
    const [n, c, length] = input.shape as [number, number, number];
    return back(reshape(adaptiveMaxPool2d(reshape(input, [n, c, 1, length]), [1, count]), [n, c, count]));
  });
}

/**
 * adaptiveMaxPool1d and the index along L of each maximum (int32; the first of equal ones), like
 * F.adaptive_max_pool1d(..., return_indices=True): one gather of every bin's taps (padded to the
 * widest bin with -Infinity), a max and an argmax.
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
    const picked = reshape(
      gather(padded, fromHost(taps, [count * widest], { dtype: 'int32', backend: x.backend }), 2),
      [n, c, count, widest],
    );
    const starts = fromHost(
      bins.map(([start]) => start!),
      [count],
      { dtype: 'int32', backend: x.backend },
    );
    return [back(max(picked, 3)), back(cast(add(argmax(picked.detach(), 3), starts), 'int32'))];
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
  if (
    given !== undefined &&
    (given.shape.length !== logits.shape.length || given.shape.some((d, i) => d !== logits.shape[i]))
  )
    throw new ShapeError(
      `gumbelSoftmax: gumbels must have the logits' shape ${formatShape(logits.shape)}, got ${formatShape(given.shape)}`,
    );
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
