export * from './backend/contract.js';
export * from './backend/registry.js';
export * from './backend/descriptor.js';
export * from './backend/packages.js';
export { isFloat, type FloatDType } from './backend/dtypes.js';
export * from './errors.js';
export { isTensor } from './tensor/is-tensor.js';
export { Tensor, type GradientHook, type NestedArray, type RemovableHandle, type TensorLike } from './tensor/tensor.js';
export * from './tensor/creation.js';
export { Generator, defaultGenerator, manualSeed, philox4x32, type GeneratorState } from './tensor/random.js';
export {
  bernoulli,
  multinomial,
  poisson,
  normal,
  exponential,
  standardGamma,
  randperm,
  type SamplingOptions,
  type NormalOptions,
  type MultinomialOptions,
  type RandpermOptions,
} from './tensor/sampling.js';
export { tidy, keep, dispose, type TensorContainer } from './tensor/scope.js';
export { broadcastShapes, reducedShape, shapesEqual, sizeOf, stridesOf } from './tensor/shape.js';
export { noGrad, isGradEnabled, setGradEnabled } from './autograd/grad-mode.js';
export { gradientRules, nonDifferentiableOps, unbroadcast, type GradRule } from './autograd/gradients.js';
export { gradcheck, GradcheckError, type GradcheckOptions } from './autograd/gradcheck.js';
export { customGrad, type CustomGradResult } from './autograd/custom-grad.js';
export { checkpoint, checkpointSequential } from './autograd/gradient-checkpoint.js';
export type { AttributesOf, FusedOp, GradNode, OpAttributes, TapeOp } from './autograd/node.js';
export * from './ops/elementwise.js';
export * from './ops/reduce.js';
export {
  sort,
  argsort,
  msort,
  topk,
  kthvalue,
  median,
  nanmedian,
  quantile,
  QUANTILE_INTERPOLATIONS,
  type QuantileInterpolation,
  type QuantileOptions,
  type SelectOptions,
  type SortOptions,
  type SortResult,
  type TopkOptions,
} from './ops/sort.js';
export {
  reshape,
  flatten,
  squeeze,
  unsqueeze,
  transpose,
  permute,
  expand,
  slice,
  pad,
  concat,
  stack,
  gather,
  indexSelect,
  scatterAdd,
  oneHot,
  type PadOptions,
} from './ops/movement.js';
export type { PadMode } from './ops/padding.js';
export { matmul, linear, type MatmulOptions, type LinearActivation } from './ops/linalg.js';
export { unfold, fold, type Size1d, type Size2d, type Size3d, type UnfoldArgs } from './ops/unfold.js';
export { conv2d, convTranspose2d, type Conv2dArgs, type ConvTranspose2dArgs, type PaddingMode } from './ops/conv.js';
export {
  maxPool2d,
  avgPool2d,
  adaptiveAvgPool2d,
  adaptiveMaxPool2d,
  type Pool2dArgs,
  type AvgPool2dArgs,
  type AdaptiveSize2d,
} from './ops/pool.js';
export { interpolate, type InterpolateArgs, type InterpolateMode } from './ops/interpolate.js';
export {
  gridSample,
  affineGrid,
  type GridSampleOptions,
  type GridSampleMode,
  type GridSamplePaddingMode,
} from './ops/grid-sample.js';
export {
  lpPool1d,
  lpPool2d,
  adaptiveMaxPool1d,
  adaptiveMaxPool1dWithIndices,
  gumbelSoftmax,
  fractionalMaxPool2d,
  fractionalMaxPool2dWithIndices,
  type FractionalMaxPool2dArgs,
  type LpPool1dArgs,
  type LpPool2dArgs,
  type GumbelSoftmaxOptions,
} from './ops/nn-extras.js';
export { pixelShuffle, pixelUnshuffle, channelShuffle } from './ops/pixel-shuffle.js';
export {
  dropout,
  dropout1d,
  dropout2d,
  dropout3d,
  alphaDropout,
  featureAlphaDropout,
  type DropoutArgs,
} from './ops/dropout.js';
export { bilinear } from './ops/bilinear.js';
export {
  embeddingBag,
  type BagOffsets,
  type EmbeddingBagMode,
  type EmbeddingBagOptions as EmbeddingBagArgs,
} from './ops/embedding-bag.js';
export {
  cosineSimilarity,
  pairwiseDistance,
  normalize,
  type NormalizeOptions,
  type CosineSimilarityOptions,
  type PairwiseDistanceOptions,
} from './ops/distance.js';
export {
  split,
  chunk,
  repeat,
  tile,
  flip,
  maskedFill,
  variance,
  std,
  norm,
  cumsum,
  any,
  all,
  padSequence,
  type VarianceOptions,
  type PadSequenceOptions,
} from './ops/tensor-utils.js';
export {
  prod,
  cumprod,
  logcumsumexp,
  logaddexp,
  cummax,
  cummin,
  type ProdOptions,
  type ValuesAndIndices,
} from './ops/scan.js';
export {
  tril,
  triu,
  diag,
  diagonal,
  diagEmbed,
  trace,
  outer,
  kron,
  roll,
  unbind,
  meshgrid,
  cartesianProd,
  diff,
  cross,
  type MeshgridOptions,
  type DiffOptions,
} from './ops/matrix-utils.js';
export {
  isNaN,
  isInf,
  isPosInf,
  isNegInf,
  nanToNum,
  nansum,
  nanmean,
  lerp,
  hypot,
  xlogy,
  cdist,
  type NanToNumOptions,
  type NanReduceOptions,
} from './ops/tensor-math.js';
export {
  mm,
  bmm,
  mv,
  dot,
  vdot,
  inner,
  tensordot,
  addmm,
  addbmm,
  baddbmm,
  addmv,
  addr,
  addcmul,
  addcdiv,
  type AddProductOptions,
  type AddcOptions,
} from './ops/products.js';
export {
  indexAdd,
  indexCopy,
  indexFill,
  indexPut,
  maskedScatter,
  maskedScatterAsync,
  takeAlongDim,
  take,
  narrow,
  select,
  repeatInterleave,
  repeatInterleaveAsync,
  type IndexAddOptions,
  type IndexPutOptions,
  type RepeatInterleaveOptions,
} from './ops/indexing.js';
export {
  scatter,
  scatterReduce,
  type ScatterOptions,
  type ScatterReduce,
  type ScatterReduceOptions,
} from './ops/scatter.js';
export {
  movedim,
  moveaxis,
  atleast1d,
  atleast2d,
  atleast3d,
  broadcastTensors,
  hstack,
  vstack,
  dstack,
  columnStack,
  tensorSplit,
  hsplit,
  vsplit,
  dsplit,
  fliplr,
  flipud,
  rot90,
  blockDiag,
  diagflat,
  trilIndices,
  triuIndices,
  vander,
  type TriangleIndicesOptions,
  type VanderOptions,
} from './ops/shapes.js';
export {
  atan2,
  fmod,
  remainder,
  floorDivide,
  fmax,
  fmin,
  heaviside,
  signbit,
  copysign,
  deg2rad,
  rad2deg,
  floatPower,
  clampMin,
  clampMax,
  logicalXor,
  isclose,
  allclose,
  allcloseAsync,
  isin,
  type IsCloseOptions,
  type IsinOptions,
} from './ops/elementwise-extra.js';
export {
  amax,
  amin,
  aminmax,
  countNonzero,
  varMean,
  stdMean,
  nanquantile,
  mode,
  cov,
  corrcoef,
  dist,
  pdist,
  renorm,
  trapezoid,
  cumulativeTrapezoid,
  type AmaxOptions,
  type VarMeanOptions,
  type NanquantileOptions,
  type CovOptions,
  type TrapezoidOptions,
} from './ops/statistics.js';
export {
  nonzero,
  nonzeroAsync,
  argwhere,
  argwhereAsync,
  maskedSelect,
  maskedSelectAsync,
  unique,
  uniqueAsync,
  uniqueConsecutive,
  uniqueConsecutiveAsync,
  bincount,
  bincountAsync,
  histc,
  bucketize,
  searchsorted,
  type NonzeroOptions,
  type UniqueOptions,
  type UniqueResult,
  type BincountOptions,
  type HistcOptions,
  type BucketizeOptions,
  type SearchsortedOptions,
} from './ops/data-dependent.js';
export { einsum } from './ops/einsum.js';
export * as linalg from './linalg/index.js';
export { linspace, logspace, type LogspaceOptions } from './tensor/spaced.js';
export { scaledDotProductAttention, type ScaledDotProductAttentionOptions } from './ops/attention.js';
export {
  conv1d,
  convTranspose1d,
  maxPool1d,
  avgPool1d,
  adaptiveAvgPool1d,
  type Conv1dArgs,
  type ConvTranspose1dArgs,
  type Pool1dArgs,
  type AvgPool1dArgs,
} from './ops/conv1d.js';
export {
  maxPool1dWithIndices,
  maxPool2dWithIndices,
  maxPool3dWithIndices,
  maxUnpool1d,
  maxUnpool2d,
  maxUnpool3d,
  type MaxUnpoolArgs,
} from './ops/unpool.js';
export {
  conv3d,
  convTranspose3d,
  maxPool3d,
  avgPool3d,
  adaptiveAvgPool3d,
  adaptiveMaxPool3d,
  type Conv3dArgs,
  type ConvTranspose3dArgs,
  type Pool3dArgs,
  type AvgPool3dArgs,
  type AdaptiveSize3d,
} from './ops/conv3d.js';
export {
  batchNorm,
  instanceNorm,
  layerNorm,
  groupNorm,
  rmsNorm,
  localResponseNorm,
  embedding,
  type BatchNormArgs,
  type InstanceNormArgs,
} from './ops/normalization.js';
export {
  relu,
  leakyRelu,
  elu,
  sigmoid,
  tanh,
  softmax,
  logSoftmax,
  gelu,
  silu,
  softplus,
  mish,
  softsign,
  hardtanh,
  relu6,
  selu,
  hardsigmoid,
  hardswish,
  prelu,
  celu,
  logSigmoid,
  softmin,
  tanhshrink,
  softshrink,
  hardshrink,
  threshold,
  glu,
  rrelu,
  softmax2d,
  type RReLUArgs,
  type GeluApproximation,
} from './ops/activation.js';
export {
  lgamma,
  digamma,
  polygamma,
  multigammaln as mvlgamma,
  erfc,
  erfinv,
  i0,
  logit,
  sinc,
} from './special/functions.js';
export * as special from './special/index.js';
export * as distributions from './distributions/index.js';
export * from './checkpoint/index.js';
export * from './optim/index.js';
export * from './schedules/index.js';
export * from './losses/index.js';
export * from './nn/index.js';
export * from './training/index.js';
