export type { Reduction, ReductionOptions } from './reduction.js';
export {
  mseLoss,
  l1Loss,
  huberLoss,
  smoothL1Loss,
  klDivLoss,
  poissonNLLLoss,
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
  lossFromConfig,
  lossInfo,
  type Loss,
  type LossInfo,
  type LossTarget,
  type LossTask,
  type LossConfig,
  type WeightValues,
} from './classes.js';
