import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  EmbeddingBag,
  Linear,
  ShapeError,
  embeddingBag,
  getBackend,
  moduleFromConfig,
  mul,
  sum,
  tensor,
  tidy,
  type EmbeddingBagMode,
  type NestedArray,
} from '@myelin/core';
import { PYTORCH_EMBEDDING_BAG } from './embedding-bag-fixture.js';

// embeddingBag against torch.nn.functional.embedding_bag in float64 (scripts/make-embedding-bag-fixture.py):
// outputs and the gradients of the weight and of per-sample weights.

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);
function expectClose(actual: ArrayLike<number>, expected: unknown, what: string): void {
  const e = flat(expected);
  expect(actual.length, what).toBe(e.length);
  e.forEach((value, i) => expect(Math.abs(actual[i]! - value), `${what} [${i}]`).toBeLessThan(1e-13));
}

describe('embeddingBag against PyTorch (float64, cpu-reference)', () => {
  it.each(PYTORCH_EMBEDDING_BAG.cases.map((c) => [c.name, c] as const))('%s', async (_, c) => {
    const weight = tensor(c.weight as NestedArray, { dtype: 'float64', requiresGrad: true });
    const psw =
      'perSampleWeights' in c
        ? tensor(c.perSampleWeights as NestedArray, { dtype: 'float64', requiresGrad: true })
        : undefined;
    const out = embeddingBag(tensor(c.ids as NestedArray, { dtype: 'int32' }), weight, {
      offsets: c.offsets ?? undefined,
      mode: c.mode as EmbeddingBagMode,
      includeLastOffset: c.includeLastOffset,
      paddingIdx: c.paddingIdx ?? undefined,
      perSampleWeights: psw,
    });
    expectClose(await out.data(), c.output, `${c.name} output`);
    sum(mul(out, tensor(c.outputWeights as NestedArray, { dtype: 'float64' }))).backward();
    expectClose(await weight.grad!.data(), c.weightGradient, `${c.name} weight gradient`);
    if ('perSampleWeightsGradient' in c)
      expectClose(await psw!.grad!.data(), c.perSampleWeightsGradient, `${c.name} psw gradient`);
  });
});

describe('EmbeddingBag', () => {
  it('is a torchtext-style text classifier head, takes offsets as a tensor on synchronous backends, and round-trips its config', async () => {
    const bag = new EmbeddingBag(20, 4, { mode: 'sum', paddingIdx: 0 });
    const head = new Linear(4, 2);
    const ids = tensor([3, 7, 0, 9, 9], { dtype: 'int32' });
    const fromArray = tidy(() => head.forward(bag.forward(ids, [0, 2])));
    const fromTensor = tidy(() => head.forward(bag.forward(ids, tensor([0, 2], { dtype: 'int32' }))));
    expect(fromTensor.shape).toEqual([2, 2]);
    expect(await fromTensor.data()).toEqual(await fromArray.data());
    expect(Array.from(await bag.weight.data()).slice(0, 4)).toEqual([0, 0, 0, 0]); // the padding row
    const rebuilt = moduleFromConfig(bag.config()) as EmbeddingBag;
    expect(rebuilt.config()).toEqual({
      type: 'EmbeddingBag',
      numEmbeddings: 20,
      embeddingDim: 4,
      mode: 'sum',
      paddingIdx: 0,
    });
    const frozen = EmbeddingBag.fromPretrained(bag.weight, { mode: 'max' });
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(frozen.toString()).toBe("EmbeddingBag(20, 4, mode='max')\nParameters: 80 (trainable 0)");
  });

  it('names what is wrong with its input', () => {
    const weight = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const ids = tensor([0, 1, 2], { dtype: 'int32' });
    expect(() => embeddingBag(ids, weight)).toThrow(
      'embeddingBag: 1-D input needs offsets (where each bag starts), or give 2-D [bags, ids] input',
    );
    expect(() => embeddingBag(ids.reshape([1, 3]), weight, { offsets: [0] })).toThrow(
      'embeddingBag: 2-D input [1,3] holds one bag per row; offsets are only for 1-D input',
    );
    expect(() => embeddingBag(ids, weight, { offsets: [1, 2] })).toThrow(
      "embeddingBag: offsets must start at 0 and not decrease, each at most the input's 3 ids, got [1, 2]",
    );
    expect(() => embeddingBag(ids, weight, { offsets: [0, 2, 1] })).toThrow(ArgumentError);
    expect(() =>
      embeddingBag(ids, weight, { offsets: [0], mode: 'mean', perSampleWeights: tensor([1, 1, 1]) }),
    ).toThrow("embeddingBag: perSampleWeights need mode 'sum' (as PyTorch's), got mode 'mean'");
    expect(() => embeddingBag(ids, weight, { offsets: [0], mode: 'sum', perSampleWeights: tensor([1, 1]) })).toThrow(
      ShapeError,
    );
    expect(() => embeddingBag(ids, weight, { offsets: [0], mode: 'min' as never })).toThrow(
      `embeddingBag: mode must be 'sum', 'mean' or 'max', got "min"`,
    );
    expect(() => new EmbeddingBag(4, 2, { mode: 'median' as never })).toThrow(
      `EmbeddingBag: mode must be 'sum', 'mean' or 'max', got "median"`,
    );
  });

  it('frees its intermediates', () => {
    const backend = getBackend();
    const weight = tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const ids = tensor([0, 1, 2, 2], { dtype: 'int32' });
    const before = backend.liveHandles();
    for (const mode of ['sum', 'mean', 'max'] as const)
      embeddingBag(ids, weight, { offsets: [0, 1, 1], mode, paddingIdx: 1 }).dispose();
    expect(backend.liveHandles()).toBe(before);
  });
});
