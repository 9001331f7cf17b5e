import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  classWeightedLoss,
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  cosineEmbeddingLoss,
  cosineSimilarity,
  crossEntropy,
  ctcLoss,
  gaussianNLLLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  multiLabelMarginLoss,
  multiLabelSoftMarginLoss,
  multiMarginLoss,
  pairwiseDistance,
  softMarginLoss,
  tripletMarginLoss,
  huberLoss,
  klDivLoss,
  l1Loss,
  logSoftmax,
  mseLoss,
  nllLoss,
  poissonNLLLoss,
  smoothL1Loss,
  tensor,
  type Backend,
  type PrimitiveOp,
  type Reduction,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** The primitives a reduction adds: mean is sum / count. */
const reducing = (reduction: Reduction): PrimitiveOp[] =>
  reduction === 'mean' ? ['sum', 'div'] : reduction === 'sum' ? ['sum'] : [];

/** Class indices are fixed values made inside `run`, on the backend under test (like gather's). */
const classIndices = (values: number[], backend: Backend, shape = [values.length]): Tensor =>
  tensor(values, { dtype: 'int32', shape, backend });

const LOG_SOFTMAX: PrimitiveOp[] = ['max', 'sub', 'exp', 'sum', 'log'];
/** One-hot selection of the target class: comparison with arange, cast, product, row sum. */
const INDEX_TARGET: PrimitiveOp[] = ['reshape', 'equal', 'cast', 'mul', 'sum', 'neg'];
/** Targets equal to ignoreIndex made -1 (selecting no class) and left out of the mean's count. */
const IGNORED_TARGET: PrimitiveOp[] = ['notEqual', 'where', 'cast', 'sum'];
const CLAMPED_LOG: PrimitiveOp[] = ['greater', 'where', 'log'];
const STABLE_SOFTPLUS: PrimitiveOp[] = ['maximum', 'neg', 'exp', 'sub', 'add', 'log'];
const EXTREME = 'logits 1e4 apart: a central difference with eps 1e-6 is below float64 resolution there';

const regressionCases: OpCase[] = REDUCTIONS.flatMap((reduction): OpCase[] => [
  {
    name: `mseLoss ${reduction}`,
    covers: ['sub', 'mul', ...reducing(reduction)],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, y]) => mseLoss(x!, y!, { reduction }),
  },
  {
    name: `l1Loss ${reduction}`,
    covers: ['sub', 'abs', ...reducing(reduction)],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, y]) => l1Loss(x!, y!, { reduction }),
  },
  // Inputs in [-2, 2): differences reach past delta / beta, so both pieces are checked.
  {
    name: `huberLoss delta 0.8 ${reduction}`,
    covers: ['sub', 'abs', 'less', 'where', 'mul', ...reducing(reduction)],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, y]) => huberLoss(x!, y!, { reduction, delta: 0.8 }),
  },
  {
    name: `smoothL1Loss beta 0.5 ${reduction}`,
    covers: ['sub', 'abs', 'less', 'where', 'mul', ...reducing(reduction)],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, y]) => smoothL1Loss(x!, y!, { reduction, beta: 0.5 }),
  },
  {
    name: `poissonNLLLoss ${reduction}`,
    covers: ['exp', 'mul', 'sub', ...reducing(reduction)],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], low: 0, high: 5 }],
    run: ([x, y]) => poissonNLLLoss(x!, y!, { reduction }),
  },
]);

const klDivCases: OpCase[] = [
  {
    name: 'klDivLoss batchmean (log-probabilities against probabilities)',
    covers: ['equal', 'where', 'log', 'sub', 'mul', 'sum'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4], low: 0.05, high: 1 }],
    run: ([x, p]) => klDivLoss(logSoftmax(x!), p!.div(p!.sum(1, true)), { reduction: 'batchmean' }),
  },
  {
    name: 'klDivLoss logTarget, none',
    covers: ['exp', 'sub', 'mul'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([x, t]) => klDivLoss(logSoftmax(x!), logSoftmax(t!), { reduction: 'none', logTarget: true }),
  },
  {
    name: 'poissonNLLLoss rate, full',
    covers: ['log', 'add', 'greater', 'where', 'sub', 'mul', 'sum', 'div'],
    inputs: [
      { shape: [3, 4], low: 0.2, high: 4 },
      { shape: [3, 4], low: 0, high: 6, integral: true, grad: false },
    ],
    run: ([rate, counts]) => poissonNLLLoss(rate!, counts!, { logInput: false, full: true }),
  },
];

