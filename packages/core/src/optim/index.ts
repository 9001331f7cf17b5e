export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type StateKind,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { LBFGS, type LBFGSOptions, type LBFGSClosure } from './lbfgs.js';
export {
  AveragedModel,
  equalAverage,
  ema,
  updateBn,
  type AvgFn,
  type AveragedModelOptions,
  type UpdateBnBatch,
  type UpdateBnOptions,
} from './swa.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export { l1Penalty, l2Penalty } from './penalty.js';
export { optimizerFromConfig, type OptimizerConfig } from './from-config.js';
