import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, describeValue } from '../nn/checks.js';
import { add, div, less, logicalAnd, maximum, neg, notEqual, where } from '../ops/elementwise.js';
import { gather, pad, reshape, slice, stack } from '../ops/movement.js';
import { logsumexp } from '../ops/reduce.js';
import { fromHost, full } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { requireFloat } from './checks.js';
import { checkReduction, reduce, type Reduction, type ReductionOptions } from './reduction.js';
import { hostIntegers } from '../tensor/host-integers.js';

export interface CTCLossOptions extends ReductionOptions {
  /** The blank label's class index (default 0). */
  blank?: number;
  /** Give impossible alignments (input too short for its target) loss 0 and no gradient, instead of Infinity. */
  zeroInfinity?: boolean;
}

/** Lengths on the host, as PyTorch's CPU lengths: one per sample (a number for unbatched input). */
export type CTCLengths = number | readonly number[] | Int32Array | Tensor;

/**
 * A log-probability no path can reach. The recursion stays in finite numbers, so a state no
 * alignment reaches has gradient exactly 0 where -Infinity would make 0 * Infinity = NaN; a
 * total below half of it is an impossible alignment.
 */
const UNREACHABLE = -1e30;

/**
 * torch.nn.functional.ctc_loss (Graves et al. 2006): the negative log-likelihood of each target
 * under every alignment of the input's frames, with blanks between and around the labels.
 *
 * - `logProbs`: log-probabilities [T, N, C] (time first, as PyTorch's; log_softmax over C), or
 *   unbatched [T, C].
 * - `targets`: int32 class indices, padded [N, S] or concatenated 1-D [sum of targetLengths]
 *   (unbatched: [S]); never the blank.
 * - `inputLengths`, `targetLengths`: on the host, one per sample (each input length <= T).
 *
 * Labels are checked (a class other than the blank) where the backend reads synchronously (cpu,
 * cpu-reference); on GPU backends they are not read back, and a bad label gives a wrong loss.
 *
 * `reduction` 'mean' (default) divides each loss by its target length (at least 1) and averages
 * over the batch, as PyTorch's; 'sum' adds the losses; 'none' returns them ([N], or a scalar
 * unbatched). The forward recursion is composed from tensor ops in log space, so every backend
 * runs it and the gradient is autograd's: the exact derivative with respect to `logProbs`
 * (PyTorch's own kernel returns that plus exp(logProbs), which cancels through log_softmax, so
 * the gradients of the logits agree).
 */
