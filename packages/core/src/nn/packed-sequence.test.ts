import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  GRU,
  LSTM,
  Linear,
  PackedSequence,
  RNN,
  SelectTimeStep,
  Sequential,
  ShapeError,
  getBackend,
  manualSeed,
  packPaddedSequence,
  packSequence,
  padPackedSequence,
  randn,
  tensor,
  tidy,
  unpackSequence,
  unpadSequence,
  type NestedArray,
  type RNNBase,
  type Tensor,
} from '@myelin/core';
import { flat } from '../ops/test-helpers.js';
import { PYTORCH_PACKED_SEQUENCE } from './packed-sequence-fixture.js';

type AnyState = { h: Tensor; c?: Tensor };
const t64 = (values: unknown, requiresGrad = false): Tensor =>
  tensor(values as NestedArray, { dtype: 'float64', requiresGrad });

/** The largest |actual - expected|; the element counts must agree. */
async function maxError(actual: Tensor | null, expected: unknown): Promise<number> {
  expect(actual).not.toBeNull();
  const want = flat(expected);
  const got = Array.from(await actual!.data());
  expect(got.length).toBe(want.length);
  return got.reduce((worst, value, i) => Math.max(worst, Math.abs(value - want[i]!)), 0);
}

const weightedSum = (xs: readonly Tensor[], weights: readonly unknown[]): Tensor =>
  xs.map((x, i) => x.mul(t64(weights[i])).sum()).reduce((a, b) => a.add(b));

describe('packing against torch.nn.utils.rnn (float64, cpu-reference)', () => {
  for (const c of PYTORCH_PACKED_SEQUENCE.packing) {
    it(`${c.name}: packed data, batch sizes, order, the round trip and its gradients`, async () => {
      if (c.kind === 'padded') {
        const options = { batchFirst: c.batchFirst!, enforceSorted: c.enforceSorted! };
        const input = t64(c.input, true);
        const packed = packPaddedSequence(input, c.lengths!, options);
        expect(packed.batchSizes).toEqual(c.batchSizes);
        expect(packed.sortedIndices).toEqual(c.sortedIndices);
        expect(await maxError(packed.data, c.data)).toBe(0);
        packed.data.mul(t64(c.dataWeights)).sum().backward();
        expect(await maxError(input.grad, c.dataGradient)).toBe(0);
        const again = t64(c.input, true); // a fresh leaf: the round trip's gradient alone
        const padOptions = {
          batchFirst: c.batchFirst!,
          ...(c.pad!.totalLength === null ? {} : { totalLength: c.pad!.totalLength }),
          ...(c.pad!.paddingValue === null ? {} : { paddingValue: c.pad!.paddingValue }),
        };
        const { output, lengths } = padPackedSequence(packPaddedSequence(again, c.lengths!, options), padOptions);
        expect(lengths).toEqual(c.lengths);
        expect(await maxError(output, c.output)).toBe(0);
        output.mul(t64(c.outputWeights)).sum().backward();
        expect(await maxError(again.grad, c.roundTripGradient)).toBe(0);
      } else {
        const sequences = c.sequences!.map((s) => t64(s, true));
        const packed = packSequence(sequences, { enforceSorted: false });
        expect(packed.batchSizes).toEqual(c.batchSizes);
        expect(packed.sortedIndices).toEqual(c.sortedIndices);
        expect(await maxError(packed.data, c.data)).toBe(0);
        const { output, lengths } = padPackedSequence(packed, { batchFirst: true });
        expect(await maxError(output, c.padded)).toBe(0);
        const unpacked = unpackSequence(packed);
        const unpadded = unpadSequence(output, lengths, { batchFirst: true });
        expect(unpacked.map((s) => s.shape)).toEqual(sequences.map((s) => s.shape));
        weightedSum(unpacked, c.unpackedWeights!).add(weightedSum(unpadded, c.unpaddedWeights!)).backward();
        for (const [i, s] of sequences.entries()) expect(await maxError(s.grad, c.gradients![i])).toBeLessThan(1e-15);
      }
    });
  }
});

