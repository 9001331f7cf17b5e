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
export { CosineAnnealingWarmRestarts, type CosineAnnealingWarmRestartsOptions } from './warm-restarts.js';
export { CyclicLR, type CyclicLROptions } from './cyclic.js';
export {
  LambdaLR,
  MultiplicativeLR,
  type EpochFunction,
  type LambdaLROptions,
  type MultiplicativeLROptions,
} from './lambda.js';
export { SequentialLR, ChainedScheduler, type SequentialLROptions } from './composite.js';
export { OneCycleLR, type OneCycleLROptions } from './one-cycle.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduce-on-plateau.js';
export { SWALR, type SWALROptions } from './swalr.js';
export { schedulerFromConfig, type SchedulerConfig } from './from-config.js';
