import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { composite, tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { batchNormFused, layerNormFused } from './fused.js';
import { add, div, equal, mul, pow, sqrt, sub, where } from './elementwise.js';
import { gather, pad, reshape, slice, unsqueeze } from './movement.js';
import { mean } from './reduce.js';

export interface BatchNormArgs {
  /** Per-channel running mean and (unbiased) variance; updated in place in training mode. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Per-channel scale (gamma) and shift (beta). */
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones), else with the running ones. */
  training?: boolean;
  /** running = (1 - momentum) * running + momentum * batch (default 0.1, as in PyTorch). */
  momentum?: number;
  eps?: number;
}

/** The optional per-channel tensors of batchNorm and instanceNorm must each be [channels]. */
function checkPerChannel(
  op: string,
  args: Pick<BatchNormArgs, 'runningMean' | 'runningVar' | 'weight' | 'bias'>,
  channels: number,
): void {
  for (const [name, t] of [
    ['runningMean', args.runningMean],
    ['runningVar', args.runningVar],
    ['weight', args.weight],
    ['bias', args.bias],
  ] as const) {
    if (t != null && (t.rank !== 1 || t.shape[0] !== channels))
      throw new ShapeError(`${op}: ${name} must be [${channels}], got ${formatShape(t.shape)}`);
  }
}

/**
 * Batch normalisation over the channel axis 1 of [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W] (PyTorch's
 * `F.batch_norm`): statistics over every other axis, the biased variance to normalise and the
 * unbiased one for the running estimate.
 */
export function batchNorm(x: Tensor, args: BatchNormArgs = {}): Tensor {
  if (x.rank < 2 || x.rank > 5)
    throw new ShapeError(
      `batchNorm: expected [N, C], [N, C, L], [N, C, H, W] or [N, C, D, H, W], got ${formatShape(x.shape)}`,
    );
  if (!isFloat(x.dtype)) throw new DTypeError(`batchNorm: expected a float input, got dtype ${x.dtype}`);
  if (x.rank === 5) {
    // The same per-channel statistics over [N, C, D*H, W], so the backends' 4-D kernels serve it.
    const [n, c, depth, height, width] = x.shape as [number, number, number, number, number];
    return composite(() => reshape(batchNorm(reshape(x, [n, c, depth * height, width]), args), x.shape));
  }
  const channels = x.shape[1]!;
  const training = args.training ?? false;
  const eps = args.eps ?? 1e-5;
  const momentum = args.momentum ?? 0.1;
  checkPerChannel('batchNorm', args, channels);
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const count = x.size / channels;
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  if (training && count <= 1)
    throw new ArgumentError(
      `batchNorm: training needs more than 1 value per channel, got input ${formatShape(x.shape)}`,
    );
  const { runningMean, runningVar } = args;
  if (!training && (runningMean == null || runningVar == null))
    throw new ArgumentError('batchNorm: evaluation mode needs runningMean and runningVar');
  const fused = x.backend.fused;
  if (fused?.batchNorm !== undefined && fused.batchNormBackward !== undefined)
    return batchNormThroughKernel(x, args, training, eps, momentum, count);
  return composite(() => {
    let centered: Tensor;
    let variance: Tensor;
    if (training) {
      const batchMean = mean(x, axes, true);
      centered = sub(x, batchMean);
      variance = mean(mul(centered, centered), axes, true);
      if (runningMean != null && runningVar != null)
        noGrad(() =>
          tidy(() =>
            updateRunningStats(
              runningMean,
              runningVar,
              reshape(batchMean, [channels]),
              reshape(variance, [channels]),
              momentum,
              count,
            ),
          ),
        );
    } else {
      centered = sub(x, reshape(runningMean!, perChannel));
      variance = reshape(runningVar!, perChannel);
    }
    let out = div(centered, sqrt(add(variance, eps)));
    if (args.weight != null) out = mul(out, reshape(args.weight, perChannel));
    if (args.bias != null) out = add(out, reshape(args.bias, perChannel));
    return out;
  });
}

/**
 * running = (1 - momentum) * running + momentum * batch, per channel ([C] tensors), the variance's
 * batch value made unbiased over the `count` values per channel (PyTorch's rule).
 */
