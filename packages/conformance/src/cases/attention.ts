import {
  layerNorm,
  linear,
  logicalNot,
  permute,
  reshape,
  scaledDotProductAttention,
  slice,
  tensor,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

// Attention as MultiheadAttention and the Transformer layers compute it: scaled scores, a mask
// that writes -inf (where) or adds a float bias, softmax over the keys, and the heads split and
// merged by reshape/permute around a batched matmul. Mild inputs keep the softmax away from
// saturation, where finite differences would see nothing.

const BATCH = 2;
const LENGTH = 3;
const EMBED = 4;
const HEADS = 2;
const mild = (shape: number[]) => ({ shape, low: -1, high: 1 });

export const attentionCases: OpCase[] = [
  {
    name: 'scaledDotProductAttention, causal',
    covers: ['matmul', 'mul', 'where', 'max', 'sub', 'exp', 'sum', 'div'],
    inputs: [mild([BATCH, LENGTH, EMBED]), mild([BATCH, LENGTH, EMBED]), mild([BATCH, LENGTH, 5])],
    run: ([q, k, v]) => scaledDotProductAttention(q!, k!, v!, { isCausal: true }),
  },
  {
    name: 'scaledDotProductAttention with a float mask (added) over 4 keys',
    covers: ['matmul', 'mul', 'add', 'max', 'sub', 'exp', 'sum', 'div'],
    inputs: [mild([BATCH, LENGTH, EMBED]), mild([BATCH, 4, EMBED]), mild([BATCH, 4, EMBED]), mild([LENGTH, 4])],
    run: ([q, k, v, mask]) => scaledDotProductAttention(q!, k!, v!, { attnMask: mask!, scale: 0.7 }),
  },
  {
    name: 'two-head self-attention with key padding, residual and layerNorm (an encoder block)',
    covers: ['matmul', 'add', 'slice', 'reshape', 'transpose', 'where', 'exp', 'sum', 'sqrt'],
    inputs: [
      mild([BATCH, LENGTH, EMBED]),
      mild([3 * EMBED, EMBED]),
      mild([3 * EMBED]),
      mild([EMBED, EMBED]),
      mild([EMBED]),
    ],
    run: ([x, wIn, bIn, wOut, bOut], backend) => {
      const qkv = linear(x!, wIn!, bIn!);
      const head = (i: number): Tensor =>
        permute(
          reshape(slice(qkv, [0, 0, i * EMBED], [-1, -1, EMBED]), [BATCH, LENGTH, HEADS, EMBED / HEADS]),
          [0, 2, 1, 3],
        );
      // The second sequence's last position is padding: no query attends to it.
      const padding = tensor(
        [
          [false, false, false],
          [false, false, true],
        ],
        { dtype: 'bool', backend },
      );
      const attended = scaledDotProductAttention(head(0), head(1), head(2), {
        attnMask: logicalNot(reshape(padding, [BATCH, 1, 1, LENGTH])),
      });
      const merged = reshape(permute(attended, [0, 2, 1, 3]), [BATCH, LENGTH, EMBED]);
      return layerNorm(x!.add(linear(merged, wOut!, bOut!)), [EMBED]);
    },
  },
];
