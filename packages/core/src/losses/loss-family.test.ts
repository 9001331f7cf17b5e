import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CosineEmbeddingLoss,
  CosineSimilarity,
  GaussianNLLLoss,
  Generator,
  HingeEmbeddingLoss,
  Linear,
  MarginRankingLoss,
  MultiLabelMarginLoss,
  MultiLabelSoftMarginLoss,
  MultiMarginLoss,
  PairwiseDistance,
  SGD,
  SoftMarginLoss,
  TripletMarginLoss,
  fit,
  lossFromConfig,
  lossInfo,
  moduleFromConfig,
  threeInputLossFromConfig,
  threeInputLossInfo,
  type Loss,
  type LossConfig,
  type LossInfo,
  type ModuleConfig,
  type ThreeInputLoss,
  cosineEmbeddingLoss,
  cosineSimilarity,
  gaussianNLLLoss,
  hingeEmbeddingLoss,
  marginRankingLoss,
  multiLabelMarginLoss,
  multiLabelSoftMarginLoss,
  multiMarginLoss,
  pairwiseDistance,
  softMarginLoss,
  tensor,
  tripletMarginLoss,
  type NestedArray,
  type Reduction,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_LOSSES } from './loss-fixture.js';

// The rest of PyTorch's loss family and the distance functions against torch 1.13's float64
// values and gradients (scripts/make-loss-fixture.py), every reduction, at each one's switch
// points: hinges exactly at the margin, variances and norms below eps, a zero pairwise difference.

type Options = Record<string, unknown>;
type Call = (inputs: Tensor[], options: Options) => Tensor;

const withWeight = (options: Options): Options =>
  options.weight === undefined
    ? options
    : { ...options, weight: tensor(options.weight as number[], { dtype: 'float64' }) };

/** torch.nn.functional's name -> core's function. */
const FUNCTIONS: Record<string, Call> = {
  hinge_embedding_loss: ([x, t], o) => hingeEmbeddingLoss(x!, t!, o),
  soft_margin_loss: ([x, t], o) => softMarginLoss(x!, t!, o),
  multilabel_soft_margin_loss: ([x, t], o) => multiLabelSoftMarginLoss(x!, t!, withWeight(o)),
  multi_margin_loss: ([x, t], o) => multiMarginLoss(x!, t!, withWeight(o)),
  multilabel_margin_loss: ([x, t], o) => multiLabelMarginLoss(x!, t!, o),
  gaussian_nll_loss: ([x, t, v], o) => gaussianNLLLoss(x!, t!, v!, o),
  cosine_embedding_loss: ([a, b, y], o) => cosineEmbeddingLoss(a!, b!, y!, o),
  margin_ranking_loss: ([a, b, y], o) => marginRankingLoss(a!, b!, y!, o),
  triplet_margin_loss: ([a, p, n], o) => tripletMarginLoss(a!, p!, n!, o),
  cosine_similarity: ([a, b], o) => cosineSimilarity(a!, b!, o),
  pairwise_distance: ([a, b], o) => pairwiseDistance(a!, b!, o),
};

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);

function expectNear(actual: unknown, expected: unknown, what: string): void {
  const a = flat(actual);
  const e = flat(expected);
  expect(a.length, what).toBe(e.length);
  a.forEach((value, i) => {
    const want = e[i]!;
    if (!(Math.abs(value - want) <= 1e-13 + 1e-12 * Math.abs(want)))
      expect.fail(`${what}[${i}]: ${value}, PyTorch ${want}`);
  });
}

interface FixtureCase {
  fn: string;
  options: Options;
  inputs: NestedArray[];
  int: boolean[];
  gradAt: number[];
  noneWeights: NestedArray;
  none: { value: NestedArray; gradients: NestedArray[] };
  mean?: { value: number; gradients: NestedArray[] };
  sum?: { value: number; gradients: NestedArray[] };
}

const CASES = PYTORCH_LOSSES.family as unknown as Record<string, FixtureCase>;