export function ctcLoss(
  logProbs: Tensor,
  targets: Tensor,
  inputLengths: CTCLengths,
  targetLengths: CTCLengths,
  options: CTCLossOptions = {},
): Tensor {
  const owner = 'ctcLoss';
  const reduction = checkReduction(owner, options.reduction);
  const zeroInfinity = checkBoolean(`${owner}: zeroInfinity`, options.zeroInfinity ?? false);
  requireFloat(owner, 'logProbs', logProbs);
  if (logProbs.rank !== 3 && logProbs.rank !== 2)
    throw new ShapeError(
      `${owner}: logProbs must be [T, N, C] (time first) or unbatched [T, C], got shape ${formatShape(logProbs.shape)}`,
    );
  const unbatched = logProbs.rank === 2;
  const [steps, batch, classes] = unbatched
    ? [logProbs.shape[0]!, 1, logProbs.shape[1]!]
    : (logProbs.shape as [number, number, number]);
  const blank = options.blank ?? 0;
  if (!Number.isInteger(blank) || blank < 0 || blank >= classes)
    throw new ArgumentError(
      `${owner}: blank must be a class index in [0, ${classes - 1}] for ${classes} classes, got ${describeValue(blank)}`,
    );
  const inputs = checkLengths(owner, 'inputLengths', inputLengths, batch, unbatched, steps, `T = ${steps}`);
  const lengths = checkLengths(owner, 'targetLengths', targetLengths, batch, unbatched, Infinity, '');
  const offsets = targetOffsets(owner, targets, lengths, batch, unbatched);
  if (targets.backend.readSync) checkTargets(owner, targets, lengths, offsets, classes, blank);

  // The extended target of each sample: blank, l1, blank, l2, ..., blank (2 S + 1 states; padded to the longest).
  const longest = Math.max(0, ...lengths);
  const states = 2 * longest + 1;
  const labelAt = new Int32Array(batch * states); // where in targets (flat) an odd state's label is
  const isLabel = new Uint8Array(batch * states);
  const maySkip = new Uint8Array(batch * states); // a label state that may follow the label two back
  const classOffset = new Int32Array(batch * states);
  for (let n = 0; n < batch; n++)
    for (let s = 0; s < states; s++) {
      const at = n * states + s;
      classOffset[at] = n * classes;
      const k = (s - 1) / 2;
      if (s % 2 === 1 && k < lengths[n]!) {
        labelAt[at] = offsets[n]! + k;
        isLabel[at] = 1;
        maySkip[at] = s >= 3 ? 1 : 0;
      }
    }
  const active = new Uint8Array(steps * batch);
  for (let t = 0; t < steps; t++) for (let n = 0; n < batch; n++) active[t * batch + n] = t < inputs[n]! ? 1 : 0;
  const last = new Int32Array(batch);
  const beforeLast = new Int32Array(batch);
  const hasLabels = new Uint8Array(batch);
  for (let n = 0; n < batch; n++) {
    last[n] = n * states + 2 * lengths[n]!;
    beforeLast[n] = n * states + Math.max(0, 2 * lengths[n]! - 1);
    hasLabels[n] = lengths[n]! > 0 ? 1 : 0;
  }
  const start = new Float64Array(batch * states).fill(UNREACHABLE);
  for (let n = 0; n < batch; n++) start[n * states] = 0;

  return composite(() => {
    const host = (values: ArrayLike<number>, shape: number[], dtype: 'int32' | 'bool') =>
      fromHost(values, shape, { dtype, backend: logProbs.backend });
    const float = { dtype: logProbs.dtype, backend: logProbs.backend };
    const flatTargets = reshape(targets, [-1]);
    const labels = where(
      host(isLabel, [batch, states], 'bool'),
      flatTargets.size > 0
        ? reshape(gather(flatTargets, host(labelAt, [batch * states], 'int32')), [batch, states])
        : blank,
      full([batch, states], blank, { dtype: 'int32', backend: logProbs.backend }),
    );
    // log p_t(extended label s) for every step, sample and state: [T, N, states].
    const classIndex = reshape(add(labels, host(classOffset, [batch, states], 'int32')), [batch * states]);
    const framewise = maximum(
      reshape(gather(reshape(logProbs, [steps, batch * classes]), classIndex, 1), [steps, batch, states]),
      UNREACHABLE,
    );
    const skip = logicalAnd(host(maySkip, [batch, states], 'bool'), notEqual(labels, shiftStates(labels, 2, blank)));
    let alpha = fromHost(start, [batch, states], float);
    for (let t = 0; t < steps; t++) {
      const fromSkip = where(skip, shiftStates(alpha, 2, UNREACHABLE), UNREACHABLE);
      const next = add(
        logSumExp([alpha, shiftStates(alpha, 1, UNREACHABLE), fromSkip]),
        reshape(slice(framewise, [t, 0, 0], [1, batch, states]), [batch, states]),
      );
      alpha = where(host(active.subarray(t * batch, (t + 1) * batch), [batch, 1], 'bool'), next, alpha);
    }
    const flat = reshape(alpha, [batch * states]);
    const logLikelihood = logSumExp([
      gather(flat, host(last, [batch], 'int32')),
      where(host(hasLabels, [batch], 'bool'), gather(flat, host(beforeLast, [batch], 'int32')), UNREACHABLE),
    ]);
    const losses = where(less(logLikelihood, UNREACHABLE / 2), zeroInfinity ? 0 : Infinity, neg(logLikelihood));
    if (reduction === 'mean') {
      const perLabel = div(
        losses,
        fromHost(
          lengths.map((s) => Math.max(1, s)),
          [batch],
          float,
        ),
      );
      return reduce(unbatched ? reshape(perLabel, []) : perLabel, 'mean');
    }
    return reduce(unbatched ? reshape(losses, []) : losses, reduction);
  });
}

