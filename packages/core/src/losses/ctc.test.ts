import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  CTCLoss,
  ShapeError,
  ctcLoss,
  getBackend,
  logSoftmax,
  mul,
  sum,
  tensor,
  tidy,
  zeros,
  type NestedArray,
  type Reduction,
} from '@myelin/core';
import { PYTORCH_CTC } from './ctc-fixture.js';

// ctcLoss against torch.nn.functional.ctc_loss in float64 (scripts/make-ctc-fixture.py): losses and
// the logits' gradients through log_softmax, for padded and concatenated targets, repeats, a
// non-zero blank, empty targets, impossible alignments and unbatched input.

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);

function expectClose(actual: ArrayLike<number>, expected: unknown, what: string): number {
  const e = flat(expected);
  expect(actual.length, what).toBe(e.length);
  let worst = 0;
  e.forEach((value, i) => {
    const a = actual[i]!;
    if (!Number.isFinite(value)) return expect(a, `${what} [${i}]`).toBe(value);
    const error = Math.abs(a - value) / Math.max(1, Math.abs(value));
    worst = Math.max(worst, error);
    expect(error, `${what} [${i}]: ${a} vs PyTorch ${value}`).toBeLessThan(1e-12);
  });
  return worst;
}

describe('ctcLoss against PyTorch (float64, cpu-reference)', () => {
  let worst = 0;
  it.each(PYTORCH_CTC.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const logits = tensor(c.logits as NestedArray, { dtype: 'float64', requiresGrad: true });
    const targets = tensor(c.targets as NestedArray, { dtype: 'int32' });
    const loss = ctcLoss(logSoftmax(logits, -1), targets, c.inputLengths, c.targetLengths, {
      blank: c.blank,
      reduction: c.reduction as Reduction,
      zeroInfinity: c.zeroInfinity,
    });
    worst = Math.max(worst, expectClose(await loss.data(), c.loss, `${c.name} loss`));
    if ('logitsGradient' in c) {
      const weights = tensor(c.outputWeights as NestedArray, { dtype: 'float64' });
      sum(mul(loss, weights)).backward();
      worst = Math.max(worst, expectClose(await logits.grad!.data(), c.logitsGradient, `${c.name} gradient`));
    }
  });
  it('(worst error over all cases)', () => {
    console.log(`ctcLoss vs PyTorch: worst relative error ${worst.toExponential(2)}`);
  });
});

describe('ctcLoss', () => {
  it('gives an impossible alignment an infinite loss and no gradient', async () => {
    const logits = zeros([2, 1, 3], { dtype: 'float64', requiresGrad: true });
    const loss = ctcLoss(logSoftmax(logits, -1), tensor([[1, 1]], { dtype: 'int32' }), [2], [2], { reduction: 'sum' });
    expect(await loss.item()).toBe(Infinity);
    loss.backward();
    expect(Array.from(await logits.grad!.data())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('CTCLoss carries its options', async () => {
    const logProbs = logSoftmax(tensor([[[0.5, 0.1, -1]], [[0.2, 0.3, 0.1]]]), -1);
    const targets = tensor([[2]], { dtype: 'int32' });
    const layer = new CTCLoss({ blank: 1, reduction: 'none', zeroInfinity: true });
    expect(await layer.forward(logProbs, targets, [2], [1]).data()).toEqual(
      await ctcLoss(logProbs, targets, [2], [1], { blank: 1, reduction: 'none' }).data(),
    );
    expect(() => new CTCLoss({ reduction: 'batchmean' as never })).toThrow(
      `CTCLoss: reduction must be 'mean', 'sum' or 'none', got "batchmean"`,
    );
  });

  it('names what is wrong with its input', () => {
    const lp = zeros([4, 2, 3]);
    const padded = tensor(
      [
        [1, 2],
        [2, 0],
      ],
      { dtype: 'int32' },
    );
    expect(() => ctcLoss(zeros([4, 3, 2, 1]), padded, [4, 4], [2, 1])).toThrow(
      'ctcLoss: logProbs must be [T, N, C] (time first) or unbatched [T, C], got shape [4,3,2,1]',
    );
    expect(() => ctcLoss(lp, padded, [4, 5], [2, 1])).toThrow(
      'ctcLoss: inputLengths[1] must be an integer in [0, 4] (T = 4), got 5',
    );
    expect(() => ctcLoss(lp, padded, [4], [2, 1])).toThrow(
      'ctcLoss: inputLengths must be an array of 2 numbers, one per sample, got [4]',
    );
    // Lengths as tensors, as PyTorch users pass them (int32 or whole floats), read on the host.
    const fromArrays = ctcLoss(lp, padded, [4, 4], [2, 1]).dataSync()[0]!;
    const lengths = tensor([4, 4], { dtype: 'int32' });
    expect(ctcLoss(lp, padded, lengths, tensor([2, 1])).dataSync()[0]).toBe(fromArrays);
    expect(() => ctcLoss(lp, padded, tensor([[4, 4]], { dtype: 'int32' }), [2, 1])).toThrow(
      'ctcLoss: inputLengths must be a number[] of integers, an Int32Array or a 1-D tensor of them, got a tensor of dtype int32 and shape [1,2]',
    );
    expect(() => ctcLoss(lp, padded, [4, 4], [3, 1])).toThrow(
      'ctcLoss: padded targets [2,2] must be [N = 2, S] with S >= every target length, got lengths [3, 1]',
    );
    expect(() => ctcLoss(lp, tensor([1, 2, 2], { dtype: 'int32' }), [4, 4], [2, 2])).toThrow(
      'ctcLoss: targets must be padded [N = 2, S] or concatenated 1-D [4] (the sum of targetLengths), got shape [3]',
    );
    expect(() => ctcLoss(lp, padded, [4, 4], [2, 1], { blank: 3 })).toThrow(
      'ctcLoss: blank must be a class index in [0, 2] for 3 classes, got 3',
    );
    expect(() => ctcLoss(lp, tensor([[1, 2]], { dtype: 'int32' }), [4, 4], [1, 1])).toThrow(ShapeError);
    expect(() =>
      ctcLoss(
        lp,
        tensor(
          [
            [1, 0],
            [2, 0],
          ],
          { dtype: 'int32' },
        ),
        [4, 4],
        [2, 1],
      ),
    ).toThrow('ctcLoss: target 0 has label 0 at position 1: labels must be classes in [0, 2] other than the blank (0)');
    expect(() => ctcLoss(lp, padded.cast('float32'), [4, 4], [2, 1])).toThrow(
      'ctcLoss: targets must be int32 class indices, got dtype float32',
    );
    expect(() => ctcLoss(lp, padded, [4, 4], [2, 1], { zeroInfinity: 1 as never })).toThrow(ArgumentError);
  });

  it('frees its intermediates', () => {
    const backend = getBackend();
    const lp = logSoftmax(zeros([6, 2, 4]), -1);
    const targets = tensor(
      [
        [1, 2],
        [3, 0],
      ],
      { dtype: 'int32' },
    );
    const before = backend.liveHandles();
    tidy(() => {
      ctcLoss(lp, targets, [6, 5], [2, 1]);
    });
    expect(backend.liveHandles()).toBe(before);
    const kept = ctcLoss(lp, targets, [6, 5], [2, 1], { reduction: 'none' });
    expect(backend.liveHandles()).toBe(before + 1);
    kept.dispose();
  });
});