describe('the rest of the loss family and the distances match PyTorch (float64)', () => {
  it('covers every function', () => {
    expect(new Set(Object.values(CASES).map((c) => c.fn))).toEqual(new Set(Object.keys(FUNCTIONS)));
  });
  for (const [name, fixture] of Object.entries(CASES)) {
    for (const reduction of (['none', 'mean', 'sum'] as const).filter((r) => r in fixture)) {
      it(`${name}, reduction ${reduction}: value and gradients`, async () => {
        const inputs = fixture.inputs.map((values, i) =>
          fixture.int[i]
            ? tensor(values, { dtype: 'int32' })
            : tensor(values, { dtype: 'float64', requiresGrad: fixture.gradAt.includes(i) }),
        );
        const takesReduction = 'mean' in fixture;
        const options = takesReduction ? { ...fixture.options, reduction: reduction as Reduction } : fixture.options;
        const y = FUNCTIONS[fixture.fn]!(inputs, options);
        const expected = fixture[reduction]!;
        const scalar = reduction === 'none' ? y.mul(tensor(fixture.noneWeights, { dtype: 'float64' })).sum() : y;
        scalar.backward();
        expect(y.shape, `${name} shape`).toEqual(shapeOf(expected.value));
        expectNear(await y.array(), expected.value, `${name} ${reduction} value`);
        for (const [k, at] of fixture.gradAt.entries())
          expectNear(
            await inputs[at]!.grad!.array(),
            expected.gradients[k],
            `${name} ${reduction} gradient of input ${at}`,
          );
      });
    }
  }
});

function shapeOf(value: unknown): number[] {
  const shape: number[] = [];
  for (let v = value; Array.isArray(v); v = v[0] as unknown) shape.push(v.length);
  return shape;
}

