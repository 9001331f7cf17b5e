import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, DTypeError, ShapeError, getBackend, tensor, tidy } from '@myelin/core';
import { crossEntropy, nllLoss } from './classification.js';
import { asyncOnlyBackend, expectFinite, expectValues } from './test-helpers.js';

// Expected numbers: float64 numpy over the same inputs, written from PyTorch's documented
// formulas (aten LossNLL.cpp): index targets give (1 - e) nll + e / C smooth with
// nll_i = -w[y_i] logp[i, y_i], smooth_i = -sum_c w[c] logp[i, c], and a weighted mean divides
// both by sum_i w[y_i]; probability targets give -sum_c w[c] ((1 - e) t + e / C) logp[i, c],
// whose mean divides by N. Gradients marked "numeric" are float64 central differences (h = 1e-6).
const logitValues = [
  [1, 2, 0.5, -1],
  [0, -0.5, 3, 1],
  [2, 2, -2, 0.5],
];
const logits = () => tensor(logitValues, { requiresGrad: true });
const classes = () => tensor([1, 2, 0], { dtype: 'int32' });
const classWeight = () => tensor([1, 2, 0.5, 1.5]);
const probabilities = () =>
  tensor([
    [0.1, 0.6, 0.2, 0.1],
    [0, 0, 1, 0],
    [0.5, 0.25, 0.25, 0],
  ]);

