import {
  LSTM,
  Linear,
  SelectTimeStep,
  Sequential,
  crossEntropy,
  manualSeed,
  packPaddedSequence,
  tensor,
  type Tensor,
} from '@myelin/core';
import '@myelin/backend-cpu-reference';
import { describe, expect, it } from 'vitest';
import { Collator, collatePadded, type PaddedBatch } from './collate.js';
import { DataLoader } from './data-loader.js';
import { DataError } from './errors.js';
import { hostArray, type Sample } from './host-array.js';

/** Sequence i has lengths[i] steps of 2 features, each step's values 10 i + t and -(10 i + t); its class is i % 2. */
function sequences(lengths: readonly number[]): Sample[] {
  return lengths.map((length, i) => ({
    x: hostArray(
      Float32Array.from({ length: length * 2 }, (_, k) => (k % 2 === 0 ? 1 : -1) * (10 * i + Math.floor(k / 2))),
      [length, 2],
    ),
    y: i % 2,
  }));
}

describe('collatePadded: variable-length sequences for packPaddedSequence', () => {
  it('pads each x to the longest after its end and returns the lengths, in batch order', async () => {
    const batch = collatePadded(sequences([2, 3, 1]), { paddingValue: -9 });
    expect(batch.lengths).toEqual([2, 3, 1]);
    expect(batch.x.shape).toEqual([3, 3, 2]);
    expect(await batch.x.array()).toEqual([
      [
        [0, -0],
        [1, -1],
        [-9, -9],
      ],
      [
        [10, -10],
        [11, -11],
        [12, -12],
      ],
      [
        [20, -20],
        [-9, -9],
        [-9, -9],
      ],
    ]);
    expect([batch.y.dtype, Array.from(await batch.y.data())]).toEqual(['int32', [0, 1, 0]]);
    // int32 token ids stay int32 (for an Embedding before the LSTM)
    const tokens = collatePadded([
      { x: hostArray(Int32Array.from([4, 5]), [2]), y: 0 },
      { x: hostArray(Int32Array.from([6]), [1]), y: 1 },
    ]);
    expect([tokens.x.dtype, await tokens.x.array(), tokens.lengths]).toEqual([
      'int32',
      [
        [4, 5],
        [6, 0],
      ],
      [2, 1],
    ]);
  });

  it('names a sample whose trailing shape or dtype differs from the first', () => {
    const [a] = sequences([2]);
    expect(() => collatePadded([a!, { x: hostArray(new Float32Array(3), [1, 3]), y: 0 }])).toThrow(DataError);
    expect(() => collatePadded([a!, { x: hostArray(new Float32Array(3), [1, 3]), y: 0 }])).toThrow(
      /every x a sequence \[length, 2\] \(Float32Array\) like the batch's first sample.*shape \[1,3\] \(Float32Array\) at batch position 1/,
    );
    expect(() => new Collator().collatePadded([])).toThrow(/at least one sample/);
  });

  it('the recipe: DataLoader -> packPaddedSequence -> LSTM -> SelectTimeStep -> Linear trains on each sequence alone', async () => {
    manualSeed(3);
    const samples = sequences([3, 1, 4, 2, 2]);
    const collator = new Collator();
    const loader = new DataLoader<PaddedBatch>(
      { length: samples.length, get: (i) => samples[i]! },
      { batchSize: 5, collate: (batch) => collator.collatePadded(batch) },
    );
    const lstm = new LSTM(2, 4, { batchFirst: true });
    const model = new Sequential(lstm, new SelectTimeStep(-1, { batchFirst: true }), new Linear(4, 2));
    let logits: Tensor | undefined;
    for (const { x, y, lengths } of loader) {
      logits = model.forward(packPaddedSequence(x, lengths, { batchFirst: true, enforceSorted: false }));
      crossEntropy(logits, y).backward();
    }
    expect(logits!.shape).toEqual([5, 2]);
    expect(lstm.parameters().every((p) => p.grad !== null)).toBe(true);
    // each row is that sequence run alone: the padding never reached the state
    const logitRows = (await logits!.array()) as number[][];
    for (const [i, sample] of samples.entries()) {
      const alone = model.forward(tensor(sample.x.data as Float32Array, { shape: [1, ...sample.x.shape] }));
      const row = ((await alone.array()) as number[][])[0]!;
      row.forEach((value, j) => expect(value).toBeCloseTo(logitRows[i]![j]!, 5));
    }
  });
});
