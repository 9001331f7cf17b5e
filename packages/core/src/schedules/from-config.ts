import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { CosineAnnealingLR, ExponentialLR, LinearWarmup, MultiStepLR, StepLR } from './closed-form.js';
import { ChainedScheduler, SequentialLR } from './composite.js';
import { CyclicLR } from './cyclic.js';
import { ConstantLR, LinearLR, PolynomialLR } from './linear.js';
import { OneCycleLR } from './one-cycle.js';
import { ReduceLROnPlateau } from './reduce-on-plateau.js';
import type { ChainableLRScheduler, LRScheduler } from './scheduler.js';
import { SWALR } from './swalr.js';
import { requireOptions } from './validate.js';
import { CosineAnnealingWarmRestarts } from './warm-restarts.js';

/**
 * A JSON description of a schedule: `{ type: 'StepLR', stepSize: 10, gamma: 0.5 }`; SequentialLR
 * and ChainedScheduler take their schedules as configs: `{ type: 'SequentialLR', schedulers:
 * [{ type: 'LinearLR', totalIters: 5 }, { type: 'CosineAnnealingLR', tMax: 95 }], milestones: [5] }`.
 */
export type SchedulerConfig = { type: string; [option: string]: unknown };

type Factory = (optimizer: Optimizer, options: never) => LRScheduler;

const TYPES: Record<string, Factory> = {
  steplr: (o, options) => new StepLR(o, options),
  multisteplr: (o, options) => new MultiStepLR(o, options),
  exponentiallr: (o, options) => new ExponentialLR(o, options),
  cosineannealinglr: (o, options) => new CosineAnnealingLR(o, options),
  linearwarmup: (o, options) => new LinearWarmup(o, options),
  linearlr: (o, options) => new LinearLR(o, options),
  constantlr: (o, options) => new ConstantLR(o, options),
  polynomiallr: (o, options) => new PolynomialLR(o, options),
  cosineannealingwarmrestarts: (o, options) => new CosineAnnealingWarmRestarts(o, options),
  cycliclr: (o, options) => new CyclicLR(o, options),
  reducelronplateau: (o, options) => new ReduceLROnPlateau(o, options),
  onecyclelr: (o, options) => new OneCycleLR(o, options),
  swalr: (o, options) => new SWALR(o, options),
  sequentiallr: (o, options: Record<string, unknown>) => {
    requireOptions('SequentialLR', options, ['schedulers', 'milestones']);
    const schedulers = children('SequentialLR', o, options.schedulers) as ChainableLRScheduler[];
    return new SequentialLR(o, { schedulers, milestones: options.milestones as number[] });
  },
  chainedscheduler: (o, options: Record<string, unknown>) => {
    requireOptions('ChainedScheduler', options, ['schedulers']);
    return new ChainedScheduler(children('ChainedScheduler', o, options.schedulers), o);
  },
};

/** Short names accepted besides the class names. */
const ALIASES: Record<string, string> = {
  step: 'steplr',
  multistep: 'multisteplr',
  exponential: 'exponentiallr',
  cosine: 'cosineannealinglr',
  warmup: 'linearwarmup',
  linear: 'linearlr',
  constant: 'constantlr',
  polynomial: 'polynomiallr',
  cosinerestarts: 'cosineannealingwarmrestarts',
  cyclic: 'cycliclr',
  plateau: 'reducelronplateau',
  onecycle: 'onecyclelr',
  swa: 'swalr',
  sequential: 'sequentiallr',
  chained: 'chainedscheduler',
  lambda: 'lambdalr',
  multiplicative: 'multiplicativelr',
};

/** Schedules made from a function, which JSON cannot hold: what to say instead. */
const FUNCTION_TYPES: Record<string, string> = {
  lambdalr:
    'LambdaLR takes a function of the epoch (lrLambda), which a config cannot hold; make it in code: new LambdaLR(optimizer, { lrLambda: (epoch) => 0.95 ** epoch })',
  multiplicativelr:
    'MultiplicativeLR takes a function of the epoch (lrLambda), which a config cannot hold; make it in code: new MultiplicativeLR(optimizer, { lrLambda: () => 0.95 }), or use ExponentialLR ({ "gamma": 0.95 }) for a constant factor',
};

const KNOWN =
  'StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearWarmup, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, CyclicLR, ReduceLROnPlateau, OneCycleLR, SWALR, SequentialLR, ChainedScheduler (or step, multistep, exponential, cosine, warmup, linear, constant, polynomial, cosinerestarts, cyclic, plateau, onecycle, swa, sequential, chained)';

/** The schedules of a SequentialLR or ChainedScheduler config, each made on `optimizer`; an error names which one failed. */
function children(where: string, optimizer: Optimizer, configs: unknown): LRScheduler[] {
  if (!Array.isArray(configs) || configs.length === 0)
    throw new ArgumentError(
      `${where}: invalid schedulers ${JSON.stringify(configs)} (must be a non-empty array of schedule configs, e.g. [{"type":"LinearLR","totalIters":5},{"type":"CosineAnnealingLR","tMax":95}])`,
    );
  return configs.map((config, i) => {
    try {
      return schedulerFromConfig(optimizer, config as SchedulerConfig);
    } catch (error) {
      if (error instanceof ArgumentError) throw new ArgumentError(`${where}: schedulers[${i}]: ${error.message}`);
      throw error;
    }
  });
}

/**
 * Builds a schedule from a config; `type` is a class name (case-insensitive) or a short alias.
 * Options are checked by the schedule: unknown ones are errors that list the allowed ones.
 * LambdaLR and MultiplicativeLR take functions, so they are made in code, not from a config.
 */
export function schedulerFromConfig(optimizer: Optimizer, config: SchedulerConfig): LRScheduler {
  if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
    throw new ArgumentError(
      `schedulerFromConfig: expected a config object with a string 'type' (one of ${KNOWN}), got ${JSON.stringify(config)}`,
    );
  }
  const key = ALIASES[config.type.toLowerCase()] ?? config.type.toLowerCase();
  if (FUNCTION_TYPES[key] !== undefined) throw new ArgumentError(`schedulerFromConfig: ${FUNCTION_TYPES[key]}`);
  const factory = TYPES[key];
  if (factory === undefined)
    throw new ArgumentError(`schedulerFromConfig: unknown schedule type '${config.type}' (known: ${KNOWN})`);
  const { type: _type, ...options } = config;
  return factory(optimizer, options as never);
}
