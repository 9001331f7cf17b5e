import { DTypeError } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions } from '../nn/checks.js';
import { fromHost } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { mul } from './elementwise.js';

export interface DropoutArgs {
  /** Apply it (default true); false returns the input, as PyTorch's `training=False`. */
  training?: boolean;
  /** Draws the mask; the default generator otherwise (whose state checkpoints save). */
  generator?: Generator;
}

/**
 * torch.nn.functional.dropout: zeroes each element with probability p and scales the rest by
 * 1 / (1 - p), so the expected value is unchanged. The mask comes from the seeded host generator,
 * so a seed gives the same mask on every backend. p = 1 zeroes all.
 */
export function dropout(x: Tensor, p = 0.5, args: DropoutArgs = {}): Tensor {
  checkOptions('dropout', args, ['training', 'generator']);
  checkNumber('dropout: p', p, { min: 0, max: 1 });
  if (!checkBoolean('dropout: training', args.training ?? true) || p === 0) return x;
  if (!isFloat(x.dtype)) throw new DTypeError(`dropout: expected a float input, got dtype ${x.dtype}`);
  const mask = (args.generator ?? defaultGenerator).uniform(x.size);
  // The scale is folded into the mask on the host, as PyTorch does: one upload, one multiply.
  const scale = p === 1 ? 0 : 1 / (1 - p);
  for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= p ? scale : 0;
  return composite(() => mul(x, fromHost(mask, x.shape, { dtype: x.dtype, backend: x.backend })));
}