describe('crossEntropy with class-index targets', () => {
  it('reduces by none, sum and mean', async () => {
    await expectValues(
      crossEntropy(logits(), classes(), { reduction: 'none' }),
      [3],
      [0.495181898086, 0.195007198574, 0.807121103655],
    );
    await expectValues(crossEntropy(logits(), classes(), { reduction: 'sum' }), [], [1.4973102003144516]);
    await expectValues(crossEntropy(logits(), classes()), [], [0.4991034001048172]);
  });
  it("weights classes; the weighted mean divides by the sum of the targets' weights", async () => {
    const weight = classWeight();
    await expectValues(
      crossEntropy(logits(), classes(), { weight, reduction: 'none' }),
      [3],
      [0.990363796172, 0.097503599287, 0.807121103655],
    );
    await expectValues(crossEntropy(logits(), classes(), { weight, reduction: 'sum' }), [], [1.8949884991135106]);
    await expectValues(crossEntropy(logits(), classes(), { weight }), [], [0.541425285461003]);
  });
  it('smooths labels as (1 - e) target + e / C, with and without weights', async () => {
    await expectValues(
      crossEntropy(logits(), classes(), { labelSmoothing: 0.1, reduction: 'none' }),
      [3],
      [0.632681898086, 0.407507198574, 0.944621103655],
    );
    await expectValues(crossEntropy(logits(), classes(), { labelSmoothing: 0.1 }), [], [0.6616034001048172]);
    const weight = classWeight();
    await expectValues(
      crossEntropy(logits(), classes(), { labelSmoothing: 0.1, weight, reduction: 'none' }),
      [3],
      [1.109475153815, 0.43712913918, 0.933549131246],
    );
    await expectValues(
      crossEntropy(logits(), classes(), { labelSmoothing: 0.1, weight, reduction: 'sum' }),
      [],
      [2.480153424241466],
    );
    await expectValues(crossEntropy(logits(), classes(), { labelSmoothing: 0.1, weight }), [], [0.7086152640689903]);
  });
  it('has the gradient (softmax - onehot) / N, and the weighted, smoothed one', async () => {
    const x = logits();
    crossEntropy(x, classes()).backward();
    await expectValues(
      x.grad!,
      [3, 4],
      [
        0.074735939349, -0.130179987467, 0.045329638598, 0.01011440952, 0.013655410159, 0.008282424932, -0.059057088386,
        0.037119253295, -0.184619796081, 0.148713537252, 0.002723783446, 0.033182475383,
      ],
      1e-5,
    );
    const y = logits();
    crossEntropy(y, classes(), { weight: classWeight(), labelSmoothing: 0.1 }).backward();
    // numeric
    await expectValues(
      y.grad!,
      [3, 4],
      [
        0.116171442743, -0.193368407841, 0.071222475084, 0.005974489903, -0.000412690715, -0.010203661971,
        0.003036149332, 0.007580203409, -0.133630249366, 0.116369750613, -0.001178390219, 0.018438889082,
      ],
      1e-5,
    );
  });
  it('takes [C] logits with a scalar target', async () => {
    const target = tensor(2, { dtype: 'int32' });
    await expectValues(crossEntropy(tensor([0, -0.5, 3, 1]), target), [], [0.19500719857359397]);
    await expectValues(crossEntropy(tensor([0, -0.5, 3, 1]), target, { reduction: 'none' }), [], [0.19500719857359397]);
  });
  it('stays finite in value and gradient at logits of +-1e4', async () => {
    // By hand: logSoftmax of [1e4, -1e4, 0] is [0, -2e4, -1e4]; of [-1e4, 1e4, 1e4] is [-2e4 - ln 2, -ln 2, -ln 2].
    const x = tensor(
      [
        [1e4, -1e4, 0],
        [-1e4, 1e4, 1e4],
      ],
      { requiresGrad: true },
    );
    const loss = crossEntropy(x, tensor([1, 0], { dtype: 'int32' }), {
      reduction: 'none',
      labelSmoothing: 0.3,
      weight: tensor([1, 1, 1]),
    });
    // (1 - 0.3) nll + 0.3 / 3 sum(-logp): row 0: 0.7 * 2e4 + 0.1 * 3e4; row 1: 0.7 (2e4 + ln 2) + 0.1 (2e4 + 3 ln 2).
    await expectValues(loss, [2], [0.7 * 2e4 + 0.1 * 3e4, 0.7 * (2e4 + Math.LN2) + 0.1 * (2e4 + 3 * Math.LN2)]);
    loss.sum().backward();
    await expectFinite(x.grad!);
    // softmax - smoothed target: row 0 [1, 0, 0] - [0.1, 0.8, 0.1].
    await expectValues(x.grad!.slice([0], [1]), [1, 3], [0.9, -0.8, -0.1]);
  });
  it('names a batch-size mismatch, a bad target shape or dtype, and bad options', () => {
    const ten = tensor(new Float32Array(40), { shape: [4, 10] });
    expect(() => crossEntropy(ten, tensor([0, 1, 2, 3, 4], { dtype: 'int32' }))).toThrow(
      'crossEntropy: logits [4,10] and target [5] disagree on the batch size',
    );
    expect(() => crossEntropy(ten, tensor([0, 1, 2, 3, 4], { dtype: 'int32' }))).toThrow(ShapeError);
    expect(() => crossEntropy(ten, tensor([[0], [1], [2], [3]], { dtype: 'int32' }))).toThrow(
      'crossEntropy: class-index target must have shape [4] for logits [4,10], got [4,1]',
    );
    expect(() => crossEntropy(ten, tensor([0, 1, 2, 3]))).toThrow(
      /probability target \[4\] must have the logits' shape \[4,10\] \(or be int32 class indices of shape \[4\]\)/,
    );
    expect(() => crossEntropy(ten, tensor([true, false, true, false]))).toThrow(DTypeError);
    expect(() =>
      crossEntropy(tensor(new Float32Array(8), { shape: [2, 2, 2] }), tensor([0, 1], { dtype: 'int32' })),
    ).toThrow('crossEntropy: logits must have shape [N,C] or [C], got [2,2,2]');
    expect(() => crossEntropy(tensor([1, 2], { dtype: 'int32' }), tensor(0, { dtype: 'int32' }))).toThrow(
      'crossEntropy: logits must be a float tensor, got dtype int32',
    );
    expect(() => crossEntropy(ten, tensor([0, 1, 2, 3], { dtype: 'int32' }), { labelSmoothing: 1 })).toThrow(
      'crossEntropy: labelSmoothing must be a number in [0, 1), got 1',
    );
    expect(() => crossEntropy(ten, tensor([0, 1, 2, 3], { dtype: 'int32' }), { weight: tensor([1, 2]) })).toThrow(
      'crossEntropy: weight must have shape [10] (one per class of logits [4,10]), got [2]',
    );
    expect(() =>
      crossEntropy(ten, tensor([0, 1, 2, 3], { dtype: 'int32' }), { reduction: 'batchmean' as never }),
    ).toThrow(ArgumentError);
  });
  it('checks class indices on the host where it can read them, and skips them elsewhere', async () => {
    expect(() => crossEntropy(tensor([[1, 2, 3]]), tensor([3], { dtype: 'int32' }))).toThrow(
      'crossEntropy: target class 3 at position 0 is out of range for 3 classes (expected 0..2, or ignoreIndex -100)',
    );
    expect(() => crossEntropy(tensor([[1, 2, 3]]), tensor([-1], { dtype: 'int32' }))).toThrow(ArgumentError);
    // Without readSync the row with index 7 selects no class: it adds 0 to the sum and to the weight sum.
    const backend = asyncOnlyBackend();
    const x = tensor(
      [
        [0, -0.5, 3, 1],
        [1, 2, 3, 4],
      ],
      { backend },
    );
    const loss = crossEntropy(x, tensor([2, 7], { dtype: 'int32', backend }), {
      weight: tensor([1, 1, 1, 1], { backend }),
    });
    await expectValues(loss, [], [0.19500719857359397]);
  });
});