function updateRunningStats(
  runningMean: Tensor,
  runningVar: Tensor,
  batchMean: Tensor,
  biasedVariance: Tensor,
  momentum: number,
  count: number,
): void {
  const unbiased = mul(biasedVariance, count / (count - 1));
  runningMean.assign(add(mul(runningMean, 1 - momentum), mul(batchMean, momentum)));
  runningVar.assign(add(mul(runningVar, 1 - momentum), mul(unbiased, momentum)));
}

/** batchNorm on the backend's fused kernels: one pass for the statistics, one for the output. */
function batchNormThroughKernel(
  x: Tensor,
  args: BatchNormArgs,
  training: boolean,
  eps: number,
  momentum: number,
  count: number,
): Tensor {
  const { runningMean, runningVar } = args;
  const stats = training ? null : { mean: runningMean!, variance: runningVar! };
  const { output, mean: batchMean, variance } = batchNormFused(x, args.weight ?? null, args.bias ?? null, stats, eps);
  try {
    if (training && runningMean != null && runningVar != null)
      noGrad(() => tidy(() => updateRunningStats(runningMean, runningVar, batchMean, variance, momentum, count)));
  } finally {
    batchMean.dispose();
    variance.dispose();
  }
  return output;
}

export interface InstanceNormArgs {
  /** Per-channel running mean and (unbiased) variance; updated in place when using input statistics. */
  runningMean?: Tensor | null;
  runningVar?: Tensor | null;
  /** Per-channel scale (gamma) and shift (beta). */
  weight?: Tensor | null;
  bias?: Tensor | null;
  /** Normalise each sample's channels by their own statistics (default true), else by the running ones. */
  useInputStats?: boolean;
  /** running = (1 - momentum) * running + momentum * batch (default 0.1, as in PyTorch). */
  momentum?: number;
  eps?: number;
}

/**
 * Instance normalisation (PyTorch's `F.instance_norm`) of x [N, C, *]: each sample's channel
 * normalised over its spatial positions with the biased variance, then scaled and shifted per
 * channel. Running statistics, when given, move towards the batch's average of the per-sample mean
 * and unbiased variance (PyTorch's rule); without useInputStats they normalise instead.
 */
