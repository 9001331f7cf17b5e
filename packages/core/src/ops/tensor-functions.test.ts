import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  ShapeError,
  addbmm,
  addcdiv,
  addcmul,
  addmm,
  addmv,
  addr,
  baddbmm,
  bmm,
  dot,
  inner,
  mm,
  mv,
  nansum,
  tensor,
  tensordot,
  vdot,
  type DType,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_TENSOR_FUNCTIONS } from './tensor-functions-fixture.js';
import { expectClose, flat } from './test-helpers.js';

type Args = Record<string, unknown>;
type Run = (inputs: Tensor[], args: Args) => Tensor;

const addProduct =
  (fn: typeof addmm): Run =>
  ([i, a, b], args) =>
    fn(i!, a!, b!, args);

/** What each fixture op computes, in Myelin. */
const RUN: Record<string, Run> = {
  mm: ([a, b]) => mm(a!, b!),
  bmm: ([a, b]) => bmm(a!, b!),
  mv: ([a, b]) => mv(a!, b!),
  dot: ([a, b]) => dot(a!, b!),
  vdot: ([a, b]) => vdot(a!, b!),
  inner: ([a, b]) => inner(a!, b!),
  tensordot: ([a, b], args) => tensordot(a!, b!, args['dims'] as number),
  addmm: addProduct(addmm),
  baddbmm: addProduct(baddbmm),
  addbmm: addProduct(addbmm),
  addmv: addProduct(addmv),
  addr: addProduct(addr),
  addcmul: ([i, a, b], args) => addcmul(i!, a!, b!, args),
  addcdiv: ([i, a, b], args) => addcdiv(i!, a!, b!, args),
};

for (const [family, cases] of Object.entries(PYTORCH_TENSOR_FUNCTIONS)) {
  describe(`${family} against PyTorch 1.13 (float64 values and gradients, cpu-reference)`, () => {
    for (const c of cases) {
      it(c.name, async () => {
        const inputs = c.inputs.map((values, i) => {
          const dtype = c.dtypes[i] as DType;
          return tensor(values as NestedArray, { dtype, requiresGrad: dtype === 'float64' });
        });
        const out = RUN[c.op]!(inputs, c.args as Args);
        expect(out.shape, 'shape').toEqual(c.shape);
        expectClose(await out.data(), c.output, 'value');
        const { gradients, weights } = c as { gradients?: unknown[]; weights?: unknown };
        if (gradients === undefined) return;
        nansum(out.mul(tensor(weights as NestedArray, { dtype: 'float64' }))).backward();
        for (const [i, want] of gradients.entries()) {
          if (want === null) continue;
          const grad = inputs[i]!.grad;
          if (grad === null)
            expect(
              flat(want).every((v) => v === 0),
              `gradient of input ${i}`,
            ).toBe(true);
          else expectClose(await grad.data(), want, `gradient of input ${i}`);
        }
      });
    }
  });
}

describe('products: errors name the shapes and options', () => {
  const m = tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  it('ranks and sizes', () => {
    expect(() => mm(m, tensor([1, 2, 3]))).toThrow(/mm: mat2 must be 2-D, got shape \[3\]/);
    expect(() => mm(m, m)).toThrow(ShapeError);
    expect(() => bmm(m.reshape([1, 2, 3]), m.reshape([2, 3, 1]))).toThrow(/bmm: batch sizes differ/);
    expect(() => dot(tensor([1, 2]), tensor([1, 2, 3]))).toThrow(/dot: the vectors' lengths differ: 2 and 3/);
    expect(() => tensordot(m, m, [[1], [1, 0]])).toThrow(/as many axes of a as of b, got 1 and 2/);
    expect(() => tensordot(m, m, [[0], [1]])).toThrow(/contracted axes differ in size/);
    expect(() => tensordot(m, m, 3)).toThrow(/dims must be an integer in 0\.\.2/);
    expect(() => addmm(m.reshape([3, 2, 1]), m, m.transpose())).toThrow(
      /addmm: input of shape \[3,2,1\] does not broadcast to the product's shape \[2,2\]/,
    );
  });
  it('options', () => {
    const square = m.slice([0, 0], [2, 2]);
    expect(() => addmm(square, square, square, { betta: 1 } as never)).toThrow(ArgumentError);
    expect(() => addmm(square, square, square, { alpha: Number.NaN })).toThrow(/addmm: alpha must be a finite number/);
    expect(() => addcmul(square, square, square, { value: '2' } as never)).toThrow(/addcmul: value must be/);
  });
});
