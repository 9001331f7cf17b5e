import {
  GRU,
  Generator,
  LSTM,
  SelectTimeStep,
  concat,
  gruCell,
  lstmCell,
  packPaddedSequence,
  padPackedSequence,
  rnnTanhCell,
  stack,
  type FloatDType,
  type Tensor,
} from '@myelin/core';
import type { InputSpec, OpCase } from './types.js';

// Recurrent cells run as step sequences (what RNN, LSTM and GRU do per layer and direction):
// x [seq, batch, input] and each step's state feed the next, so every gradient crosses all the
// steps. Small and mildly scaled weights keep the gates out of saturation, where finite
// differences would see nothing.

const SEQ = 3;
const BATCH = 2;
const INPUT = 3;
const HIDDEN = 2;
const weight = (rows: number, cols?: number): InputSpec => ({
  shape: cols === undefined ? [rows] : [rows, cols],
  low: -0.8,
  high: 0.8,
});
const cellInputs = (gates: number, cells: number): InputSpec[] => [
  { shape: [SEQ, BATCH, INPUT] },
  ...Array.from({ length: cells }, () => ({ shape: [BATCH, HIDDEN], low: -1, high: 1 })),
  weight(gates * HIDDEN, INPUT),
  weight(gates * HIDDEN, HIDDEN),
  weight(gates * HIDDEN),
  weight(gates * HIDDEN),
];
const steps = (x: Tensor): Tensor[] => Array.from({ length: SEQ }, (_, t) => x.slice([t], [1]).reshape([BATCH, INPUT]));

export const recurrentCases: OpCase[] = [
  {
    name: 'lstmCell over 3 steps (h of every step and the final c)',
    covers: ['matmul', 'add', 'mul', 'sigmoid', 'tanh', 'slice', 'concat'],
    inputs: cellInputs(4, 2),
    run: ([x, h0, c0, wIh, wHh, bIh, bHh]) => {
      let state: [Tensor, Tensor] = [h0!, c0!];
      const hs = steps(x!).map((xt) => (state = lstmCell(xt, state, wIh!, wHh!, bIh!, bHh!))[0]);
      return concat([stack(hs), stack([state[1]])]);
    },
  },
  {
    name: "gruCell over 3 steps (PyTorch's n gate)",
    covers: ['matmul', 'add', 'sub', 'mul', 'sigmoid', 'tanh', 'slice', 'concat'],
    inputs: cellInputs(3, 1),
    run: ([x, h0, wIh, wHh, bIh, bHh]) => {
      let h = h0!;
      return stack(steps(x!).map((xt) => (h = gruCell(xt, h, wIh!, wHh!, bIh!, bHh!))));
    },
  },
  {
    name: 'rnnTanhCell over 3 steps',
    covers: ['matmul', 'add', 'tanh', 'slice', 'concat'],
    inputs: cellInputs(1, 1),
    run: ([x, h0, wIh, wHh, bIh, bHh]) => {
      let h = h0!;
      return stack(steps(x!).map((xt) => (h = rnnTanhCell(xt, h, wIh!, wHh!, bIh!, bHh!))));
    },
  },
  // The layers on a PackedSequence: packing and unpacking gather rows, the batch shrinks from step
  // to step (forwards) and grows (in reverse), and every gradient crosses the packed recurrence.
  // The weights come from a seeded generator on the host, the same on every backend.
  {
    name: 'packed LSTM, 2 layers, bidirectional, unsorted lengths [2, 3, 1]: padded output, h_n and c_n',
    covers: ['matmul', 'add', 'mul', 'sigmoid', 'tanh', 'slice', 'concat', 'gather', 'pad'],
    inputs: [{ shape: [SEQ, 3, INPUT] }],
    run: ([x], backend) => {
      const lstm = new LSTM(INPUT, HIDDEN, {
        numLayers: 2,
        bidirectional: true,
        generator: new Generator(3),
        dtype: x!.dtype as FloatDType,
        backend,
      });
      const { output, state } = lstm.forwardWithState(packPaddedSequence(x!, [2, 3, 1], { enforceSorted: false }));
      return concat([padPackedSequence(output).output.reshape([-1]), state.h.reshape([-1]), state.c.reshape([-1])]);
    },
  },
  {
    name: "packed GRU, batchFirst, lengths [3, 2, 1]: each sequence's last output and h_n",
    covers: ['matmul', 'add', 'sub', 'mul', 'sigmoid', 'tanh', 'slice', 'concat', 'gather'],
    inputs: [{ shape: [3, SEQ, INPUT] }],
    run: ([x], backend) => {
      const gru = new GRU(INPUT, HIDDEN, {
        bidirectional: true,
        batchFirst: true,
        generator: new Generator(4),
        dtype: x!.dtype as FloatDType,
        backend,
      });
      const { output, state } = gru.forwardWithState(packPaddedSequence(x!, [3, 2, 1], { batchFirst: true }));
      return concat([new SelectTimeStep(-1).forward(output).reshape([-1]), state.h.reshape([-1])]);
    },
  },
];
