export {
  Optimizer,
  type OptimizerOptions,
  type OptimizerState,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { clipGradNorm_, clipGradValue_ } from './clip.js';
export { l1Penalty, l2Penalty } from './penalty.js';
export { optimizerFromConfig, type OptimizerConfig } from './from-config.js';
