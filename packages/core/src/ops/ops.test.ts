import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ShapeError,
  arange,
  concat,
  eye,
  full,
  indexSelect,
  matmul,
  ones,
  rand,
  randn,
  stack,
  tensor,
  where,
  zeros,
} from '@myelin/core';

const read = async (t: { array(): Promise<unknown> }) => t.array();

describe('creation', () => {
  it('infers shapes from nested arrays and rejects ragged ones', async () => {
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
    ).toEqual([2, 3]);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged nested array at index \[1\]/);
    expect(() => tensor(new Float32Array(5), { shape: [2, 3] })).toThrow(/5 values do not fill shape \[2,3\]/);
  });
  it('makes zeros, ones, full, arange and eye', async () => {
    expect(await read(zeros([2]))).toEqual([0, 0]);
    expect(await read(ones([1, 2]))).toEqual([[1, 1]]);
    expect(await read(full([2], 7, { dtype: 'int32' }))).toEqual([7, 7]);
    expect(await read(arange(5))).toEqual([0, 1, 2, 3, 4]);
    expect(await read(arange(2, 10, 3))).toEqual([2, 5, 8]);
    expect(await read(eye(2, 3))).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });
  it('draws the same seeded numbers every time', async () => {
    const { Generator } = await import('@myelin/core');
    expect(await read(rand([3], { generator: new Generator(4) }))).toEqual(
      await read(rand([3], { generator: new Generator(4) })),
    );
    expect(randn([2, 2]).shape).toEqual([2, 2]);
  });
});

describe('shape errors show the shapes', () => {
  it('matmul names both shapes and the inner dimensions', () => {
    expect(() => matmul(ones([2, 3]), ones([4, 5]))).toThrow(
      'matmul: inner dimensions differ (3 vs 4): lhs [2,3], rhs [4,5]',
    );
    expect(() => matmul(ones([2, 3]), ones([4, 5]))).toThrow(ShapeError);
  });
  it('broadcasting names both shapes and the dimension', () => {
    expect(() => ones([2, 3]).add(ones([4]))).toThrow(
      'add: shapes [2,3] and [4] cannot be broadcast (dimension -1 is 3 vs 4; each pair must be equal or one of them 1)',
    );
  });
  it('reshape, concat, axes and gather indices say what was wrong', () => {
    expect(() => ones([2, 3]).reshape([4, 2])).toThrow(
      /cannot reshape a tensor of shape \[2,3\] \(6 elements\) to \[4,2\]/,
    );
    expect(() => concat([ones([2, 3]), ones([2, 4])], 0)).toThrow(/\[2,3\], \[2,4\] differ outside axis 0/);
    expect(() => ones([2, 3]).sum(2)).toThrow(/axis 2 is out of range for a tensor of rank 2/);
    expect(() => ones([3]).gather(tensor([0, 3], { dtype: 'int32' }))).toThrow(
      /index 3 at position 1 is out of range for a dimension of size 3/,
    );
  });
});

