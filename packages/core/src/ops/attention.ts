import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { checkBoolean, checkNumber, checkOptions, describeValue } from '../nn/checks.js';
import { fromHost } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite } from '../tensor/scope.js';
import { broadcastShapes, shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { softmax } from './activation.js';
import { isFloat } from './dispatch.js';
import { dropout } from './dropout.js';
import { add, cast, logicalNot, mul, where } from './elementwise.js';
import { matmul } from './linalg.js';

/**
 * What `attend` adds to the scores before the softmax: `blocked` is a bool tensor, true where a
 * query must not see a key (its score becomes -inf); `bias` a float tensor added to the scores.
 * Either broadcasts against the scores [..., L, S].
 */
export interface AttentionMask {
  blocked?: Tensor;
  bias?: Tensor;
}

export interface AttendArgs extends AttentionMask {
  /** Multiplies the queries (so the scores) before the softmax. */
  scale: number;
  dropoutP: number;
  generator?: Generator;
}

/**
 * The attention both scaledDotProductAttention and MultiheadAttention compute: weights =
 * softmax(q k^T * scale + mask) over the keys, dropout on the weights, output = weights v. The
 * queries are scaled before the product, as PyTorch's MultiheadAttention does ([L, E] values,
 * not [L, S]). Returns the output and the weights (after dropout, as PyTorch returns them).
 * A query that sees no key gets NaN weights, as in PyTorch.
 */
export function attend(q: Tensor, k: Tensor, v: Tensor, args: AttendArgs): { output: Tensor; weights: Tensor } {
  let scores = matmul(mul(q, args.scale), k, { transposeB: true });
  if (args.bias !== undefined) scores = add(scores, args.bias);
  if (args.blocked !== undefined) scores = where(args.blocked, -Infinity, scores);
  let weights = softmax(scores, -1);
  if (args.dropoutP > 0) weights = dropout(weights, args.dropoutP, { generator: args.generator });
  return { output: matmul(weights, v), weights };
}

/** The [L, S] mask of causal attention: true above the diagonal (key after query: blocked). */
export function causalMask(queries: number, keys: number, backend: Tensor['backend']): Tensor {
  const values = new Uint8Array(queries * keys);
  for (let i = 0; i < queries; i++) for (let j = i + 1; j < keys; j++) values[i * keys + j] = 1;
  return fromHost(values, [queries, keys], { dtype: 'bool', backend });
}

/** Checks that a mask is a tensor of a mask dtype whose shape broadcasts against `scores`. */
export function checkMask(where: string, name: string, mask: unknown, scores: readonly number[]): Tensor {
  if (typeof mask !== 'object' || mask === null || (mask as { isMyelinTensor?: boolean }).isMyelinTensor !== true)
    throw new ArgumentError(`${where}: ${name} must be a bool or float Tensor, got ${describeValue(mask)}`);
  const tensor = mask as Tensor;
  if (tensor.dtype !== 'bool' && !isFloat(tensor.dtype))
    throw new DTypeError(
      `${where}: ${name} must be bool (true: blocked) or float (added to the scores), got dtype ${tensor.dtype}`,
    );
  let fits: boolean;
  try {
    fits = shapesEqual(broadcastShapes(where, scores, tensor.shape), scores);
  } catch {
    fits = false;
  }
  if (!fits)
    throw new ShapeError(
      `${where}: ${name} has shape ${formatShape(tensor.shape)}, which does not broadcast to the scores' shape ${formatShape(scores)}`,
    );
  return tensor;
}

/** A float mask in the scores' dtype (a float32 mask may meet float64 scores). */
export const maskBias = (mask: Tensor, dtype: Tensor['dtype']): Tensor =>
  mask.dtype === dtype ? mask : cast(mask, dtype);

export interface ScaledDotProductAttentionOptions {
  /**
   * A bool mask, true where a query may attend to a key (PyTorch's
   * F.scaled_dot_product_attention; note that nn.MultiheadAttention's bool masks mean the
   * opposite), or a float mask added to the scores. Broadcasts to [..., L, S].
   */
  attnMask?: Tensor;
  /** Dropout on the attention weights (default 0). It applies whenever p > 0, as in PyTorch. */
  dropoutP?: number;
  /** Each query attends only to the keys at or before its position (no attnMask then). */
  isCausal?: boolean;
  /** Multiplies the scores; 1 / sqrt(E) by default. */
  scale?: number;
  /** Draws the dropout mask; the default generator otherwise. */
  generator?: Generator;
}

/**
 * torch.nn.functional.scaled_dot_product_attention: softmax(query key^T * scale + mask) value,
 * with query [..., L, E], key [..., S, E] and value [..., S, Ev] (leading axes broadcast);
 * returns [..., L, Ev].
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  options: ScaledDotProductAttentionOptions = {},
): Tensor {
  const where = 'scaledDotProductAttention';
  checkOptions(where, options, ['attnMask', 'dropoutP', 'isCausal', 'scale', 'generator']);
  const named: [string, Tensor][] = [
    ['query', query],
    ['key', key],
    ['value', value],
  ];
  for (const [name, t] of named) {
    if (typeof t !== 'object' || t === null || (t as { isMyelinTensor?: boolean }).isMyelinTensor !== true)
      throw new ArgumentError(`${where}: ${name} must be a Tensor, got ${describeValue(t)}`);
    if (!isFloat(t.dtype) || t.dtype !== query.dtype)
      throw new DTypeError(
        `${where}: query, key and value must be float tensors of one dtype, got ${query.dtype}, ${key.dtype}, ${value.dtype}`,
      );
    if (t.rank < 2) throw new ShapeError(`${where}: ${name} must have at least 2 axes, got ${formatShape(t.shape)}`);
  }
  const [length, embed] = query.shape.slice(-2) as [number, number];
  const [keys, keyEmbed] = key.shape.slice(-2) as [number, number];
  if (keyEmbed !== embed || value.shape[value.rank - 2] !== keys)
    throw new ShapeError(
      `${where}: expected query [..., L, E], key [..., S, E] and value [..., S, Ev], got query ${formatShape(query.shape)}, key ${formatShape(key.shape)}, value ${formatShape(value.shape)}`,
    );
  const dropoutP = checkNumber(`${where}: dropoutP`, options.dropoutP ?? 0, { min: 0, max: 1 });
  const isCausal = checkBoolean(`${where}: isCausal`, options.isCausal ?? false);
  const scale = checkNumber(`${where}: scale`, options.scale ?? 1 / Math.sqrt(embed));
  const batch = broadcastShapes(where, query.shape.slice(0, -2), key.shape.slice(0, -2));
  const scores = [...batch, length, keys];
  if (isCausal && options.attnMask !== undefined)
    throw new ArgumentError(`${where}: give either attnMask or isCausal, not both`);
  return composite(() => {
    const mask: AttentionMask = {};
    if (isCausal) mask.blocked = causalMask(length, keys, query.backend);
    else if (options.attnMask !== undefined) {
      const attnMask = checkMask(where, 'attnMask', options.attnMask, scores);
      if (attnMask.dtype === 'bool') mask.blocked = logicalNot(attnMask);
      else mask.bias = maskBias(attnMask, query.dtype);
    }
    return attend(query, key, value, { ...mask, scale, dropoutP, generator: options.generator }).output;
  });
}
