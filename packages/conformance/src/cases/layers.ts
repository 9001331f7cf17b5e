import {
  ChannelShuffle,
  ConstantPad2d,
  Fold,
  Generator,
  ReflectionPad2d,
  ReplicationPad1d,
  Unfold,
  alphaDropout,
  bilinear,
  celu,
  concat,
  dropout3d,
  featureAlphaDropout,
  glu,
  gruCell,
  hardshrink,
  localResponseNorm,
  logSigmoid,
  lstmCell,
  rmsNorm,
  rnnReluCell,
  rrelu,
  softmax2d,
  softmin,
  softshrink,
  tanhshrink,
  threshold,
  zeros,
  type Tensor,
} from '@myelin/core';
import type { OpCase } from './types.js';

// The torch.nn layers added to match the rest of PyTorch's (their values and gradients against
// PyTorch are core's torch-layers tests): each composes primitives, so every backend runs them
// here, with finite-difference gradients. Layers without weights run as modules; the cells and
// Bilinear run their ops with the weights as inputs (what the modules call).

/** An unbatched cell step as the cell modules run it: [input] -> [1, input], zero state, back to [hidden]. */
const unbatched = (x: Tensor, hidden: number): [Tensor, Tensor] => [
  x.reshape([1, x.shape[0]!]),
  zeros([1, hidden], { dtype: x.dtype, backend: x.backend }),
];

export const layerCases: OpCase[] = [
  {
    name: 'celu alpha 0.7, logSigmoid and tanhshrink',
    covers: ['exp', 'log', 'tanh', 'maximum', 'neg', 'greater', 'where', 'div'],
    inputs: [{ shape: [3, 4], low: -4, high: 4 }],
    run: ([x]) => concat([celu(x!, 0.7), logSigmoid(x!), tanhshrink(x!)]),
  },
  {
    name: 'softshrink 0.5, hardshrink 1 and threshold(0.3, -2)',
    covers: ['greater', 'less', 'lessEqual', 'abs', 'where', 'sub', 'add'],
    // Away from the kinks at +-0.5, +-1 and 0.3, where a central difference is not the derivative.
    inputs: [
      {
        shape: [2, 6],
        values: [-2.1, -1.3, -0.8, -0.35, -0.1, 0.05, 0.2, 0.42, 0.7, 1.2, 1.7, 2.6],
      },
    ],
    run: ([x]) => concat([softshrink(x!), hardshrink(x!, 1), threshold(x!, 0.3, -2)]),
  },
  {
    name: 'softmin axis 0 and glu axis 1',
    covers: ['exp', 'sum', 'div', 'max', 'neg', 'slice', 'sigmoid', 'mul'],
    inputs: [{ shape: [3, 4], low: -3, high: 3 }],
    run: ([x]) => concat([softmin(x!, 0), glu(x!, 1)], 1),
  },
  {
    name: 'softmax2d over the channels of [N, C, H, W]',
    covers: ['exp', 'sum', 'div', 'max'],
    inputs: [{ shape: [2, 3, 2, 2], low: -3, high: 3 }],
    run: ([x]) => softmax2d(x!),
  },
  {
    name: 'rrelu in training (seeded slopes) and in eval',
    covers: ['greater', 'where', 'mul'],
    inputs: [{ shape: [3, 4] }],
    run: ([x]) => concat([rrelu(x!, 0.1, 0.3, { training: true, generator: new Generator(5) }), rrelu(x!, 0.1, 0.3)]),
  },
  {
    name: 'rmsNorm over the last two axes with a weight (eps: the dtype epsilon)',
    covers: ['mul', 'sum', 'add', 'sqrt', 'div'],
    inputs: [{ shape: [2, 3, 4] }, { shape: [3, 4], low: 0.5, high: 1.5 }],
    run: ([x, w]) => rmsNorm(x!, [3, 4], w!),
  },
  {
    name: 'localResponseNorm size 3, alpha 0.5, beta 0.75, k 1 over [N, C, H, W]',
    covers: ['pad', 'slice', 'add', 'mul', 'pow', 'div', 'reshape'],
    inputs: [{ shape: [2, 4, 2, 2] }],
    run: ([x]) => localResponseNorm(x!, 3, 0.5, 0.75, 1),
  },
  {
    name: 'bilinear [2, 3] x [2, 3, 4] -> [2, 3, 2] with bias',
    covers: ['matmul', 'transpose', 'reshape', 'mul', 'sum', 'add'],
    inputs: [{ shape: [2, 3, 3] }, { shape: [2, 3, 4] }, { shape: [2, 3, 4], low: -0.6, high: 0.6 }, { shape: [2] }],
    run: ([x1, x2, w, b]) => bilinear(x1!, x2!, w!, b!),
  },
  {
    name: 'the cell modules unbatched from a zero state: LSTMCell, GRUCell, RNNCell relu',
    covers: ['matmul', 'add', 'mul', 'sigmoid', 'tanh', 'relu', 'slice', 'concat'],
    inputs: [
      { shape: [3] },
      { shape: [8, 3], low: -0.8, high: 0.8 },
      { shape: [8, 2], low: -0.8, high: 0.8 },
      { shape: [6, 3], low: -0.8, high: 0.8 },
      { shape: [6, 2], low: -0.8, high: 0.8 },
      { shape: [2, 3], low: -0.8, high: 0.8 },
      { shape: [2, 2], low: -0.8, high: 0.8 },
    ],
    run: ([x, lstmIh, lstmHh, gruIh, gruHh, rnnIh, rnnHh]) => {
      const [row, zero] = unbatched(x!, 2);
      const [h, c] = lstmCell(row, [zero, zero], lstmIh!, lstmHh!);
      return concat([h, c, gruCell(row, zero, gruIh!, gruHh!), rnnReluCell(row, zero, rnnIh!, rnnHh!)]).reshape([8]);
    },
  },
  {
    name: 'dropout3d, alphaDropout and featureAlphaDropout with seeded masks',
    covers: ['mul', 'add'],
    inputs: [{ shape: [2, 4, 1, 2, 1] }],
    run: ([x]) =>
      concat([
        dropout3d(x!, 0.5, { generator: new Generator(1) }),
        alphaDropout(x!, 0.3, { generator: new Generator(2) }),
        featureAlphaDropout(x!, 0.5, { generator: new Generator(3) }),
      ]),
  },
  {
    name: 'ReflectionPad2d, ReplicationPad1d and ConstantPad2d modules',
    covers: ['gather', 'pad', 'reshape'],
    inputs: [{ shape: [1, 2, 3, 3] }],
    run: ([x]) =>
      concat([
        new ReflectionPad2d([2, 1, 0, 2]).forward(x!).reshape([-1]),
        new ReplicationPad1d([1, 2]).forward(x!.reshape([2, 9])).reshape([-1]),
        new ConstantPad2d(1, 0.5).forward(x!.reshape([2, 3, 3])).reshape([-1]),
      ]),
  },
  {
    name: 'Unfold then Fold modules (unbatched), and ChannelShuffle 2',
    covers: ['unfold', 'scatterAdd', 'slice', 'reshape', 'transpose'],
    inputs: [{ shape: [2, 4, 5] }],
    run: ([x]) =>
      concat([
        new Fold([4, 5], [2, 3], { padding: 1, stride: [1, 2] })
          .forward(new Unfold([2, 3], { padding: 1, stride: [1, 2] }).forward(x!.reshape([2, 4, 5])))
          .reshape([-1]),
        new ChannelShuffle(2).forward(x!.reshape([1, 2, 4, 5]).reshape([1, 4, 2, 5])).reshape([-1]),
      ]),
  },
];