describe('crossEntropy with probability targets', () => {
  it('reduces by none, sum and mean (which divides by N)', async () => {
    await expectValues(
      crossEntropy(logits(), probabilities(), { reduction: 'none' }),
      [3],
      [1.195181898086, 0.195007198574, 1.807121103655],
    );
    await expectValues(crossEntropy(logits(), probabilities(), { reduction: 'sum' }), [], [3.1973102003144516]);
    await expectValues(crossEntropy(logits(), probabilities()), [], [1.0657700667714838]);
  });
  it('weights classes and smooths labels', async () => {
    await expectValues(
      crossEntropy(logits(), probabilities(), { weight: classWeight(), reduction: 'none' }),
      [3],
      [1.467531942033, 0.097503599287, 1.408011241612],
    );
    await expectValues(crossEntropy(logits(), probabilities(), { weight: classWeight() }), [], [0.9910155943105835]);
    await expectValues(crossEntropy(logits(), probabilities(), { labelSmoothing: 0.1 }), [], [1.1716034001048172]);
    await expectValues(
      crossEntropy(logits(), probabilities(), { labelSmoothing: 0.2, weight: classWeight(), reduction: 'none' }),
      [3],
      [1.610321028148, 0.776754679073, 1.540689269203],
    );
    await expectValues(
      crossEntropy(logits(), probabilities(), { labelSmoothing: 0.2, weight: classWeight(), reduction: 'sum' }),
      [],
      [3.9277649764240135],
    );
  });
  it('has the gradient of the weighted, smoothed mean (numeric)', async () => {
    const x = logits();
    crossEntropy(x, probabilities(), { labelSmoothing: 0.2, weight: classWeight() }).backward();
    await expectValues(
      x.grad!,
      [3, 4],
      [
        0.068023216393, -0.050634847981, 0.032541161543, -0.049929529733, -0.007790650125, -0.027949757175,
        0.036612892496, -0.000872485306, 0.021020567731, 0.00435390124, -0.038534315627, 0.013159846768,
      ],
      1e-5,
    );
  });
  it('stays finite at logits of +-1e4 and names a batch mismatch', async () => {
    const x = tensor([[1e4, -1e4, 0]], { requiresGrad: true });
    const loss = crossEntropy(x, tensor([[0.5, 0.5, 0]]));
    await expectValues(loss, [], [1e4]); // -(0.5 * 0 + 0.5 * -2e4)
    loss.backward();
    await expectValues(x.grad!, [1, 3], [0.5, -0.5, 0]);
    expect(() =>
      crossEntropy(
        tensor([[1, 2]]),
        tensor([
          [0.5, 0.5],
          [1, 0],
        ]),
      ),
    ).toThrow('crossEntropy: logits [1,2] and target [2,2] disagree on the batch size');
  });
});

