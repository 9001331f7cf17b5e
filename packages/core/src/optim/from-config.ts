import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { ADAM_OPTIONS, Adam, AdamW, type AdamOptions } from './adam.js';
import type { Optimizer, ParamGroupInput } from './optimizer.js';
import { SGD, SGD_OPTIONS, type SGDOptions } from './sgd.js';
import { rejectUnknownKeys } from './validate.js';

/** A JSON description of an optimizer, e.g. { type: 'adamw', lr: 3e-4, weightDecay: 0.01 }. */
export type OptimizerConfig =
  | ({ type: 'sgd' } & Partial<SGDOptions>)
  | ({ type: 'adam' | 'adamw' } & Partial<AdamOptions>)
  | { type: string; [option: string]: unknown };

const OPTIONS: Record<string, readonly string[]> = { sgd: SGD_OPTIONS, adam: ADAM_OPTIONS, adamw: ADAM_OPTIONS };

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
    default:
      return new AdamW(params as Tensor[], options as Partial<AdamOptions>);
  }
}