describe('PackedSequence', () => {
  it('takes lengths as a number[] or an int tensor, and records each sequence’s place in the sorted batch', async () => {
    const x = tensor([[[1]], [[2]], [[3]]])
      .reshape([3, 1, 1])
      .tile([1, 3, 1]); // [seq 3, batch 3, 1]
    const packed = packPaddedSequence(x, tensor([1, 3, 2], { dtype: 'int32' }), { enforceSorted: false });
    expect(packed.batchSizes).toEqual([3, 2, 1]);
    expect(packed.sortedIndices).toEqual([1, 2, 0]);
    expect(packed.unsortedIndices).toEqual([2, 0, 1]);
    expect(packed.lengths).toEqual([1, 3, 2]);
    expect(packed.batchSize).toBe(3);
    expect(flat(await packed.data.array())).toEqual([1, 1, 1, 2, 2, 3]);
    // a sorted batch keeps no order, as torch's sorted_indices None
    const sorted = packPaddedSequence(x, [3, 2, 2]);
    expect([sorted.sortedIndices, sorted.unsortedIndices]).toEqual([null, null]);
    expect(new PackedSequence(packed.data, [3, 2, 1], [1, 2, 0]).unsortedIndices).toEqual([2, 0, 1]);
  });

  it('rejects bad lengths, layouts and options as torch does, naming the value', () => {
    const x = randn([4, 3, 2]);
    expect(() => packPaddedSequence(x, [2, 3, 1])).toThrow(
      new ArgumentError(
        'packPaddedSequence: lengths must be in decreasing order with enforceSorted (the default), got [2,3,1] (lengths[1] = 3 > 2); sort the batch or pass enforceSorted: false',
      ),
    );
    expect(() => packPaddedSequence(x, [3, 0, 1])).toThrow(
      'packPaddedSequence: every length must be at least 1, but lengths[1] is 0 (lengths [3,0,1])',
    );
    expect(() => packPaddedSequence(x, [5, 1, 1])).toThrow(
      "packPaddedSequence: lengths[0] is 5, longer than the input's 4 steps (lengths [5,1,1])",
    );
    expect(() => packPaddedSequence(x, [2, 1], { batchFirst: true })).toThrow(
      new ShapeError('packPaddedSequence: got 2 lengths for a batch of 4 (input [4,3,2], batchFirst)'),
    );
    expect(() => packPaddedSequence(x, [2.5, 1, 1])).toThrow(
      'packPaddedSequence: lengths must be a number[] of integers, an Int32Array or a 1-D tensor of them, got [2.5,1,1]',
    );
    expect(() => packPaddedSequence(x, tensor([[3, 2, 1]]))).toThrow(
      'packPaddedSequence: lengths must be a number[] of integers, an Int32Array or a 1-D tensor of them, got a tensor of dtype float32 and shape [1,3]',
    );
    expect(() => packPaddedSequence(x, [3, 2, 1], { enforce_sorted: false } as never)).toThrow(/enforce_sorted/);
    expect(() => packSequence([])).toThrow('packSequence: expected a non-empty array of tensors, got []');
    const packed = packPaddedSequence(x, [3, 2, 1]);
    expect(() => padPackedSequence(packed, { totalLength: 2 })).toThrow(
      "padPackedSequence: options.totalLength must be at least the longest sequence's 3 steps, got 2",
    );
    expect(() => padPackedSequence(x as never)).toThrow('padPackedSequence: expected a PackedSequence, got');
    expect(() => new PackedSequence(randn([5, 2]), [3, 2, 1])).toThrow(
      'PackedSequence: data has shape [5,2], but batchSizes add up to 6 steps: data must be [6, ...features]',
    );
    expect(() => new PackedSequence(randn([5, 2]), [2, 3])).toThrow(
      'PackedSequence: batchSizes must be a non-empty, non-increasing list of positive integers, got [2,3]',
    );
    expect(() => new PackedSequence(randn([5, 2]), [3, 2], [0, 0, 1])).toThrow(
      'PackedSequence: sortedIndices must be a permutation of 0..2 (one entry per sequence), got [0,0,1]',
    );
    expect(() => new LSTM(3, 4).forward(packed)).toThrow(
      'LSTM(3 -> 4) got a PackedSequence with data of shape [6,2]: expected [steps, 3]',
    );
  });
});

