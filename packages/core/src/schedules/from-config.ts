import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, MultiStepLR, StepLR } from './closed-form.js';
import { OneCycleLR } from './one-cycle.js';
import { ReduceLROnPlateau } from './reduce-on-plateau.js';
import type { LRScheduler } from './scheduler.js';

/** A JSON description of a schedule: { type: 'StepLR', stepSize: 10, gamma: 0.5 }. */
export type SchedulerConfig = { type: string; [option: string]: unknown };

type Factory = (optimizer: Optimizer, options: never) => LRScheduler;

const TYPES: Record<string, Factory> = {
  steplr: (o, options) => new StepLR(o, options),
  multisteplr: (o, options) => new MultiStepLR(o, options),
  exponentiallr: (o, options) => new ExponentialLR(o, options),
  cosineannealinglr: (o, options) => new CosineAnnealingLR(o, options),
  linearwarmup: (o, options) => new LinearWarmup(o, options),
  reducelronplateau: (o, options) => new ReduceLROnPlateau(o, options),
  onecyclelr: (o, options) => new OneCycleLR(o, options),
};

/** Short names accepted besides the class names. */
const ALIASES: Record<string, string> = {
  step: 'steplr',
  multistep: 'multisteplr',
  exponential: 'exponentiallr',
  cosine: 'cosineannealinglr',
  warmup: 'linearwarmup',
  plateau: 'reducelronplateau',
  onecycle: 'onecyclelr',
};

const KNOWN =
  'StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, ReduceLROnPlateau, OneCycleLR (or step, multistep, exponential, cosine, warmup, plateau, onecycle)';

/**
 * Builds a schedule from a config; `type` is a class name (case-insensitive) or a short alias.
 * Options are checked by the schedule: unknown ones are errors that list the allowed ones.
 */
export function schedulerFromConfig(optimizer: Optimizer, config: SchedulerConfig): LRScheduler {
  if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
    throw new ArgumentError(
      `schedulerFromConfig: expected a config object with a string 'type' (one of ${KNOWN}), got ${JSON.stringify(config)}`,
    );
  }
  const key = config.type.toLowerCase();
  const factory = TYPES[ALIASES[key] ?? key];
  if (factory === undefined)
    throw new ArgumentError(`schedulerFromConfig: unknown schedule type '${config.type}' (known: ${KNOWN})`);
  const { type: _type, ...options } = config;
  return factory(optimizer, options as never);
}