describe('ops', () => {
  it('promotes dtypes like NumPy and divides ints as floats', async () => {
    const i = tensor([1, 2], { dtype: 'int32' });
    expect(i.add(1).dtype).toBe('int32');
    expect(i.add(0.5).dtype).toBe('float32');
    expect(await read(i.div(2))).toEqual([0.5, 1]);
  });
  it('stacks, wheres and one-hots', async () => {
    expect(await read(stack([tensor([1, 2]), tensor([3, 4])], 1))).toEqual([
      [1, 3],
      [2, 4],
    ]);
    expect(await read(where(tensor([true, false]), 1, tensor([5, 6])))).toEqual([1, 6]);
    expect(await read(tensor([2, 0], { dtype: 'int32' }).oneHot(3))).toEqual([
      [0, 0, 1],
      [1, 0, 0],
    ]);
  });
  it('computes mean, min, argmax, clamp and softmax', async () => {
    const x = tensor([
      [1, 5, 3],
      [4, 2, 6],
    ]);
    expect(await read(x.mean(1))).toEqual([3, 4]);
    expect(await read(x.min(0))).toEqual([1, 2, 3]);
    expect(await read(x.argmax(1))).toEqual([1, 2]);
    expect(await read(x.clamp(2, 4))).toEqual([
      [2, 4, 3],
      [4, 2, 4],
    ]);
    const rows = (await read(x.softmax().sum(1))) as number[];
    rows.forEach((r) => expect(r).toBeCloseTo(1, 6));
  });
  it('softmax, logSoftmax and logsumexp over an empty axis, as PyTorch: empty, empty, -Infinity', async () => {
    const x = zeros([2, 0], { requiresGrad: true });
    expect(x.softmax(1).shape).toEqual([2, 0]);
    expect(x.logSoftmax(-1).shape).toEqual([2, 0]);
    const lse = x.logsumexp(1);
    expect(await read(lse)).toEqual([-Infinity, -Infinity]);
    expect(x.logsumexp(1, true).shape).toEqual([2, 1]);
    lse.sum().add(x.softmax(1).sum()).backward();
    expect(x.grad!.shape).toEqual([2, 0]);
    // A non-empty axis of an empty tensor still reduces: [0, 3] rows of nothing.
    expect(zeros([0, 3]).softmax(1).shape).toEqual([0, 3]);
  });
  it('matmul handles vectors and broadcast batches', () => {
    expect(matmul(ones([3]), ones([3, 2])).shape).toEqual([2]);
    expect(matmul(ones([2, 1, 4, 3]), ones([5, 3, 2])).shape).toEqual([2, 5, 4, 2]);
    expect(matmul(ones([3]), ones([3])).shape).toEqual([]);
  });
});

describe('review fixes', () => {
  it('pow: no NaN gradient at 0^0, like PyTorch', async () => {
    const { tensor } = await import('@myelin/core');
    const x = tensor([0, 0, 2], { requiresGrad: true });
    x.pow(tensor([0, 1, 0]))
      .sum()
      .backward();
    expect(Array.from(await x.grad!.data())).toEqual([0, 1, 0]);
  });
  it('typed arrays other than Float32/Float64/Int32 become float32 values, not bools', async () => {
    const { fromHost } = await import('@myelin/core');
    const t = fromHost(new Uint8ClampedArray([0, 128, 255]), [3]);
    expect(t.dtype).toBe('float32');
    expect(Array.from(await t.data())).toEqual([0, 128, 255]);
    expect(fromHost(new Int16Array([-3, 7]), [2]).dtype).toBe('float32');
  });
  it('expand with new leading axes and argmax of bool leak nothing; assign(self) is a no-op', async () => {
    const { getBackend, tensor } = await import('@myelin/core');
    const backend = getBackend();
    const x = tensor([1, 2, 3]);
    const b = tensor([
      [true, false, true],
      [false, false, true],
    ]);
    const before = backend.liveHandles();
    const expanded = x.expand([4, 2, 3]);
    const index = b.argmax(1);
    expect(backend.liveHandles()).toBe(before + 2);
    expect(Array.from(await index.data())).toEqual([0, 2]);
    expanded.dispose();
    index.dispose();
    x.assign(x);
    expect(Array.from(await x.data())).toEqual([1, 2, 3]);
  });
  it('min and argmin handle INT32_MIN', async () => {
    const { tensor } = await import('@myelin/core');
    const x = tensor([-2147483648, 0, 5], { dtype: 'int32' });
    expect(Array.from(await x.min().reshape([1]).data())).toEqual([-2147483648]);
    expect(Array.from(await x.argmin().reshape([1]).data())).toEqual([0]);
  });
});

describe('indexSelect', () => {
  it('picks slices along an axis like torch.index_select, repeating indices, and scatters the gradient back', async () => {
    const x = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const picked = indexSelect(x, 1, tensor([2, 0, 2], { dtype: 'int32' }));
    expect(picked.shape).toEqual([2, 3]);
    expect(Array.from(await picked.data())).toEqual([3, 1, 3, 6, 4, 6]);
    picked.sum().backward();
    expect(Array.from(await x.grad!.data())).toEqual([1, 0, 2, 1, 0, 2]);
    expect(Array.from(await x.indexSelect(0, tensor([1], { dtype: 'int32' })).data())).toEqual([4, 5, 6]);
    expect(() => indexSelect(x, 0, tensor([[0]], { dtype: 'int32' }))).toThrow(
      'indexSelect: indices must be 1-D, got shape [1,1]',
    );
  });
});