describe('the new loss classes', () => {
  const scores = tensor([
    [0.2, -1, 0.5],
    [2, 1, -0.5],
  ]);

  it('round-trip through lossFromConfig with their options, and say what they compare', async () => {
    const cases: [Loss, Tensor, LossInfo][] = [
      [
        new HingeEmbeddingLoss({ margin: 0.5, reduction: 'sum' }),
        tensor([
          [1, -1, -1],
          [-1, 1, 1],
        ]),
        { task: 'binary', onLogits: false, targets: ['sign'] },
      ],
      [
        new SoftMarginLoss(),
        tensor([
          [1, -1, -1],
          [-1, 1, 1],
        ]),
        { task: 'binary', onLogits: true, targets: ['sign'] },
      ],
      [
        new MultiLabelSoftMarginLoss({ weight: [1, 2, 0.5] }),
        tensor([
          [1, 0, 1],
          [0, 0, 1],
        ]),
        { task: 'binary', onLogits: true, targets: ['binary'] },
      ],
      [
        new MultiMarginLoss({ p: 2, margin: 0.5, weight: tensor([1, 2, 0.5]), reduction: 'none' }),
        tensor([2, 0], { dtype: 'int32' }),
        { task: 'classification', onLogits: true, targets: ['class-index'] },
      ],
      [
        new MultiLabelMarginLoss(),
        tensor(
          [
            [2, 0, -1],
            [-1, 1, 1],
          ],
          { dtype: 'int32' },
        ),
        { task: 'classification', onLogits: true, targets: ['class-index-list'] },
      ],
    ];
    for (const [loss, target, info] of cases) {
      const config = loss.config();
      const rebuilt = lossFromConfig(JSON.parse(JSON.stringify(config)) as LossConfig);
      expect(rebuilt.config()).toEqual(config);
      expect(await rebuilt.forward(scores, target).array()).toEqual(await loss.forward(scores, target).array());
      expect(lossInfo(config.type)).toEqual(info);
      expect(loss).toMatchObject(info);
    }
    expect(new MultiMarginLoss().config()).toEqual({ type: 'MultiMarginLoss', reduction: 'mean', p: 1, margin: 1 });
    expect(new HingeEmbeddingLoss().config()).toEqual({ type: 'HingeEmbeddingLoss', reduction: 'mean', margin: 1 });
    expect(lossFromConfig({ type: 'softmarginloss' })).toBeInstanceOf(SoftMarginLoss);
  });

  it('train in fit, which calls forward(input, target)', async () => {
    const model = new Linear(3, 4, { generator: new Generator(3) });
    const x = tensor([
      [0.5, -1, 2],
      [1, 0, -0.5],
      [0, 1, 1],
    ]);
    const y = tensor([3, 0, 1], { dtype: 'int32' });
    const loss = lossFromConfig({ type: 'MultiMarginLoss' });
    const before = (await loss.forward(model.forward(x), y).array()) as number;
    await fit(model, { train: [{ x, y }], loss, optimizer: new SGD(model.parameters(), { lr: 0.5 }), epochs: 5 });
    expect((await loss.forward(model.forward(x), y).array()) as number).toBeLessThan(before);
  });

  it('check their targets: shapes, dtypes, class ranges and the -1 padding', () => {
    const t = (values: NestedArray) => tensor(values, { dtype: 'int32' });
    expect(() => multiMarginLoss(scores, t([3, 0]))).toThrow(
      /multiMarginLoss: target class 3 at position 0 is out of range for 3 classes \(expected 0\.\.2\)/,
    );
    expect(() => multiMarginLoss(scores, t([-1, 0]))).toThrow(/target class -1 at position 0 is out of range/);
    expect(() => multiMarginLoss(scores, t([[0], [1]]))).toThrow(
      /class-index target must have shape \[2\] for input \[2,3\], got \[2,1\]/,
    );
    expect(() => multiMarginLoss(scores, tensor([0, 1]))).toThrow(
      /target must be int32 class indices, got dtype float32/,
    );
    expect(() => multiMarginLoss(scores, t([0, 1]), { p: 3 as 1 })).toThrow(/p must be 1 or 2, got 3/);
    expect(() => multiMarginLoss(scores, t([0, 1]), { weight: tensor([1, 2]) })).toThrow(
      /weight must have shape \[3\]/,
    );
    expect(() =>
      multiLabelMarginLoss(
        scores,
        t([
          [0, 3, -1],
          [1, -1, 0],
        ]),
      ),
    ).toThrow(
      /multiLabelMarginLoss: target class 3 at position 1 is out of range for 3 classes \(expected 0\.\.2, or the padding -1\)/,
    );
    // PyTorch checks the values after the first -1 too.
    expect(() =>
      multiLabelMarginLoss(
        scores,
        t([
          [0, -1, -2],
          [1, -1, 0],
        ]),
      ),
    ).toThrow(/target class -2 at position 2/);
    expect(() => multiLabelMarginLoss(scores, t([0, 1]))).toThrow(/target \[2\] must have the input's shape \[2,3\]/);
    expect(() => hingeEmbeddingLoss(scores, tensor([1, -1]))).toThrow(
      /hingeEmbeddingLoss: input \[2,3\] and target \[2\] must have the same shape/,
    );
    expect(() =>
      softMarginLoss(
        scores,
        t([
          [1, -1, 1],
          [1, 1, 1],
        ]),
      ),
    ).toThrow(/target must be a float tensor, got dtype int32 \(targets are -1 or 1/);
    expect(() => multiLabelSoftMarginLoss(scores, tensor([[1, 0, 1]]))).toThrow(/must have the same shape/);
    expect(() => new MultiMarginLoss({ p: 3 as 1 })).toThrow(/MultiMarginLoss: p must be 1 or 2, got 3/);
    expect(() => new HingeEmbeddingLoss({ margin: Infinity })).toThrow(
      /HingeEmbeddingLoss: margin must be a finite number/,
    );
    expect(() => lossFromConfig({ type: 'MultiMarginLoss', ignoreIndex: 1 })).toThrow(
      /MultiMarginLoss has no option 'ignoreIndex' \(its options: reduction, p, margin, weight\)/,
    );
  });
});

describe('the three-input losses', () => {
  it('are not for the (input, target) loss slot, but rebuild from their configs', async () => {
    for (const type of ['GaussianNLLLoss', 'CosineEmbeddingLoss', 'MarginRankingLoss', 'TripletMarginLoss']) {
      expect(() => lossFromConfig({ type })).toThrow(
        new RegExp(`${type} takes three tensors .*threeInputLossFromConfig`),
      );
      expect(lossInfo(type)).toBeUndefined();
      expect(threeInputLossInfo(type.toLowerCase())?.forward).toMatch(/^forward\(\w+, \w+, \w+\)$/);
    }
    expect(threeInputLossInfo('TripletMarginLoss')).toEqual({ forward: 'forward(anchor, positive, negative)' });
    expect(threeInputLossInfo('MSELoss')).toBeUndefined();
    const a = tensor([
      [0.2, -1, 0.5],
      [2, 1, -0.5],
    ]);
    const b = tensor([
      [0.5, 0.3, -0.2],
      [1, 1, 0.5],
    ]);
    const c = tensor([
      [1, 0.5, 0.5],
      [0.5, 2, 1],
    ]);
    const cases: [ThreeInputLoss, Tensor[]][] = [
      [new GaussianNLLLoss({ full: true, eps: 1e-3 }), [a, b, c]],
      [new CosineEmbeddingLoss({ margin: 0.1, reduction: 'sum' }), [a, b, tensor([1, -1])]],
      [
        new MarginRankingLoss({ margin: 0.5, reduction: 'none' }),
        [
          a,
          b,
          tensor([
            [1, -1, 1],
            [-1, 1, 1],
          ]),
        ],
      ],
      [new TripletMarginLoss({ margin: 0.5, p: 1, eps: 0, swap: true }), [a, b, c]],
    ];
    for (const [loss, inputs] of cases) {
      const config = loss.config();
      const rebuilt = threeInputLossFromConfig(JSON.parse(JSON.stringify(config)) as LossConfig);
      expect(rebuilt.config()).toEqual(config);
      const [x, y, z] = inputs as [Tensor, Tensor, Tensor];
      expect(await rebuilt.forward(x, y, z).array()).toEqual(await loss.forward(x, y, z).array());
    }
    expect(new TripletMarginLoss().config()).toEqual({
      type: 'TripletMarginLoss',
      reduction: 'mean',
      margin: 1,
      p: 2,
      eps: 1e-6,
      swap: false,
    });
    expect(threeInputLossFromConfig({ type: 'gaussiannllloss' })).toBeInstanceOf(GaussianNLLLoss);
    expect(() => threeInputLossFromConfig({ type: 'MSELoss' })).toThrow(/unknown three-input loss type "MSELoss"/);
    expect(() => threeInputLossFromConfig({ type: 'TripletMarginLoss', distance: 1 })).toThrow(
      /TripletMarginLoss has no option 'distance'/,
    );
    expect(() => new TripletMarginLoss({ p: 0 })).toThrow(/TripletMarginLoss: p must be a finite number > 0, got 0/);
  });

  it('check their shapes and values', () => {
    const x = tensor([
      [0.2, -1, 0.5],
      [2, 1, -0.5],
    ]);
    expect(() => gaussianNLLLoss(x, x, tensor([1, 1, 1]))).toThrow(
      /variance \[3\] must have the input's shape \[2,3\], or one value per sample: \[2\] or \[2,1\]/,
    );
    expect(() => gaussianNLLLoss(x, x, tensor([1, -0.5]))).toThrow(/variance must be >= 0, got -0.5 at position 1/);
    expect(() => cosineEmbeddingLoss(x, x, tensor([[1], [1]]))).toThrow(/target must be \[N\] or a scalar/);
    expect(() => cosineEmbeddingLoss(x, x, tensor([1, 1, 1]))).toThrow(
      /x1 \[2,3\] and x2 \[2,3\] must both be \[3,D\] for target \[3\]/,
    );
    expect(() => cosineEmbeddingLoss(x, x, tensor(1))).toThrow(/must both be \[D\] for target \[\]/);
    expect(() => marginRankingLoss(x, x, tensor([1, -1]))).toThrow(/must have the same shape/);
    expect(() => tripletMarginLoss(x, x, tensor([1, 2, 3]))).toThrow(/must have the same rank/);
  });
});

describe('CosineSimilarity and PairwiseDistance', () => {
  const x1 = tensor([
    [0.2, -1, 0.5],
    [2, 1, -0.5],
  ]);
  const x2 = tensor([0.5, 0.3, -0.2]);

  it('are modules that rebuild from their configs', async () => {
    const modules = [new CosineSimilarity(-1, 1e-6), new PairwiseDistance(1, 0, true)];
    for (const module of modules) {
      const config = module.config();
      const rebuilt = moduleFromConfig(JSON.parse(JSON.stringify(config)) as ModuleConfig);
      expect(rebuilt.config()).toEqual(config);
      expect(rebuilt.toString()).toBe(module.toString());
      expect(rebuilt.parameters()).toEqual([]);
      expect(await rebuilt.forward(x1, x2).array()).toEqual(await module.forward(x1, x2).array());
    }
    expect(modules[0]!.toString()).toMatch(/^CosineSimilarity\(dim=-1, eps=0.000001\)/);
    expect(new PairwiseDistance().config()).toEqual({ type: 'PairwiseDistance', p: 2, eps: 1e-6, keepdim: false });
    expect(moduleFromConfig({ type: 'CosineSimilarity' }).config()).toEqual({
      type: 'CosineSimilarity',
      dim: 1,
      eps: 1e-8,
    });
    expect(modules[1]!.forward(x1, x2).shape).toEqual([2, 1]);
  });

  it('check their options and inputs', async () => {
    expect(() => new PairwiseDistance(0)).toThrow(/PairwiseDistance: p must be a finite number > 0, got 0/);
    expect(() => new CosineSimilarity(1.5)).toThrow(/CosineSimilarity: dim/);
    expect(() => moduleFromConfig({ type: 'PairwiseDistance', norm: 2 })).toThrow(/norm/);
    expect(() => cosineSimilarity(x2, x2)).toThrow(/cosineSimilarity: axis 1 is out of range for a tensor of rank 1/);
    expect(await cosineSimilarity(x1, x2).array()).toHaveLength(2);
    expect(() => cosineSimilarity(x1, tensor([1, 2]), { dim: -1 })).toThrow(/cosineSimilarity/);
    expect(() => pairwiseDistance(x1, tensor([1, 2], { dtype: 'int32' }))).toThrow(/x2 must be a float tensor/);
  });
});
