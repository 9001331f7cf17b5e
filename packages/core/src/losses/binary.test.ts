import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, DTypeError, ShapeError, tensor } from '@myelin/core';
import { binaryCrossEntropy, binaryCrossEntropyWithLogits } from './binary.js';
import { asyncOnlyBackend, expectValues } from './test-helpers.js';

// Expected numbers: float64 numpy over the same inputs, from PyTorch's documented formulas
// -w [y max(log p, -100) + (1 - y) max(log(1 - p), -100)] and, for logits,
// -w [pw y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]; gradients (p - y) / (p (1 - p)) / n,
// (sigmoid(x) - y) / n and -(pw y (1 - sigmoid(x)) - (1 - y) sigmoid(x)).
describe('binaryCrossEntropy', () => {
  const p = () => tensor([0.9, 0.2, 0.6, 0.05], { requiresGrad: true });
  const y = () => tensor([1, 0, 0.3, 1]);

  it('reduces by none, mean and (weighted) sum', async () => {
    await expectValues(
      binaryCrossEntropy(p(), y(), { reduction: 'none' }),
      [4],
      [0.105360515658, 0.223143551314, 0.794651199442, 2.995732273554],
    );
    await expectValues(binaryCrossEntropy(p(), y()), [], [1.0297218849919332]);
    await expectValues(
      binaryCrossEntropy(p(), y(), { reduction: 'sum', weight: tensor([1, 2, 0.5, 1.5]) }),
      [],
      [5.442571628338085],
    );
  });
  it('has the gradient (p - y) / (p (1 - p)) / n', async () => {
    const probabilities = p();
    binaryCrossEntropy(probabilities, y()).backward();
    await expectValues(probabilities.grad!, [4], [-0.277777777778, 0.3125, 0.3125, -5], 1e-5);
  });
  it('clamps each log at -100, so 0 and 1 give finite values and gradients', async () => {
    const probabilities = tensor([0, 1, 0, 1], { requiresGrad: true });
    const loss = binaryCrossEntropy(probabilities, tensor([1, 0, 0, 1]), { reduction: 'none' });
    await expectValues(loss, [4], [100, 100, 0, 0]);
    loss.sum().backward();
    // The exact derivative of the clamped loss: 0 on the clamp, -(1 - y) d log(1 - p) = 1 at (0, 0),
    // -y d log p = -1 at (1, 1). (PyTorch's backward, dividing by max(p (1 - p), 1e-12), gives -1e12, 1e12, 0, 0.)
    await expectValues(probabilities.grad!, [4], [0, 0, 1, -1]);
  });
  it('rejects probabilities outside [0, 1] where it can read them, like PyTorch', () => {
    expect(() => binaryCrossEntropy(tensor([0.5, 1.5]), tensor([1, 0]))).toThrow(
      'binaryCrossEntropy: probabilities must lie in [0, 1], got 1.5 at position 1 (apply sigmoid first, or use binaryCrossEntropyWithLogits on raw scores)',
    );
    expect(() => binaryCrossEntropy(tensor([Number.NaN]), tensor([1]))).toThrow(ArgumentError);
  });
  it('lets them through unchecked, and finite, on a backend without synchronous reads', async () => {
    const backend = asyncOnlyBackend();
    const loss = binaryCrossEntropy(tensor([-0.5, 1.5], { backend }), tensor([1, 0], { backend }), {
      reduction: 'none',
    });
    await expectValues(loss, [2], [100, 100]);
  });
  it('names bad shapes, dtypes and weights', () => {
    expect(() => binaryCrossEntropy(tensor([[0.5], [0.5]]), tensor([1, 0]))).toThrow(
      'binaryCrossEntropy: probabilities [2,1] and target [2] must have the same shape',
    );
    expect(() => binaryCrossEntropy(tensor([0.5]), tensor([1], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => binaryCrossEntropy(tensor([0.5, 0.5]), tensor([1, 0]), { weight: tensor([1, 2, 3]) })).toThrow(
      "binaryCrossEntropy: weight [3] does not broadcast to the input's shape [2]",
    );
    expect(() => binaryCrossEntropy(tensor([0.5]), tensor([1]), { weight: tensor([[1]]) })).toThrow(ShapeError);
  });
});

describe('binaryCrossEntropyWithLogits', () => {
  const x = () =>
    tensor(
      [
        [2, -1, 0],
        [-3, 0.5, 4],
      ],
      { requiresGrad: true },
    );
  const y = () =>
    tensor([
      [1, 0, 1],
      [0, 1, 0.25],
    ]);
  const posWeight = () => tensor([2, 0.5, 1]);

  it('reduces by none and mean', async () => {
    await expectValues(
      binaryCrossEntropyWithLogits(x(), y(), { reduction: 'none' }),
      [2, 3],
      [0.126928011043, 0.313261687518, 0.69314718056, 0.048587351574, 0.47407698418, 3.018149927918],
    );
    await expectValues(binaryCrossEntropyWithLogits(x(), y()), [], [0.7790251904654665]);
  });
  it('weights the positive term by posWeight, and everything by weight', async () => {
    await expectValues(
      binaryCrossEntropyWithLogits(x(), y(), { posWeight: posWeight(), reduction: 'none' }),
      [2, 3],
      [0.253856022086, 0.313261687518, 0.69314718056, 0.048587351574, 0.23703849209, 3.018149927918],
    );
    await expectValues(
      binaryCrossEntropyWithLogits(x(), y(), { posWeight: posWeight(), reduction: 'sum' }),
      [],
      [4.564040661745718],
    );
    await expectValues(
      binaryCrossEntropyWithLogits(x(), y(), { posWeight: posWeight(), weight: tensor([1, 0.5, 2]) }),
      [],
      [1.3333646134032227],
    );
  });
  it('has the gradient sigmoid(x) - y (and its posWeight form)', async () => {
    const logits = x();
    binaryCrossEntropyWithLogits(logits, y()).backward();
    await expectValues(
      logits.grad!,
      [2, 3],
      [-0.01986715367, 0.044823570228, -0.083333333333, 0.007904312196, -0.0629234448, 0.12200229834],
      1e-5,
    );
    const weighted = x();
    binaryCrossEntropyWithLogits(weighted, y(), { posWeight: posWeight(), reduction: 'sum' }).backward();
    await expectValues(
      weighted.grad!,
      [2, 3],
      [-0.238405844044, 0.26894142137, -0.5, 0.047425873178, -0.188770334399, 0.732013790038],
      1e-5,
    );
  });
  it('stays exact and finite at logits of +-1e4', async () => {
    // By hand: loss = max(x, 0) - x y + log(1 + exp(-|x|)) = [1e4, 0, 0, 1e4]; gradient sigmoid(x) - y = [1, 0, 0, -1].
    const logits = tensor([1e4, 1e4, -1e4, -1e4], { requiresGrad: true });
    const loss = binaryCrossEntropyWithLogits(logits, tensor([0, 1, 0, 1]), {
      reduction: 'none',
      posWeight: tensor([1]),
    });
    await expectValues(loss, [4], [1e4, 0, 0, 1e4]);
    loss.sum().backward();
    await expectValues(logits.grad!, [4], [1, 0, 0, -1]);
  });
  it('names bad shapes and posWeights', () => {
    expect(() => binaryCrossEntropyWithLogits(tensor([1, 2]), tensor([1]))).toThrow(
      'binaryCrossEntropyWithLogits: logits [2] and target [1] must have the same shape',
    );
    expect(() =>
      binaryCrossEntropyWithLogits(tensor([[1, 2]]), tensor([[1, 0]]), { posWeight: tensor([1, 2, 3]) }),
    ).toThrow("binaryCrossEntropyWithLogits: posWeight [3] does not broadcast to the input's shape [1,2]");
    expect(() => binaryCrossEntropyWithLogits(tensor([1]), tensor([1]), { reduction: 'mean ' as never })).toThrow(
      ArgumentError,
    );
  });
});