const probabilities = { shape: [3, 4], low: 0.05, high: 0.95 };
const softTargets = { shape: [3, 4], low: 0, high: 1 };

const binaryCases: OpCase[] = [
  ...REDUCTIONS.flatMap((reduction): OpCase[] => [
    {
      name: `binaryCrossEntropy ${reduction}`,
      covers: [...CLAMPED_LOG, 'sub', 'mul', 'add', 'neg', ...reducing(reduction)],
      inputs: [probabilities, softTargets],
      run: ([p, y]) => binaryCrossEntropy(p!, y!, { reduction }),
    },
    {
      name: `binaryCrossEntropyWithLogits ${reduction}`,
      covers: [...STABLE_SOFTPLUS, 'mul', ...reducing(reduction)],
      inputs: [{ shape: [3, 4], low: -4, high: 4 }, softTargets],
      run: ([x, y]) => binaryCrossEntropyWithLogits(x!, y!, { reduction }),
    },
  ]),
  {
    name: 'binaryCrossEntropy with weight [3,1] (sum)',
    covers: [...CLAMPED_LOG, 'sub', 'mul', 'add', 'neg', 'sum'],
    inputs: [probabilities, softTargets, { shape: [3, 1], low: 0.5, high: 2 }],
    run: ([p, y, w]) => binaryCrossEntropy(p!, y!, { reduction: 'sum', weight: w! }),
  },
  {
    name: 'binaryCrossEntropy at 0 and 1 (log clamped at -100)',
    covers: [...CLAMPED_LOG, 'sub', 'mul', 'add', 'neg'],
    inputs: [
      { shape: [6], values: [0, 1, 0, 1, 1e-30, 0.5] },
      { shape: [6], values: [1, 0, 0, 1, 1, 0.25] },
    ],
    run: ([p, y]) => binaryCrossEntropy(p!, y!, { reduction: 'none' }),
    noFiniteDifferences: 'probabilities 0 and 1: a central difference steps outside [0, 1], which the loss rejects',
  },
  {
    name: 'binaryCrossEntropyWithLogits with posWeight [4] and weight [3,1] (mean)',
    covers: [...STABLE_SOFTPLUS, 'mul', 'sum', 'div'],
    inputs: [
      { shape: [3, 4], low: -4, high: 4 },
      softTargets,
      { shape: [4], low: 0.5, high: 3 },
      { shape: [3, 1], low: 0.5, high: 2 },
    ],
    run: ([x, y, posWeight, weight]) =>
      binaryCrossEntropyWithLogits(x!, y!, { reduction: 'mean', posWeight: posWeight!, weight: weight! }),
  },
  {
    name: 'binaryCrossEntropyWithLogits at logits of +-1e4',
    covers: [...STABLE_SOFTPLUS, 'mul'],
    inputs: [
      { shape: [8], values: [1e4, -1e4, 1e4, -1e4, 0, 30, -30, 100] },
      { shape: [8], values: [0, 1, 1, 0, 0.5, 1, 0, 0.3] },
      { shape: [8], values: [2, 2, 0.5, 0.5, 1, 3, 1, 1] },
    ],
    run: ([x, y, posWeight]) => binaryCrossEntropyWithLogits(x!, y!, { reduction: 'none', posWeight: posWeight! }),
    noFiniteDifferences: EXTREME,
  },
];

// Five rows of four classes; targets made inside `run`.
const logits = { shape: [5, 4], low: -3, high: 3 };
const targets = [2, 0, 3, 3, 1];
const classWeight = { shape: [4], values: [0.5, 2, 1, 1.5] };