describe('nllLoss', () => {
  const logProbabilities = () => tensor(logitValues).logSoftmax();
  it('picks -w[y] logp[y] and reduces like PyTorch', async () => {
    await expectValues(
      nllLoss(logProbabilities(), classes(), { reduction: 'none' }),
      [3],
      [0.495181898086, 0.195007198574, 0.807121103655],
    );
    await expectValues(nllLoss(logProbabilities(), classes()), [], [0.4991034001048172]);
    await expectValues(nllLoss(logProbabilities(), classes(), { weight: classWeight() }), [], [0.541425285461003]);
    await expectValues(
      nllLoss(logProbabilities(), classes(), { weight: classWeight(), reduction: 'sum' }),
      [],
      [1.8949884991135106],
    );
  });
  it('rejects float targets and out-of-range classes', () => {
    expect(() => nllLoss(logProbabilities(), tensor([1, 2, 0]))).toThrow(
      'nllLoss: target must be int32 class indices, got dtype float32 (for probability targets use crossEntropy on logits)',
    );
    expect(() => nllLoss(logProbabilities(), tensor([1, 2, 4], { dtype: 'int32' }))).toThrow(
      'nllLoss: target class 4 at position 2 is out of range for 4 classes (expected 0..3, or ignoreIndex -100)',
    );
    expect(() => nllLoss(logProbabilities(), tensor([1, 2], { dtype: 'int32' }))).toThrow(
      'nllLoss: logProbabilities [3,4] and target [2] disagree on the batch size',
    );
  });
});

