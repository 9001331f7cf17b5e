export type { Reduction, ReductionOptions } from './reduction.js';
export {
  mseLoss,
  l1Loss,
  huberLoss,
  smoothL1Loss,
  klDivLoss,
  poissonNLLLoss,
  gaussianNLLLoss,
  type GaussianNLLLossOptions,
  type HuberLossOptions,
  type SmoothL1LossOptions,
  type KLDivLossOptions,
  type KLDivReduction,
  type PoissonNLLLossOptions,
} from './regression.js';
export {
  binaryCrossEntropy,
  binaryCrossEntropyWithLogits,
  type BinaryCrossEntropyOptions,
  type BinaryCrossEntropyWithLogitsOptions,
} from './binary.js';
export { crossEntropy, nllLoss, type CrossEntropyOptions, type NllLossOptions } from './classification.js';
export {
  hingeEmbeddingLoss,
  softMarginLoss,
  multiLabelSoftMarginLoss,
  multiMarginLoss,
  multiLabelMarginLoss,
  type HingeEmbeddingLossOptions,
  type MultiLabelSoftMarginLossOptions,
  type MultiMarginLossOptions,
} from './margin.js';
export {
  cosineEmbeddingLoss,
  marginRankingLoss,
  tripletMarginLoss,
  type MarginOptions,
  type TripletMarginLossOptions,
} from './pairwise.js';
export {
  tripletMarginWithDistanceLoss,
  type DistanceFunction,
  type TripletMarginWithDistanceLossOptions,
} from './triplet-distance.js';
export { ctcLoss, CTCLoss, type CTCLossOptions, type CTCLengths } from './ctc.js';
export {
  GaussianNLLLoss,
  CosineEmbeddingLoss,
  MarginRankingLoss,
  TripletMarginLoss,
  TripletMarginWithDistanceLoss,
  threeInputLossFromConfig,
  threeInputLossInfo,
  type ThreeInputLoss,
} from './three-input.js';
export {
  MSELoss,
  L1Loss,
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  NLLLoss,
  HuberLoss,
  SmoothL1Loss,
  KLDivLoss,
  PoissonNLLLoss,
  HingeEmbeddingLoss,
  SoftMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  MultiLabelMarginLoss,
  lossFromConfig,
  lossInfo,
  type Loss,
  type LossInfo,
  type LossTarget,
  type LossTask,
  type LossConfig,
  type WeightValues,
} from './classes.js';
