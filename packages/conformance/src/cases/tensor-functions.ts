import {
  addbmm,
  addcdiv,
  addcmul,
  addmm,
  addr,
  baddbmm,
  concat,
  dot,
  inner,
  mv,
  tensordot,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

// torch's everyday tensor functions composed in core (ops/products.ts, ...): these cases run
// them, with their gradients, on every backend. Core checks each against PyTorch
// (ops/tensor-functions.test.ts).

const flat = (x: Tensor): Tensor => x.reshape([-1]);

export const tensorFunctionCases: OpCase[] = [
  {
    name: 'products: addmm, baddbmm, addbmm, addr, mv, dot, inner and tensordot with beta and alpha',
    covers: ['matmul', 'mul', 'add', 'sum', 'transpose', 'reshape'],
    inputs: [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4] }, { shape: [2, 2, 3] }, { shape: [2, 3, 4] }],
    run: ([a, b, v, a3, b3]) =>
      concat(
        [
          flat(addmm(v!, a!, b!, { beta: 0.5, alpha: -2 })),
          flat(baddbmm(v!, a3!, b3!, { alpha: 0.5 })),
          flat(addbmm(v!, a3!, b3!, { beta: 2 })),
          flat(addr(a!.slice([0, 0], [2, 2]), v!.slice([0], [2]), v!.slice([2], [2]), { alpha: -1 })),
          mv(b!.transpose(), a!.slice([0, 0], [1, 3]).reshape([3])),
          dot(v!, v!).reshape([1]),
          flat(inner(a3!, a!)),
          flat(
            tensordot(a3!, b3!, [
              [0, 2],
              [0, 1],
            ]),
          ),
        ],
        0,
      ),
  },
  {
    name: 'addcmul and addcdiv with broadcasting and a value',
    covers: ['mul', 'div', 'add'],
    inputs: [{ shape: [2, 3] }, { shape: [3] }, { shape: [2, 1], low: 0.5, high: 2 }],
    run: ([x, t, d]) => concat([addcmul(x!, t!, d!, { value: 0.5 }), addcdiv(x!, t!, d!, { value: -2 })], 0),
  },
];
