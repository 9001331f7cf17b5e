import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adadelta, type AdadeltaOptions } from './adadelta.js';
import { Adagrad, type AdagradOptions } from './adagrad.js';
import { ADAM_OPTIONS, Adam, AdamW, type AdamOptions } from './adam.js';
import { Adamax, type AdamaxOptions } from './adamax.js';
import { NAdam, type NAdamOptions } from './nadam.js';
import type { Optimizer, OptimizerOptions, ParamGroupInput } from './optimizer.js';
import { RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, SGD_OPTIONS, type SGDOptions } from './sgd.js';
import { optionNames, type OptimizerSpec } from './spec-optimizer.js';
import { rejectUnknownKeys } from './validate.js';
/**
 * A JSON description of an optimizer, e.g. { type: 'adamw', lr: 3e-4, weightDecay: 0.01 }: sgd,
 * adam, adamw, rmsprop, adagrad, adadelta, adamax or nadam with that optimizer's options.
 */
export type OptimizerConfig =
  | ({ type: 'sgd' } & Partial<SGDOptions>)
  | ({ type: 'adam' | 'adamw' } & Partial<AdamOptions>)
  | ({ type: 'rmsprop' } & Partial<RMSpropOptions>)
  | ({ type: 'adagrad' } & Partial<AdagradOptions>)
  | ({ type: 'adadelta' } & Partial<AdadeltaOptions>)
  | ({ type: 'adamax' } & Partial<AdamaxOptions>)
  | ({ type: 'nadam' } & Partial<NAdamOptions>)
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
  const known = TYPES[type];
  if (known === undefined) {
    throw new ArgumentError(
      `optimizerFromConfig: unknown optimizer type '${config.type}' (known: ${Object.keys(TYPES).join(', ')})`,
    );
  }
  const { type: _type, ...options } = config as { type: string; [option: string]: unknown };
  rejectUnknownKeys(`optimizerFromConfig(${type})`, options, known.options);
  return known.create(params, options);
}
