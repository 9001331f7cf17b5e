import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  all,
  any,
  chunk,
  concat,
  cumsum,
  flip,
  maskedFill,
  norm,
  padSequence,
  repeat,
  split,
  std,
  tensor,
  tile,
  variance,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_TENSOR_UTILS } from './tensor-utils-fixture.js';

type Case = (typeof PYTORCH_TENSOR_UTILS)[number];
const t64 = (values: unknown, requiresGrad = false): Tensor =>
  tensor(values as NestedArray, { dtype: 'float64', requiresGrad });
const flat = (values: unknown): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);

/** What the fixture's case computes, in Myelin. */
function run(c: Case, x: Tensor, input: unknown): Tensor {
  const a = c.args as Record<string, unknown>;
  const axes = a['axes'] as number[] | undefined;
  const keepDims = (a['keepDims'] as boolean | undefined) ?? false;
  const rejoin = (pieces: Tensor[], axis: number): Tensor =>
    concat(
      pieces.map((p, i) => p.mul(i + 1)),
      axis,
    );
  switch (c.op) {
    case 'var':
      return variance(x, axes, { correction: a['correction'] as number | undefined, keepDims });
    case 'std':
      return std(x, axes, { keepDims });
    case 'norm':
      return norm(x, a['ord'] === 'Infinity' ? Infinity : (a['ord'] as number), axes, keepDims);
    case 'cumsum':
      return cumsum(x, a['axis'] as number);
    case 'repeat':
      return repeat(x, a['repeats'] as number[]);
    case 'tile':
      return tile(x, a['reps'] as number[]);
    case 'flip':
      return flip(x, a['axes'] as number[]);
    case 'split':
      return rejoin(split(x, a['splitSize'] as number | number[], a['axis'] as number), a['axis'] as number);
    case 'chunk':
      return rejoin(chunk(x, a['chunks'] as number, a['axis'] as number), a['axis'] as number);
    case 'maskedFill':
      return maskedFill(x, t64(input).greater(0.5), a['value'] as number);
  }
  throw new Error(`unknown op ${c.op}`);
}

describe('tensor utilities against PyTorch (float64, cpu-reference)', () => {
  for (const c of PYTORCH_TENSOR_UTILS) {
    it(`${c.name}: value and gradient`, async () => {
      const x = t64(c.input, true);
      const y = run(c, x, c.input);
      expect(y.shape).toEqual(shapeOf(c.output));
      y.mul(t64(c.weights)).sum().backward();
      const close = (got: ArrayLike<number>, want: unknown): void => {
        const expected = flat(want);
        expect(got.length).toBe(expected.length);
        expected.forEach((v, i) => expect(Math.abs(got[i]! - v), `${c.name} at ${i}`).toBeLessThan(1e-12));
      };
      close(await y.data(), c.output);
      close(await x.grad!.data(), c.gradient);
    });
  }
});

function shapeOf(nested: unknown): number[] {
  const shape: number[] = [];
  let level = nested;
  while (Array.isArray(level)) {
    shape.push(level.length);
    level = level[0];
  }
  return shape;
}

describe('tensor utilities', () => {
  it('split and chunk give PyTorch pieces, and name what is wrong', () => {
    const x = tensor([[1, 2, 3, 4, 5]]);
    expect(split(x, 2, 1).map((p) => p.shape)).toEqual([
      [1, 2],
      [1, 2],
      [1, 1],
    ]);
    expect(chunk(x, 2, -1).map((p) => p.shape[1])).toEqual([3, 2]);
    expect(chunk(tensor([1, 2, 3, 4, 5, 6]), 4).map((p) => p.size)).toEqual([2, 2, 2]); // fewer pieces, as torch.chunk
    expect(x.split([4, 1], 1)[1]!.dataSync()).toEqual(new Float32Array([5]));
    expect(() => split(x, [2, 2], 1)).toThrow(/sections \[2, 2\] add up to 4, but axis 1 of \[1,5\] has 5/);
    expect(() => split(x, 0, 1)).toThrow(ArgumentError);
    expect(() => chunk(x, 0)).toThrow(/chunks must be a positive integer/);
  });

  it('repeat adds leading axes like Tensor.repeat; tile pads reps like torch.tile', () => {
    const x = tensor([1, 2]);
    expect(Array.from(repeat(x, [2, 2]).dataSync())).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(repeat(x, [2, 2]).shape).toEqual([2, 4]);
    expect(tile(tensor([[1, 2]]), [3]).shape).toEqual([1, 6]);
    expect(() => repeat(tensor([[1]]), [2])).toThrow(/1 repeats for a tensor of rank 2/);
  });

  it('any and all reduce bool and numeric tensors', () => {
    const b = tensor(
      [
        [true, false],
        [false, false],
      ],
      { dtype: 'bool' },
    );
    expect(Array.from(any(b, 1).dataSync())).toEqual([1, 0]);
    expect(all(b).dataSync()[0]).toBe(0);
    expect(all(tensor([1, 2, -3])).dataSync()[0]).toBe(1);
    expect(any(tensor([0, 0], { dtype: 'int32' })).dtype).toBe('bool');
  });

  it('the variance of one value is NaN with correction 1, as in PyTorch; options and dtypes are checked', () => {
    expect(Number.isNaN(variance(tensor([3])).dataSync()[0])).toBe(true);
    expect(variance(tensor([3]), undefined, { correction: 0 }).dataSync()[0]).toBe(0);
    expect(() => variance(tensor([1, 2], { dtype: 'int32' }))).toThrow(DTypeError);
    expect(() => variance(tensor([1, 2]), undefined, { correction: -1 })).toThrow(/correction must be/);
    expect(() => cumsum(tensor([1, 2], { dtype: 'int32' }), 0)).toThrow(/cast first/);
    expect(() => maskedFill(tensor([1, 2]), tensor([1, 0], { dtype: 'int32' }), 0)).toThrow(DTypeError);
    expect(() => maskedFill(tensor([1, 2]), tensor([[true], [false]], { dtype: 'bool' }), 0)).toThrow(
      /must broadcast to the tensor's shape \[2\]/,
    );
    expect(() => norm(tensor([1, 2]), Number.NaN)).toThrow(ArgumentError);
    expect(flip(tensor([1, 2, 3]), 0).dataSync()).toEqual(new Float32Array([3, 2, 1]));
    expect(tensor([1, 2, 3]).var().dataSync()[0]).toBe(1);
    expect(() => split(tensor([1]), [1], 3)).toThrow(/axis 3 is out of range for a tensor of rank 1/);
  });
});

describe('padSequence', () => {
  it('pads to the longest and stacks, like torch.nn.utils.rnn.pad_sequence, and keeps gradients', async () => {
    const a = tensor([[1], [2], [3]], { requiresGrad: true });
    const b = tensor([[4]], { requiresGrad: true });
    const timeFirst = padSequence([a, b]);
    expect(timeFirst.shape).toEqual([3, 2, 1]);
    expect(Array.from(await timeFirst.data())).toEqual([1, 4, 2, 0, 3, 0]);
    const left = padSequence([a, b], { batchFirst: true, paddingValue: -1, paddingSide: 'left' });
    expect(Array.from(await left.data())).toEqual([1, 2, 3, -1, -1, 4]);
    left.sum().backward();
    expect(Array.from(await b.grad!.data())).toEqual([1]);
    expect(() => padSequence([a, tensor([[1, 2]])])).toThrow(
      /sequence 1 is float32 \[1,2\], but sequence 0 is float32 \[3,1\]/,
    );
    expect(() => padSequence([])).toThrow(/non-empty array/);
  });
});