describe('recurrent layers on a PackedSequence', () => {
  it('match each sequence run alone: output steps, and the final state after its own last step (both directions)', async () => {
    manualSeed(11);
    const lengths = [2, 5, 1];
    const sequences = lengths.map((n) => randn([n, 3], { dtype: 'float64' }));
    const modules = [
      new LSTM(3, 4, { numLayers: 2, bidirectional: true, dtype: 'float64' }),
      new GRU(3, 4, { bidirectional: true, dtype: 'float64' }),
      new RNN(3, 4, { numLayers: 2, nonlinearity: 'relu', dtype: 'float64' }),
    ] as RNNBase<AnyState>[];
    for (const module of modules) {
      const h0 = randn([module.numDirections * module.numLayers, 3, 4], { dtype: 'float64' });
      const state: AnyState = module instanceof LSTM ? { h: h0, c: h0.mul(0.5) } : { h: h0 };
      const packed = module.forwardWithState(packSequence(sequences, { enforceSorted: false }), state);
      const outputs = unpackSequence(packed.output);
      for (const [b, sequence] of sequences.entries()) {
        const own = (s: Tensor): Tensor => s.slice([0, b], [-1, 1]);
        const ownState = Object.fromEntries(Object.entries(state).map(([key, s]) => [key, own(s)])) as AnyState;
        const alone = module.forwardWithState(sequence.reshape([lengths[b]!, 1, 3]), ownState);
        expect(await maxError(outputs[b]!, await alone.output.array())).toBeLessThan(1e-14);
        for (const [key, final] of Object.entries(alone.state))
          expect(await maxError(own(packed.state[key as keyof AnyState]!), await final.array())).toBeLessThan(1e-14);
      }
    }
  });

  it('forward returns a PackedSequence of the same batch; dropout between layers only in train mode', async () => {
    manualSeed(12);
    const lstm = new LSTM(3, 4, { numLayers: 2, dropout: 0.5, dtype: 'float64' });
    const packed = packSequence([randn([4, 3], { dtype: 'float64' }), randn([2, 3], { dtype: 'float64' })]);
    const train = lstm.forward(packed);
    expect(train).toBeInstanceOf(PackedSequence);
    expect(train.batchSizes).toEqual([2, 2, 1, 1]);
    expect(train.data.shape).toEqual([6, 4]);
    lstm.eval();
    const evaluated = await lstm.forward(packed).data.array();
    expect(await lstm.forwardWithState(packed).output.data.array()).toEqual(evaluated);
    expect(await train.data.array()).not.toEqual(evaluated);
  });

  it('reads nothing from the device per step: the batch sizes stay on the host', () => {
    const backend = getBackend();
    const gru = new GRU(2, 3, { bidirectional: true });
    const reads = (length: number): number => {
      const packed = packSequence([randn([length, 2]), randn([1, 2]), randn([3, 2])], { enforceSorted: false });
      const original = backend.readSync!.bind(backend);
      let count = 0;
      backend.readSync = (handle) => (count++, original(handle));
      try {
        tidy(() => {
          const { output, state } = gru.forwardWithState(packed, { h: randn([2, 3, 3]) });
          output.data.sum().add(state.h.sum()).backward();
        });
      } finally {
        backend.readSync = original;
      }
      return count;
    };
    expect(reads(40)).toBe(reads(4));
  });

  it('classify variable-length sequences: LSTM -> SelectTimeStep(-1) -> Linear takes each sequence’s last real output, which is h_n[-1]', async () => {
    manualSeed(13);
    const lstm = new LSTM(3, 5, { numLayers: 2, dtype: 'float64' });
    const head = new Linear(5, 2, { dtype: 'float64' });
    const model = new Sequential(lstm, new SelectTimeStep(-1), head);
    const sequences = [4, 1, 3].map((n) => randn([n, 3], { dtype: 'float64' }));
    const packed = packSequence(sequences, { enforceSorted: false });
    const logits = model.forward(packed);
    expect(logits.shape).toEqual([3, 2]);
    // the torch recipe: the last layer's final h, h_n[-1], in the original batch order
    const { state } = lstm.forwardWithState(packed);
    const last = state.h.slice([-1], [1]).reshape([3, 5]);
    expect(await maxError(logits, await head.forward(last).array())).toBeLessThan(1e-15);
    // and each sequence alone gives its own row
    for (const [b, sequence] of sequences.entries())
      expect(
        await maxError(logits.slice([b], [1]), await model.forward(sequence.reshape([-1, 1, 3])).array()),
      ).toBeLessThan(1e-14);
    logits.sum().backward();
    expect(lstm.parameters().every((p) => p.grad !== null)).toBe(true);
    // step 0 of every sequence, and errors naming the shortest sequence
    const firsts = new SelectTimeStep(0).forward(lstm.forward(packed));
    expect(firsts.shape).toEqual([3, 5]);
    expect(() => new SelectTimeStep(1).forward(packed)).toThrow(
      'SelectTimeStep(index=1) got a PackedSequence whose shortest sequence has 1 steps: the index must be in [-1, 0] for every sequence (lengths [4,1,3])',
    );
    expect(() => new Sequential(lstm).forward(packed)).toThrow(
      "Sequential's last layer returned a PackedSequence; end with a layer that returns a tensor, like SelectTimeStep after an RNN, or call padPackedSequence on its output",
    );
    // A layer that cannot take one is named, instead of failing inside it.
    expect(() => new Sequential(lstm, new Linear(5, 1)).forward(packed)).toThrow(
      'Sequential: layer 1 (Linear) got a PackedSequence, which only RNN, LSTM, GRU and SelectTimeStep take; put SelectTimeStep after the recurrent layer, or call padPackedSequence on its output',
    );
    expect(() => new Sequential(new Linear(3, 3), lstm).forward(packed)).toThrow(
      /layer 0 \(Linear\) got a PackedSequence/,
    );
    expect(new Sequential(new Sequential(lstm, new SelectTimeStep(-1))).forward(packed).shape).toEqual([3, 5]);
  });

  it('leaks nothing on packed input, in tidy and outside it', () => {
    const backend = getBackend();
    manualSeed(14);
    const lstm = new LSTM(3, 4, { numLayers: 2, bidirectional: true });
    const sequences = [3, 5, 1].map((n) => randn([n, 3]));
    const round = (): void =>
      tidy(() => {
        const { output, state } = lstm.forwardWithState(packSequence(sequences, { enforceSorted: false }));
        padPackedSequence(output).output.sum().add(state.h.sum()).add(state.c.sum()).backward();
      });
    round(); // the parameters' gradients are allocated once
    const before = backend.liveHandles();
    for (let i = 0; i < 3; i++) round();
    expect(backend.liveHandles()).toBe(before);
    const packed = packSequence(sequences, { enforceSorted: false });
    const result = lstm.forwardWithState(packed);
    for (const t of Object.values(result.state)) t.dispose();
    result.output.dispose();
    for (const s of unpackSequence(packed)) s.dispose();
    packed.dispose();
    expect(backend.liveHandles()).toBe(before);
  });
});