const crossEntropyCases: OpCase[] = [
  ...REDUCTIONS.flatMap((reduction): OpCase[] => [
    {
      name: `crossEntropy class indices ${reduction}`,
      covers: [...LOG_SOFTMAX, ...INDEX_TARGET, ...reducing(reduction)],
      inputs: [logits],
      run: ([x], backend) => crossEntropy(x!, classIndices(targets, backend), { reduction }),
    },
    {
      name: `crossEntropy class indices with class weights ${reduction}`,
      covers: [...LOG_SOFTMAX, ...INDEX_TARGET, ...reducing(reduction)],
      inputs: [logits, classWeight],
      run: ([x, w], backend) => crossEntropy(x!, classIndices(targets, backend), { reduction, weight: w! }),
    },
    {
      name: `crossEntropy probability targets ${reduction}`,
      covers: [...LOG_SOFTMAX, 'mul', 'sum', 'neg', ...reducing(reduction)],
      inputs: [logits, { shape: [5, 4], low: 0, high: 1 }],
      run: ([x, p]) => crossEntropy(x!, p!, { reduction }),
    },
  ]),
  {
    name: 'crossEntropy label smoothing 0.1 (mean)',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, 'add', 'div'],
    inputs: [logits],
    run: ([x], backend) => crossEntropy(x!, classIndices(targets, backend), { labelSmoothing: 0.1 }),
  },
  ...(['mean', 'none'] as const).map((reduction): OpCase => ({
    name: `crossEntropy label smoothing 0.25 with class weights ${reduction}`,
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, 'add', ...reducing(reduction)],
    inputs: [logits, classWeight],
    run: ([x, w], backend) =>
      crossEntropy(x!, classIndices(targets, backend), { reduction, labelSmoothing: 0.25, weight: w! }),
  })),
  // ignoreIndex given explicitly: backends that read asynchronously look only for a given one.
  ...REDUCTIONS.map((reduction): OpCase => ({
    name: `crossEntropy ignoreIndex -100 with class weights and label smoothing 0.1 ${reduction}`,
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, ...IGNORED_TARGET, 'add', ...reducing(reduction)],
    inputs: [logits, classWeight],
    run: ([x, w], backend) =>
      crossEntropy(x!, classIndices([2, -100, 3, -100, 1], backend), {
        reduction,
        ignoreIndex: -100,
        labelSmoothing: 0.1,
        weight: w!,
      }),
  })),
  {
    name: 'crossEntropy ignoreIndex at a class (3, mean)',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, ...IGNORED_TARGET, 'div'],
    inputs: [logits],
    run: ([x], backend) => crossEntropy(x!, classIndices(targets, backend), { ignoreIndex: 3 }),
  },
  {
    name: 'crossEntropy probability targets with class weights and label smoothing 0.2 (mean)',
    covers: [...LOG_SOFTMAX, 'mul', 'add', 'sum', 'neg', 'div'],
    inputs: [logits, { shape: [5, 4], low: 0, high: 1 }, classWeight],
    run: ([x, p, w]) => crossEntropy(x!, p!, { labelSmoothing: 0.2, weight: w! }),
  },
  ...REDUCTIONS.map((reduction): OpCase => ({
    // A masked class (logit -Infinity, as attention masks and constrained outputs make) that is
    // not the target: the loss stays finite, as in PyTorch (no -Infinity * 0 = NaN).
    name: `crossEntropy class indices with -Infinity logits off the target ${reduction}`,
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, ...reducing(reduction)],
    inputs: [
      {
        shape: [3, 4],
        values: [0.5, -Infinity, 1.5, -1, -Infinity, -Infinity, 2, 0.25, 1, 2, 3, -Infinity],
        grad: false,
      },
    ],
    run: ([x], backend) => crossEntropy(x!, classIndices([0, 2, 1], backend), { reduction }),
    grad: false,
  })),
  {
    name: 'crossEntropy [C] logits with a scalar target (none)',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET],
    inputs: [{ shape: [6], low: -3, high: 3 }],
    run: ([x], backend) => crossEntropy(x!, classIndices([4], backend, []), { reduction: 'none' }),
  },
  {
    name: 'crossEntropy of an empty batch (sum)',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET],
    inputs: [{ shape: [0, 3] }],
    run: ([x], backend) => crossEntropy(x!, classIndices([], backend), { reduction: 'sum' }),
  },
  {
    name: 'crossEntropy class indices at logits of +-1e4 (smoothed, weighted)',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, 'add'],
    inputs: [
      { shape: [3, 3], values: [1e4, -1e4, 0, -1e4, 1e4, 1e4, 5e3, -5e3, 1e4] },
      { shape: [3], values: [1, 2, 0.5] },
    ],
    run: ([x, w], backend) =>
      crossEntropy(x!, classIndices([1, 0, 2], backend), { reduction: 'none', labelSmoothing: 0.1, weight: w! }),
    noFiniteDifferences: EXTREME,
  },
  {
    name: 'crossEntropy probability targets at logits of +-1e4',
    covers: [...LOG_SOFTMAX, 'mul', 'sum', 'neg'],
    inputs: [
      { shape: [2, 3], values: [1e4, -1e4, 0, -1e4, 1e4, 1e4] },
      { shape: [2, 3], values: [0.5, 0.5, 0, 1, 0, 0] },
    ],
    run: ([x, p]) => crossEntropy(x!, p!, { reduction: 'none' }),
    noFiniteDifferences: EXTREME,
  },
];