describe('ignoreIndex (values and gradients against PyTorch: pytorch-losses.test.ts)', () => {
  const logProbabilities = () => tensor(logitValues).logSoftmax();
  /** Counts calls of cpu-reference's fused softmax cross-entropy kernel during `body`. */
  function fusedCalls(body: () => void): number {
    const fused = getBackend().fused!;
    const kernel = fused.softmaxCrossEntropy!;
    let calls = 0;
    fused.softmaxCrossEntropy = (...args) => {
      calls++;
      return kernel.apply(fused, args);
    };
    try {
      tidy(body);
    } finally {
      fused.softmaxCrossEntropy = kernel;
    }
    return calls;
  }

  it('keeps the fused path when a target equals ignoreIndex (the kernel skips it), and accepts it where it checks classes', () => {
    expect(fusedCalls(() => crossEntropy(logits(), classes()).backward())).toBe(1);
    expect(fusedCalls(() => crossEntropy(logits(), classes(), { ignoreIndex: 5 }).backward())).toBe(1);
    const ignored = tensor([1, -100, 0], { dtype: 'int32' });
    expect(fusedCalls(() => crossEntropy(logits(), ignored).backward())).toBe(1);
    expect(fusedCalls(() => crossEntropy(logits(), classes(), { ignoreIndex: 2 }).backward())).toBe(1);
    // What leaves it: class weights or label smoothing (composed, ignoreIndex masked there).
    expect(fusedCalls(() => crossEntropy(logits(), ignored, { labelSmoothing: 0.1 }).backward())).toBe(0);
    expect(() => crossEntropy(logits(), tensor([1, -5, 0], { dtype: 'int32' }), { ignoreIndex: -5 })).not.toThrow();
    expect(() => crossEntropy(logits(), tensor([1, -100, 0], { dtype: 'int32' }), { ignoreIndex: -5 })).toThrow(
      'crossEntropy: target class -100 at position 1 is out of range for 4 classes (expected 0..3, or ignoreIndex -5)',
    );
  });

  it('gives an ignored row no loss and the mean the count of the others', async () => {
    const none = crossEntropy(logits(), tensor([1, -100, 0], { dtype: 'int32' }), { reduction: 'none' });
    const kept = await crossEntropy(logits(), classes(), { reduction: 'none' }).data();
    await expectValues(none, [3], [kept[0]!, 0, kept[2]!]);
    await expectValues(
      crossEntropy(logits(), tensor([1, -100, 0], { dtype: 'int32' })),
      [],
      [(kept[0]! + kept[2]!) / 2],
    );
    const logp = await logProbabilities().data(); // rows of 4: targets 1 and 0 of rows 0 and 2 are kept
    const nll = nllLoss(logProbabilities(), classes(), { ignoreIndex: 2 });
    await expectValues(nll, [], [-(logp[1]! + logp[8]!) / 2]);
  });

  it('where targets are not read (async backends), honours an ignoreIndex given and the default -100', async () => {
    const backend = asyncOnlyBackend();
    const x = tensor(logitValues, { backend });
    const target = tensor([1, -100, 0], { dtype: 'int32', backend });
    const ignored = crossEntropy(x, target, { reduction: 'none', ignoreIndex: -100 });
    expect(Math.abs((await ignored.data())[1]!)).toBe(0);
    const mean = await crossEntropy(x, target, { ignoreIndex: -100 }).data();
    const sumOfKept = await crossEntropy(x, target, { ignoreIndex: -100, reduction: 'sum' }).data();
    expect(mean[0]).toBeCloseTo(sumOfKept[0]! / 2, 6);
    // The default too, on the composed path (label smoothing): the ignored row adds nothing, and
    // the mean divides by the two kept rows.
    const smoothed = (options: { ignoreIndex?: number; reduction?: 'none' | 'mean' }) =>
      crossEntropy(x, target, { reduction: 'none', labelSmoothing: 0.1, ...options }).data();
    expect(Array.from(await smoothed({}))).toEqual(Array.from(await smoothed({ ignoreIndex: -100 })));
    expect(Math.abs((await smoothed({}))[1]!)).toBe(0);
    const perRow = await smoothed({});
    expect((await smoothed({ reduction: 'mean' }))[0]).toBeCloseTo((perRow[0]! + perRow[2]!) / 2, 6);
  });

  it('refuses a non-negative ignoreIndex with probability targets and a non-integer one, as PyTorch does', () => {
    expect(() => crossEntropy(logits(), probabilities(), { ignoreIndex: 1 })).toThrow(
      'crossEntropy: ignoreIndex 1 applies to class-index targets, not to probability targets; allowed here: a negative ignoreIndex (the default -100), as in PyTorch',
    );
    expect(() => crossEntropy(logits(), probabilities(), { ignoreIndex: -1 })).not.toThrow();
    expect(() => crossEntropy(logits(), classes(), { ignoreIndex: 1.5 })).toThrow(
      'crossEntropy: ignoreIndex must be an int32 integer, got 1.5',
    );
    expect(() => nllLoss(logProbabilities(), classes(), { ignoreIndex: '1' as never })).toThrow(
      'nllLoss: ignoreIndex must be an int32 integer, got 1',
    );
    // Past int32 it would wrap in the native kernels (2^32 + 1 would ignore class 1 there).
    expect(() => crossEntropy(logits(), classes(), { ignoreIndex: 2 ** 32 + 1 })).toThrow(
      'crossEntropy: ignoreIndex must be an int32 integer, got 4294967297',
    );
  });
});

describe('memory', () => {
  it('frees every intermediate of forward and backward', () => {
    const backend = getBackend();
    const x = logits();
    const before = backend.liveHandles();
    tidy(() => {
      crossEntropy(x, classes(), { weight: classWeight(), labelSmoothing: 0.1 }).backward();
      crossEntropy(x, probabilities(), { weight: classWeight(), labelSmoothing: 0.1 }).backward();
      nllLoss(x.logSoftmax(), classes(), { reduction: 'sum' }).backward();
    });
    expect(backend.liveHandles(), 'only x.grad is new').toBe(before + 1);
    x.dispose();
  });
});