export function instanceNorm(x: Tensor, args: InstanceNormArgs = {}): Tensor {
  if (x.rank < 3)
    throw new ShapeError(`instanceNorm: expected [N, C, L], [N, C, H, W] or [N, C, *], got ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`instanceNorm: expected a float input, got dtype ${x.dtype}`);
  const channels = x.shape[1]!;
  const useInputStats = args.useInputStats ?? true;
  const eps = args.eps ?? 1e-5;
  const momentum = args.momentum ?? 0.1;
  checkPerChannel('instanceNorm', args, channels);
  const spatial = x.shape.slice(2).reduce((a, b) => a * b, 1);
  if (useInputStats && spatial <= 1)
    throw new ArgumentError(
      `instanceNorm: using input statistics needs more than 1 spatial element, got input ${formatShape(x.shape)}`,
    );
  const { runningMean, runningVar } = args;
  if (!useInputStats && (runningMean == null || runningVar == null))
    throw new ArgumentError('instanceNorm: useInputStats false needs runningMean and runningVar');
  if (x.rank > 4) {
    // The same statistics over [N, C, S] (tfjs-webgpu runs broadcasts of rank 5 on the CPU).
    return composite(() => reshape(instanceNorm(reshape(x, [x.shape[0]!, channels, spatial]), args), x.shape));
  }
  const axes = x.shape.slice(2).map((_, i) => i + 2);
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  return composite(() => {
    let centered: Tensor;
    let variance: Tensor;
    if (useInputStats) {
      const instanceMean = mean(x, axes, true); // [N, C, 1, ...]
      centered = sub(x, instanceMean);
      variance = mean(mul(centered, centered), axes, true);
      if (runningMean != null && runningVar != null)
        noGrad(() =>
          tidy(() =>
            updateRunningStats(
              runningMean,
              runningVar,
              mean(reshape(instanceMean, [x.shape[0]!, channels]), 0),
              mean(reshape(variance, [x.shape[0]!, channels]), 0),
              momentum,
              spatial,
            ),
          ),
        );
    } else {
      centered = sub(x, reshape(runningMean!, perChannel));
      variance = reshape(runningVar!, perChannel);
    }
    let out = div(centered, sqrt(add(variance, eps)));
    if (args.weight != null) out = mul(out, reshape(args.weight, perChannel));
    if (args.bias != null) out = add(out, reshape(args.bias, perChannel));
    return out;
  });
}

/**
 * Layer normalisation over the last `normalizedShape.length` axes (PyTorch's `F.layer_norm`),
 * with an optional elementwise weight and bias of that shape.
 */
export function layerNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.rank - k);
  if (k === 0 || k > x.rank || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(
      `layerNorm: input ${formatShape(x.shape)} does not end in normalizedShape ${formatShape(normalizedShape)}`,
    );
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`layerNorm: expected a float input, got dtype ${x.dtype}`);
  const axes = tail.map((_, i) => x.rank - k + i);
  const fused = x.backend.fused;
  if (
    fused?.layerNorm !== undefined &&
    fused.layerNormBackward !== undefined &&
    eps >= 0 &&
    Number.isFinite(eps) &&
    [weight, bias].every(
      (t) => t === null || (t.dtype === x.dtype && t.backend === x.backend && shapesEqual(t.shape, tail)),
    )
  )
    return layerNormThroughKernel(x, tail, weight, bias, eps);
  return composite(() => {
    const centered = sub(x, mean(x, axes, true));
    const variance = mean(mul(centered, centered), axes, true);
    let out = div(centered, sqrt(add(variance, eps)));
    if (weight !== null) out = mul(out, weight);
    if (bias !== null) out = add(out, bias);
    return out;
  });
}

/**
 * layerNorm on the backend's fused kernels: the normalized axes merged into one last axis (and
 * weight and bias flattened to it) when there are several.
 */
function layerNormThroughKernel(
  x: Tensor,
  tail: readonly number[],
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  if (tail.length === 1) return layerNormFused(x, weight, bias, eps);
  const n = tail.reduce((a, d) => a * d, 1);
  return composite(() => {
    const flat = (t: Tensor | null): Tensor | null => (t === null ? null : reshape(t, [n]));
    const rows = reshape(x, [...x.shape.slice(0, x.rank - tail.length), n]);
    return reshape(layerNormFused(rows, flat(weight), flat(bias), eps), x.shape);
  });
}

/**
 * Group normalisation (PyTorch's `F.group_norm`) of x [N, C, *]: the channels split into
 * `numGroups` consecutive groups, each sample's group normalised over its C/numGroups channels and
 * every spatial position with the biased variance, then scaled and shifted per channel by
 * `weight` and `bias` [C].
 */
export function groupNorm(
  x: Tensor,
  numGroups: number,
  weight: Tensor | null = null,
  bias: Tensor | null = null,
  eps = 1e-5,
): Tensor {
  if (x.rank < 2) throw new ShapeError(`groupNorm: expected [N, C, *], got ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`groupNorm: expected a float input, got dtype ${x.dtype}`);
  const channels = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || channels % numGroups !== 0)
    throw new ShapeError(
      `groupNorm: ${channels} channels of input ${formatShape(x.shape)} do not split into ${numGroups} groups`,
    );
  for (const [name, t] of [
    ['weight', weight],
    ['bias', bias],
  ] as const) {
    if (t !== null && (t.rank !== 1 || t.shape[0] !== channels))
      throw new ShapeError(`groupNorm: ${name} must be [${channels}], got ${formatShape(t.shape)}`);
  }
  const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
  return composite(() => {
    const groupSize = x.shape.slice(2).reduce((a, b) => a * b, channels / numGroups);
    const grouped = reshape(x, [x.shape[0]!, numGroups, groupSize]);
    const centered = sub(grouped, mean(grouped, 2, true));
    const variance = mean(mul(centered, centered), 2, true);
    let out = reshape(div(centered, sqrt(add(variance, eps))), x.shape);
    if (weight !== null) out = mul(out, reshape(weight, perChannel));
    if (bias !== null) out = add(out, reshape(bias, perChannel));
    return out;
  });
}

/**
 * Rows of `weight` [numEmbeddings, dim] picked by int32 `indices` of any shape (PyTorch's
 * `F.embedding`). With `paddingIdx`, that row's lookups take no gradient (its value still shows).
 */