// nllLoss takes log-probabilities; any values exercise the same program.
const logProbabilities = { shape: [4, 5], low: -4, high: 0 };

const nllCases: OpCase[] = [
  ...REDUCTIONS.map((reduction): OpCase => ({
    name: `nllLoss ${reduction}`,
    covers: [...INDEX_TARGET, ...reducing(reduction)],
    inputs: [logProbabilities],
    run: ([x], backend) => nllLoss(x!, classIndices([4, 0, 0, 2], backend), { reduction }),
  })),
  {
    name: 'nllLoss with class weights (mean)',
    covers: [...INDEX_TARGET, 'div'],
    inputs: [logProbabilities, { shape: [5], low: 0.5, high: 2 }],
    run: ([x, w], backend) => nllLoss(x!, classIndices([4, 0, 0, 2], backend), { weight: w! }),
  },
  {
    name: 'nllLoss ignoreIndex -1 (mean)',
    covers: [...INDEX_TARGET, ...IGNORED_TARGET, 'div'],
    inputs: [logProbabilities],
    run: ([x], backend) => nllLoss(x!, classIndices([4, -1, 0, 2], backend), { ignoreIndex: -1 }),
  },
  {
    name: 'nllLoss of log-softmax [C] with a scalar target',
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, 'div'],
    inputs: [{ shape: [5], low: -3, high: 3 }],
    run: ([x], backend) => nllLoss(x!.logSoftmax(), classIndices([3], backend, [])),
  },
];

// -1/1 targets, fixed (a 0 counts as both for the hinge embedding loss, as in PyTorch).
const signs = (shape: number[], values: number[]) => ({ shape, values, grad: false });
const SIGNS_3x4 = [1, -1, -1, 1, -1, 1, -1, -1, 1, -1, 1, 1];
/** A norm as pairwiseDistance and the distances take it: square, sum, a zero mask, sqrt. */
const NORM_2: PrimitiveOp[] = ['mul', 'sum', 'equal', 'where', 'sqrt'];
const CLAMP: PrimitiveOp[] = ['less', 'where'];

