import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, Embedding, ShapeError, embedding, moduleFromConfig, noGrad, tensor } from '@myelin/core';

const ids = (values: number[][]) => tensor(values, { dtype: 'int32' });

describe('Embedding paddingIdx and fromPretrained', () => {
  it("zeroes the padding row at init and gives it no gradient, as PyTorch's padding_idx", async () => {
    const emb = new Embedding(5, 3, { paddingIdx: -1 }); // row 4
    expect(emb.paddingIdx).toBe(4);
    const weight = Array.from(await emb.weight.data());
    expect(weight.slice(12)).toEqual([0, 0, 0]);
    expect(weight.slice(0, 12).some((v) => v !== 0)).toBe(true);
    const out = emb.forward(
      ids([
        [1, 4, 4],
        [4, 1, 0],
      ]),
    );
    out.mul(2).sum().backward();
    const grad = Array.from(await emb.weight.grad!.data());
    // Row 1 is looked up twice, row 0 once, the padding row three times (no gradient).
    expect(grad).toEqual([2, 2, 2, 4, 4, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it("shows the padding row's value when it is not zero (only its gradient is held back)", async () => {
    const emb = new Embedding(3, 2, { paddingIdx: 0 });
    noGrad(() =>
      emb.weight.assign(
        tensor([
          [7, 8],
          [1, 2],
          [3, 4],
        ]),
      ),
    );
    expect(Array.from(await emb.forward(ids([[0, 2]])).data())).toEqual([7, 8, 3, 4]);
    const functional = embedding(ids([[0]]), tensor([[5, 6]]), 0);
    expect(Array.from(await functional.data())).toEqual([5, 6]);
  });

  it('round-trips paddingIdx through its config, and checks it', () => {
    const emb = new Embedding(6, 2, { paddingIdx: 2 });
    const copy = moduleFromConfig(emb.config()) as Embedding;
    expect(copy.paddingIdx).toBe(2);
    expect(copy.toString()).toBe(emb.toString());
    expect(() => new Embedding(6, 2, { paddingIdx: 6 })).toThrow(/paddingIdx must be an integer in \[-6, 5\]/);
    expect(() => embedding(ids([[0]]), tensor([[1]]), 1.5)).toThrow(ArgumentError);
  });

  it('fromPretrained copies the table and freezes it unless told not to', async () => {
    const table = tensor([
      [1, 2],
      [3, 4],
    ]);
    const frozen = Embedding.fromPretrained(table);
    expect(frozen.weight.requiresGrad).toBe(false);
    expect(Array.from(await frozen.forward(ids([[1]])).data())).toEqual([3, 4]);
    expect(Embedding.fromPretrained(table, { freeze: false, paddingIdx: 1 }).weight.requiresGrad).toBe(true);
    expect(Array.from(await Embedding.fromPretrained(table, { paddingIdx: 1 }).weight.data())).toEqual([1, 2, 3, 4]);
    expect(() => Embedding.fromPretrained(tensor([1, 2]))).toThrow(ShapeError);
  });
});