export function embedding(indices: Tensor, weight: Tensor, paddingIdx?: number): Tensor {
  if (indices.dtype !== 'int32') throw new DTypeError(`embedding: indices must be int32, got ${indices.dtype}`);
  if (weight.rank !== 2)
    throw new ShapeError(`embedding: weight must be [numEmbeddings, dim], got ${formatShape(weight.shape)}`);
  if (paddingIdx === undefined) return gather(weight, indices, 0);
  const rows = weight.shape[0]!;
  if (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows)
    throw new ArgumentError(
      `embedding: paddingIdx must be an integer in [${-rows}, ${rows - 1}] (the weight has ${rows} rows), got ${String(paddingIdx)}`,
    );
  const pad = paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  return composite(() => {
    const looked = gather(weight, indices, 0);
    // The padding row's value, without its gradient (PyTorch's padding_idx): a select routes 0 there.
    return where(unsqueeze(equal(indices, pad), -1), looked.detach(), looked);
  });
}

/** The machine epsilon of a float dtype, torch.finfo(dtype).eps: RMSNorm's default eps, linalg's tolerances. */
export function machineEpsilon(dtype: string): number {
  return dtype === 'float64' ? Number.EPSILON : 2 ** -23;
}

/**
 * RMS normalisation over the last `normalizedShape.length` axes (torch 2.4's `F.rms_norm`):
 * x / sqrt(mean(x^2) + eps), times `weight` (of normalizedShape) when given. `eps` undefined or
 * null is the machine epsilon of x's dtype (torch.finfo(dtype).eps), as PyTorch's eps=None.
 */
export function rmsNorm(
  x: Tensor,
  normalizedShape: readonly number[],
  weight: Tensor | null = null,
  eps: number | null = null,
): Tensor {
  const k = normalizedShape.length;
  const tail = x.shape.slice(x.rank - k);
  if (k === 0 || k > x.rank || tail.some((d, i) => d !== normalizedShape[i])) {
    throw new ShapeError(
      `rmsNorm: input ${formatShape(x.shape)} does not end in normalizedShape ${formatShape(normalizedShape)}`,
    );
  }
  if (!isFloat(x.dtype)) throw new DTypeError(`rmsNorm: expected a float input, got dtype ${x.dtype}`);
  if (weight !== null && !shapesEqual(weight.shape, tail))
    throw new ShapeError(`rmsNorm: weight must be ${formatShape(tail)}, got ${formatShape(weight.shape)}`);
  if (eps !== null && !(eps >= 0 && Number.isFinite(eps)))
    throw new ArgumentError(`rmsNorm: eps must be a finite number >= 0, got ${eps}`);
  const epsilon = eps ?? machineEpsilon(x.dtype);
  const axes = tail.map((_, i) => x.rank - k + i);
  return composite(() => {
    const out = div(x, sqrt(add(mean(mul(x, x), axes, true), epsilon)));
    return weight === null ? out : mul(out, weight);
  });
}

/**
 * Local response normalisation across channels (torch.nn.functional.local_response_norm) of
 * x [N, C, *]: x / (k + alpha / size * sum of x^2 over the channels c - floor(size/2) ..
 * c + floor((size-1)/2))^beta, the window zero-padded at the ends. Defaults alpha 1e-4, beta
 * 0.75, k 1.
 */
export function localResponseNorm(x: Tensor, size: number, alpha = 1e-4, beta = 0.75, k = 1): Tensor {
  if (x.rank < 3)
    throw new ShapeError(`localResponseNorm: expected [N, C, *] input of rank >= 3, got ${formatShape(x.shape)}`);
  if (!isFloat(x.dtype)) throw new DTypeError(`localResponseNorm: expected a float input, got dtype ${x.dtype}`);
  if (!Number.isInteger(size) || size < 1)
    throw new ArgumentError(`localResponseNorm: size must be a positive integer, got ${String(size)}`);
  for (const [name, value] of [
    ['alpha', alpha],
    ['beta', beta],
    ['k', k],
  ] as const)
    if (!Number.isFinite(value)) throw new ArgumentError(`localResponseNorm: ${name} must be finite, got ${value}`);
  const [n, c] = x.shape as [number, number];
  const rest = x.size / Math.max(1, n * c);
  return composite(() => {
    const squares = reshape(mul(x, x), [n, c, rest]);
    const padded = pad(squares, [
      [0, 0],
      [Math.floor(size / 2), Math.floor((size - 1) / 2)],
    ]);
    let window = slice(padded, [0, 0, 0], [n, c, rest]);
    for (let j = 1; j < size; j++) window = add(window, slice(padded, [0, j, 0], [n, c, rest]));
    const scale = pow(add(mul(window, alpha / size), k), beta);
    return div(x, reshape(scale, x.shape));
  });
}