const marginCases: OpCase[] = [
  ...REDUCTIONS.flatMap((reduction): OpCase[] => [
    {
      name: `hingeEmbeddingLoss margin 0.8 ${reduction}`,
      covers: ['notEqual', 'sub', ...CLAMP, 'add', ...reducing(reduction)],
      inputs: [{ shape: [3, 4], low: 0, high: 2 }, signs([3, 4], SIGNS_3x4)],
      run: ([x, t]) => hingeEmbeddingLoss(x!, t!, { reduction, margin: 0.8 }),
    },
    {
      name: `softMarginLoss ${reduction}`,
      covers: [...STABLE_SOFTPLUS, 'mul', ...reducing(reduction)],
      inputs: [{ shape: [3, 4], low: -3, high: 3 }, signs([3, 4], SIGNS_3x4)],
      run: ([x, t]) => softMarginLoss(x!, t!, { reduction }),
    },
    {
      name: `multiLabelSoftMarginLoss with class weights ${reduction}`,
      covers: [...STABLE_SOFTPLUS, 'mul', 'add', 'sum', ...reducing(reduction)],
      inputs: [{ shape: [3, 4], low: -3, high: 3 }, softTargets, { shape: [4], values: [0.5, 2, 1, 1.5] }],
      run: ([x, t, w]) => multiLabelSoftMarginLoss(x!, t!, { reduction, weight: w! }),
    },
    {
      name: `multiMarginLoss ${reduction}`,
      covers: ['reshape', 'equal', 'where', 'sum', 'sub', 'add', 'greater', 'mul', ...reducing(reduction)],
      inputs: [logits],
      run: ([x], backend) => multiMarginLoss(x!, classIndices(targets, backend), { reduction }),
    },
    {
      name: `multiMarginLoss p 2, margin 0.5, class weights ${reduction}`,
      covers: ['reshape', 'equal', 'where', 'sum', 'sub', 'add', 'greater', 'mul', ...reducing(reduction)],
      inputs: [logits, classWeight],
      run: ([x, w], backend) =>
        multiMarginLoss(x!, classIndices(targets, backend), { reduction, p: 2, margin: 0.5, weight: w! }),
    },
    {
      // Rows list 2, 1 and 0 classes, one repeats a class, padding after the first -1.
      name: `multiLabelMarginLoss ${reduction}`,
      covers: ['reshape', 'less', 'lessEqual', 'cast', 'mul', 'sum', 'equal', 'greater', 'sub', 'add', 'where'],
      inputs: [{ shape: [4, 5], low: -2, high: 2 }],
      run: ([x], backend) =>
        multiLabelMarginLoss(
          x!,
          classIndices([3, 0, -1, 1, 2, 4, -1, -1, -1, -1, -1, 0, 0, 0, 0, 1, 1, 2, -1, 3], backend, [4, 5]),
          { reduction },
        ),
    },
    {
      name: `gaussianNLLLoss ${reduction}`,
      covers: ['maximum', 'sub', 'add', 'log', 'mul', 'div', ...reducing(reduction)],
      inputs: [{ shape: [3, 4] }, { shape: [3, 4] }, { shape: [3, 4], low: 0.2, high: 3 }],
      run: ([x, t, v]) => gaussianNLLLoss(x!, t!, v!, { reduction }),
    },
    {
      name: `cosineEmbeddingLoss margin 0.1 ${reduction}`,
      covers: ['mul', 'sum', 'add', 'sqrt', 'div', 'equal', 'sub', ...CLAMP, ...reducing(reduction)],
      inputs: [{ shape: [4, 3] }, { shape: [4, 3] }, signs([4], [1, -1, -1, 1])],
      run: ([a, b, y]) => cosineEmbeddingLoss(a!, b!, y!, { reduction, margin: 0.1 }),
    },
    {
      name: `marginRankingLoss margin 0.3 ${reduction}`,
      covers: ['neg', 'sub', 'mul', 'add', ...CLAMP, ...reducing(reduction)],
      inputs: [{ shape: [6] }, { shape: [6] }, signs([6], [1, -1, 1, -1, 1, -1])],
      run: ([a, b, y]) => marginRankingLoss(a!, b!, y!, { reduction, margin: 0.3 }),
    },
    {
      name: `tripletMarginLoss ${reduction}`,
      covers: ['sub', 'add', ...NORM_2, ...CLAMP, ...reducing(reduction)],
      inputs: [{ shape: [4, 3] }, { shape: [4, 3] }, { shape: [4, 3] }],
      run: ([a, p, n]) => tripletMarginLoss(a!, p!, n!, { reduction }),
    },
  ]),
  {
    name: 'gaussianNLLLoss one variance per sample, full, eps 0.3 (variances below it)',
    covers: ['reshape', 'maximum', 'sub', 'add', 'log', 'mul', 'div', 'sum'],
    inputs: [{ shape: [4, 3] }, { shape: [4, 3] }, { shape: [4], values: [0.5, 0.1, 2, 0] }],
    run: ([x, t, v]) => gaussianNLLLoss(x!, t!, v!, { full: true, eps: 0.3 }),
    noFiniteDifferences:
      'the variance 0 is clamped at eps in value only: a central difference steps to a negative variance',
  },
  {
    name: 'tripletMarginLoss p 1, swap, margin 2 (mean)',
    covers: ['sub', 'add', 'abs', 'sum', 'minimum', ...CLAMP, 'div'],
    inputs: [{ shape: [4, 3] }, { shape: [4, 3] }, { shape: [4, 3] }],
    run: ([a, p, n]) => tripletMarginLoss(a!, p!, n!, { p: 1, swap: true, margin: 2 }),
  },
  {
    name: 'tripletMarginLoss p 3, eps 0 (sum)',
    covers: ['sub', 'add', 'abs', 'pow', 'sum', 'equal', 'where', ...CLAMP],
    inputs: [{ shape: [4, 3] }, { shape: [4, 3] }, { shape: [4, 3] }],
    run: ([a, p, n]) => tripletMarginLoss(a!, p!, n!, { p: 3, eps: 0, margin: 2, reduction: 'sum' }),
  },
];

