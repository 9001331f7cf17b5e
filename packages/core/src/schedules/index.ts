export { LRScheduler, ChainableLRScheduler, ClosedFormLRScheduler, type SchedulerState } from './scheduler.js';
export {
  StepLR,
  MultiStepLR,
  ExponentialLR,
  CosineAnnealingLR,
  LinearWarmup,
  type StepLROptions,
  type MultiStepLROptions,
  type ExponentialLROptions,
  type CosineAnnealingLROptions,
  type LinearWarmupOptions,
} from './closed-form.js';
export {
  LinearLR,
  ConstantLR,
  PolynomialLR,
  type LinearLROptions,
  type ConstantLROptions,
  type PolynomialLROptions,
} from './linear.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-on-plateau.js';
export { schedulerFromConfig, type SchedulerConfig } from './from-config.js';
