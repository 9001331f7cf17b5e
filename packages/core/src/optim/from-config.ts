import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ADAM_OPTIONS, Adam, AdamW, type AdamOptions } from './adam.js';
import type { Optimizer, ParamGroupInput } from './optimizer.js';
import { ADADELTA_OPTIONS, Adadelta, type AdadeltaOptions } from './adadelta.js';
import { ADAGRAD_OPTIONS, Adagrad, type AdagradOptions } from './adagrad.js';
import { ADAMAX_OPTIONS, Adamax, type AdamaxOptions } from './adamax.js';
import { NADAM_OPTIONS, NAdam, type NAdamOptions } from './nadam.js';
import { RMSPROP_OPTIONS, RMSprop, type RMSpropOptions } from './rmsprop.js';
import { SGD, SGD_OPTIONS, type SGDOptions } from './sgd.js';
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

const OPTIONS: Record<string, readonly string[]> = {
  sgd: SGD_OPTIONS,
  adam: ADAM_OPTIONS,
  adamw: ADAM_OPTIONS,
  rmsprop: RMSPROP_OPTIONS,
  adagrad: ADAGRAD_OPTIONS,
  adadelta: ADADELTA_OPTIONS,
  adamax: ADAMAX_OPTIONS,
  nadam: NADAM_OPTIONS,
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
      `optimizerFromConfig: expected a config object with a string 'type' (one of ${Object.keys(OPTIONS).join(', ')}), got ${JSON.stringify(config)}`,
    );
  }
  const type = config.type.toLowerCase();
  const allowed = OPTIONS[type];
  if (allowed === undefined) {
    throw new ArgumentError(
      `optimizerFromConfig: unknown optimizer type '${config.type}' (known: ${Object.keys(OPTIONS).join(', ')})`,
    );
  }
  const { type: _type, ...options } = config as { type: string; [option: string]: unknown };
  rejectUnknownKeys(`optimizerFromConfig(${type})`, options, allowed);
  switch (type) {
    case 'sgd':
      return new SGD(params as Tensor[], options as { lr: number } & Partial<SGDOptions>);
    case 'adam':
      return new Adam(params as Tensor[], options as Partial<AdamOptions>);
    case 'adamw':
      return new AdamW(params as Tensor[], options as Partial<AdamOptions>);
    case 'rmsprop':
      return new RMSprop(params as Tensor[], options as Partial<RMSpropOptions>);
    case 'adagrad':
      return new Adagrad(params as Tensor[], options as Partial<AdagradOptions>);
    case 'adadelta':
      return new Adadelta(params as Tensor[], options as Partial<AdadeltaOptions>);
    case 'adamax':
      return new Adamax(params as Tensor[], options as Partial<AdamaxOptions>);
    default:
      return new NAdam(params as Tensor[], options as Partial<NAdamOptions>);
  }
}