/** torch.nn.CTCLoss: `forward(logProbs, targets, inputLengths, targetLengths)`; see ctcLoss. */
export class CTCLoss {
  readonly blank: number;
  readonly reduction: Reduction;
  readonly zeroInfinity: boolean;
  constructor(options: CTCLossOptions = {}) {
    const blank = options.blank ?? 0;
    if (!Number.isInteger(blank) || blank < 0)
      throw new ArgumentError(`CTCLoss: blank must be a non-negative integer, got ${describeValue(blank)}`);
    this.blank = blank;
    this.reduction = checkReduction('CTCLoss', options.reduction);
    this.zeroInfinity = checkBoolean('CTCLoss: zeroInfinity', options.zeroInfinity ?? false);
  }
  forward(logProbs: Tensor, targets: Tensor, inputLengths: CTCLengths, targetLengths: CTCLengths): Tensor {
    const { blank, reduction, zeroInfinity } = this;
    return ctcLoss(logProbs, targets, inputLengths, targetLengths, { blank, reduction, zeroInfinity });
  }
}

/** x [N, states] moved `by` states to the right along the last axis, `fill` coming in from the left. */
function shiftStates(x: Tensor, by: number, fill: number): Tensor {
  const [batch, states] = x.shape as [number, number];
  if (by >= states) return full([batch, states], fill, { dtype: x.dtype, backend: x.backend });
  return pad(
    slice(x, [0, 0], [batch, states - by]),
    [
      [0, 0],
      [by, 0],
    ],
    fill,
  );
}

/** log(sum(exp(terms))) elementwise: the terms stacked on a new leading axis, reduced by logsumexp. */
function logSumExp(terms: Tensor[]): Tensor {
  return logsumexp(stack(terms), 0);
}

function checkLengths(
  owner: string,
  role: string,
  value: CTCLengths,
  batch: number,
  unbatched: boolean,
  max: number,
  bound: string,
): number[] {
  const list =
    typeof value === 'number' && unbatched
      ? [value]
      : typeof value === 'number'
        ? null
        : hostIntegers(owner, role, value);
  if (list === null || list.length !== batch)
    throw new ArgumentError(
      `${owner}: ${role} must be ${unbatched ? 'a number (or one in an array)' : `an array of ${batch} numbers, one per sample`}, got ${describeValue(value)}`,
    );
  const at = list.findIndex((v) => !Number.isInteger(v) || v < 0 || v > max);
  if (at >= 0)
    throw new ArgumentError(
      `${owner}: ${role}[${at}] must be an integer in [0, ${max === Infinity ? 'S' : max}]${bound ? ` (${bound})` : ''}, got ${describeValue(list[at])}`,
    );
  return list;
}

/** Where each sample's target starts in the flattened targets: padded rows or concatenated runs. */
function targetOffsets(owner: string, targets: Tensor, lengths: number[], batch: number, unbatched: boolean): number[] {
  if (targets.dtype !== 'int32')
    throw new DTypeError(`${owner}: targets must be int32 class indices, got dtype ${targets.dtype}`);
  const total = lengths.reduce((a, b) => a + b, 0);
  if (targets.rank === 2 && !unbatched) {
    const [rows, width] = targets.shape as [number, number];
    const tooLong = lengths.findIndex((s) => s > width);
    if (rows !== batch || tooLong >= 0)
      throw new ShapeError(
        `${owner}: padded targets ${formatShape(targets.shape)} must be [N = ${batch}, S] with S >= every target length, got lengths [${lengths.join(', ')}]`,
      );
    return lengths.map((_, n) => n * width);
  }
  if (targets.rank === 1 && (unbatched ? targets.shape[0]! >= total : targets.shape[0] === total)) {
    const offsets: number[] = [];
    let at = 0;
    for (const s of lengths) {
      offsets.push(at);
      at += s;
    }
    return offsets;
  }
  throw new ShapeError(
    unbatched
      ? `${owner}: unbatched targets must be 1-D [S] with S >= the target length ${total}, got shape ${formatShape(targets.shape)}`
      : `${owner}: targets must be padded [N = ${batch}, S] or concatenated 1-D [${total}] (the sum of targetLengths), got shape ${formatShape(targets.shape)}`,
  );
}

/** On backends that read synchronously: every label used is a class other than the blank. */
function checkTargets(
  owner: string,
  targets: Tensor,
  lengths: number[],
  offsets: number[],
  classes: number,
  blank: number,
): void {
  const values = targets.dataSync();
  lengths.forEach((length, n) => {
    for (let k = 0; k < length; k++) {
      const label = values[offsets[n]! + k]!;
      if (label < 0 || label >= classes || label === blank)
        throw new ArgumentError(
          `${owner}: target ${n} has label ${label} at position ${k}: labels must be classes in [0, ${classes - 1}] other than the blank (${blank})`,
        );
    }
  });
}
