import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adadelta, type AdadeltaOptions } from './adadelta.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { ADAM_OPTIONS, Adam, AdamW, type AdamOptions } from './adam.js';
import { Adamax, type AdamaxOptions } from './adamax.js';
import { ASGD, type ASGDOptions } from './asgd.js';
import { NAdam, type NAdamOptions } from './nadam.js';
import { RAdam, type RAdamOptions } from './radam.js';
import { Rprop, type RpropOptions } from './rprop.js';
import type { Optimizer, OptimizerOptions, ParamGroupInput } from './optimizer.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, SGD_OPTIONS, type SGDOptions } from './sgd.js';
import { optionNames, type OptimizerSpec } from './spec-optimizer.js';
import { rejectUnknownKeys } from './validate.js';
/**
 * A JSON description of an optimizer, e.g. { type: 'adamw', lr: 3e-4, weightDecay: 0.01 }: sgd,
 * adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop or asgd with that
 * optimizer's options. LBFGS has no config: its step takes a closure, so it is built in code.
 */
export type OptimizerConfig =
  | ({ type: 'sgd' } & Partial<SGDOptions>)
  | ({ type: 'adam' | 'adamw' } & Partial<AdamOptions>)
  | ({ type: 'rmsprop' } & Partial<RMSpropOptions>)
  | ({ type: 'adagrad' } & Partial<AdagradOptions>)
  | ({ type: 'adadelta' } & Partial<AdadeltaOptions>)
  | ({ type: 'adamax' } & Partial<AdamaxOptions>)
  | ({ type: 'nadam' } & Partial<NAdamOptions>)
  | ({ type: 'radam' } & Partial<RAdamOptions>)
  | ({ type: 'rprop' } & Partial<RpropOptions>)
  | ({ type: 'asgd' } & Partial<ASGDOptions>)
  | { type: string; [option: string]: unknown };

/** An optimizer type of a config: the options it accepts and how to build it. */
interface OptimizerType {
  options: readonly string[];
  create: (
    params: Tensor[] | ParamGroupInput<Record<string, unknown>>[],
    options: Record<string, unknown>,
  ) => Optimizer;
}

/** A SpecOptimizer's type entry: its options come from its spec. */
function specType(Class: {
  spec: OptimizerSpec<OptimizerOptions>;
  new (params: Tensor[], options: Record<string, unknown>): Optimizer;
}): OptimizerType {
  return { options: optionNames(Class.spec), create: (params, options) => new Class(params as Tensor[], options) };
}

const TYPES: Record<string, OptimizerType> = {
  sgd: {
    options: SGD_OPTIONS,
    create: (params, options) => new SGD(params as Tensor[], options as { lr: number } & Partial<SGDOptions>),
  },
  adam: { options: ADAM_OPTIONS, create: (params, options) => new Adam(params as Tensor[], options) },
  adamw: { options: ADAM_OPTIONS, create: (params, options) => new AdamW(params as Tensor[], options) },
  rmsprop: specType(RMSprop),
  adagrad: specType(Adagrad),
  adadelta: specType(Adadelta),
  adamax: specType(Adamax),
  nadam: specType(NAdam),
  radam: specType(RAdam),
  rprop: specType(Rprop),
  asgd: specType(ASGD),
};

/** Types a config cannot build, with what to do instead. */
const CODE_ONLY: Record<string, string> = {
  lbfgs:
    "LBFGS's step takes a closure that re-evaluates the loss, which a config cannot hold (and fit's loop does not call); build it in code: const optimizer = new LBFGS(params, { lineSearchFn: 'strong_wolfe' }); await optimizer.step(closure)",
};

/**
 * Builds an optimizer from a config. The type is matched case-insensitively ('SGD', 'AdamW');
 * unknown types and options are errors that list what is allowed, and values are checked by
 * the optimizer itself.
 */
export function optimizerFromConfig(
  params: Tensor[] | ParamGroupInput<Record<string, unknown>>[],
  config: OptimizerConfig,
): Optimizer {
  if (typeof config !== 'object' || config === null || typeof config.type !== 'string') {
    throw new ArgumentError(
      `optimizerFromConfig: expected a config object with a string 'type' (one of ${Object.keys(TYPES).join(', ')}), got ${JSON.stringify(config)}`,
    );
  }
  const type = config.type.toLowerCase();
  const known = Object.hasOwn(TYPES, type) ? TYPES[type] : undefined;
  if (Object.hasOwn(CODE_ONLY, type)) throw new ArgumentError(`optimizerFromConfig: ${CODE_ONLY[type]}`);
  if (known === undefined) {
    throw new ArgumentError(
      `optimizerFromConfig: unknown optimizer type '${config.type}' (known: ${Object.keys(TYPES).join(', ')})`,
    );
  }
  const { type: _type, ...options } = config as { type: string; [option: string]: unknown };
  rejectUnknownKeys(`optimizerFromConfig(${type})`, options, known.options);
  return known.create(params, options);
}