const distanceCases: OpCase[] = [
  {
    name: 'cosineSimilarity dim 1',
    covers: [...NORM_2, 'maximum', 'div', 'add', 'sub'],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([a, b]) => cosineSimilarity(a!, b!),
  },
  {
    // Row 1 is below eps (the clamp), row 2 is zero; x2 [4] broadcasts against x1 [3,4].
    name: 'cosineSimilarity at and below eps, broadcast',
    covers: [...NORM_2, 'maximum', 'div', 'add', 'sub', 'broadcastTo'],
    inputs: [
      { shape: [3, 4], values: [0.2, -1, 0.5, 1.5, 1e-3, 2e-3, 0, -1e-3, 0, 0, 0, 0] },
      { shape: [4], values: [0.5, 0.3, -0.2, 1] },
    ],
    run: ([a, b]) => cosineSimilarity(a!, b!, { dim: -1, eps: 0.01 }),
    noFiniteDifferences:
      "below eps the gradient is PyTorch's x / max(|x|, eps), not the derivative of the clamped value",
  },
  {
    name: 'pairwiseDistance',
    covers: ['sub', 'add', ...NORM_2],
    inputs: [{ shape: [3, 4] }, { shape: [3, 4] }],
    run: ([a, b]) => pairwiseDistance(a!, b!),
  },
  {
    name: 'pairwiseDistance p 1.5, keepdim, broadcast',
    covers: ['sub', 'add', 'abs', 'pow', 'sum', 'equal', 'where'],
    inputs: [{ shape: [4] }, { shape: [3, 4] }],
    run: ([a, b]) => pairwiseDistance(a!, b!, { p: 1.5, keepdim: true }),
  },
];

// fit's classWeight: per-sample losses (reduction 'none') times their class's weight, reduced as
// Keras' sum_over_batch_size; class indices pick their weight with a gather, 0/1 labels interpolate.
const classWeightedCases: OpCase[] = (['mean', 'sum'] as const).flatMap((reduction): OpCase[] => [
  {
    name: `classWeightedLoss CrossEntropyLoss class indices ${reduction}`,
    covers: [...LOG_SOFTMAX, ...INDEX_TARGET, 'gather', 'mul', ...reducing(reduction)],
    inputs: [logits],
    run: ([x], backend) =>
      classWeightedLoss(new CrossEntropyLoss({ reduction }), [0.5, 2, 1, 1.5]).forward(
        x!,
        classIndices(targets, backend),
      ),
  },
  {
    name: `classWeightedLoss BCEWithLogitsLoss 0/1 labels ${reduction}`,
    covers: [...STABLE_SOFTPLUS, 'mul', 'add', ...reducing(reduction)],
    inputs: [
      { shape: [3, 4], low: -4, high: 4 },
      { shape: [3, 4], values: [0, 1, 1, 0, 0, 0, 1, 1, 1, 0, 1, 0], grad: false },
    ],
    run: ([x, y]) => classWeightedLoss(new BCEWithLogitsLoss({ reduction }), [1, 3]).forward(x!, y!),
  },
]);

/** The CTC forward recursion in log space: gathers of the extended targets, shifts, masks, logsumexp of three. */
const CTC: PrimitiveOp[] = ['reshape', 'gather', 'where', 'add', 'maximum', 'notEqual', 'slice', 'pad'];
const ctcCases: OpCase[] = [
  ...REDUCTIONS.map((reduction): OpCase => ({
    name: `ctcLoss padded targets of different lengths ${reduction}`,
    covers: [...LOG_SOFTMAX, ...CTC, 'less', 'neg', ...reducing(reduction)],
    inputs: [{ shape: [7, 3, 4], low: -2, high: 2 }],
    run: ([x], backend) =>
      ctcLoss(logSoftmax(x!, -1), classIndices([1, 2, 2, 3, 0, 0, 2, 0, 0], backend, [3, 3]), [7, 6, 4], [3, 1, 0], {
        reduction,
      }),
  })),
  {
    name: 'ctcLoss concatenated targets, blank 3, an impossible sample with zeroInfinity (none)',
    covers: [...LOG_SOFTMAX, ...CTC, 'less', 'neg'],
    inputs: [{ shape: [5, 2, 4], low: -2, high: 2 }],
    run: ([x], backend) =>
      ctcLoss(logSoftmax(x!, -1), classIndices([1, 1, 0, 2], backend), [5, 1], [2, 2], {
        blank: 3,
        reduction: 'none',
        zeroInfinity: true,
      }),
  },
];

export const lossCases: OpCase[] = [
  ...classWeightedCases,
  ...regressionCases,
  ...klDivCases,
  ...binaryCases,
  ...crossEntropyCases,
  ...nllCases,
  ...marginCases,
  ...distanceCases,
  ...ctcCases,
];
