import { expect, type TestContext } from 'vitest';
import {
  ShapeError,
  fromHost,
  layerNorm,
  softmax,
  tidy,
  type Backend,
  type FusedKernelName,
  type Tensor,
} from '@myelin/core';
import { expectClose, type Tolerance } from '../compare.js';

// The fused kernels over the last axis (softmax and layerNorm, forward and backward): fused
// against composed on the same backend, float32 and (where the backend has it) float64, with the
// shapes attention and a Transformer's LayerNorms give them, masked scores included.

/** The names of the cases below, for FUSED_KERNEL_CASES. */
export const ROW_KERNEL_CASES = {
  softmax: 'softmax over the last axis: forward and gradient, fused vs composed',
  layerNorm: 'layerNorm: forward and gradients, fused vs composed',
} as const;

interface RowInput {
  values: number[];
  shape: number[];
  grad: boolean;
}

/** Output and input gradients of `fn` in `dtype` on `backend`, the output seeded by a fixed ramp. */
async function valuesAndGradients(
  b: Backend,
  dtype: 'float32' | 'float64',
  inputs: readonly RowInput[],
  fn: (...xs: Tensor[]) => Tensor,
): Promise<number[][]> {
  const array = (values: number[]) => (dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values));
  const xs = inputs.map(({ values, shape, grad }) =>
    fromHost(array(values), shape, { backend: b, dtype, requiresGrad: grad }),
  );
  const before = b.liveHandles();
  const out = tidy(() => {
    const y = fn(...xs);
    const seed = fromHost(array(Array.from({ length: y.size }, (_, i) => 0.5 + ((i * 7) % 5) / 4)), [...y.shape], {
      backend: b,
      dtype,
    });
    y.mul(seed).sum().backward();
    return y.detach();
  });
  const results = [Array.from(await out.data())];
  for (const x of xs) if (x.grad !== null) results.push(Array.from(await x.grad.data()));
  out.dispose();
  expect(b.liveHandles(), 'only the inputs, their gradients and the output survive').toBe(
    before + xs.filter((x) => x.grad !== null).length,
  );
  for (const x of xs) x.dispose();
  return results;
}

interface RowKernelOptions {
  test: (name: string, fn: (context: TestContext) => Promise<void>) => void;
  needs: (context: TestContext, ...kernels: FusedKernelName[]) => Promise<Backend | undefined>;
  composedOnly: (backend: Backend) => Backend;
  tolerance: { forward: Tolerance; gradient: Tolerance };
  floats: (n: number, scale?: number) => Float32Array;
}

/** Registers the row kernels' cases (called inside describeFusedConformance's describe block). */
export function rowKernelTests({ test, needs, composedOnly, tolerance, floats }: RowKernelOptions): void {
  const float64Tolerance: Tolerance = { atol: 1e-12, rtol: 1e-10 };
  const compare = async (
    b: Backend,
    label: string,
    inputs: RowInput[],
    fn: (...xs: Tensor[]) => Tensor,
  ): Promise<void> => {
    for (const dtype of ['float32', 'float64'] as const) {
      if (!b.dtypes.includes(dtype)) continue;
      const fused = await valuesAndGradients(b, dtype, inputs, fn);
      const composed = await valuesAndGradients(composedOnly(b), dtype, inputs, fn);
      expect(fused.length).toBe(composed.length);
      const [forward, gradient] =
        dtype === 'float32' ? [tolerance.forward, tolerance.gradient] : [float64Tolerance, float64Tolerance];
      expectClose(fused[0]!, composed[0]!, forward, `${label} ${dtype}: forward`);
      fused.slice(1).forEach((g, i) => expectClose(g, composed[i + 1]!, gradient, `${label} ${dtype}: gradient ${i}`));
    }
  };
  const values = (n: number, scale = 1): number[] => Array.from(floats(n, scale));

  test(ROW_KERNEL_CASES.softmax, async (context) => {
    const b = await needs(context, 'softmax', 'softmaxBackward');
    if (b === undefined) return;
    // rows shorter than a vector, with a tail, and long; attention's [N, H, L, S] scores; rows
    // longer than a GPU block's threads, and more rows than a block takes
    for (const shape of [
      [5, 7],
      [3, 1],
      [2, 3, 33],
      [2, 2, 4, 17],
      [2, 70],
      [3, 1500],
      [260, 5],
    ]) {
      const size = shape.reduce((a, d) => a * d, 1);
      await compare(b, `softmax [${shape.join(', ')}]`, [{ values: values(size, 3), shape, grad: true }], (x) =>
        softmax(x!, -1),
      );
    }
    // masked scores: -Infinity where a key is blocked, and one row that sees no key (NaN, as in PyTorch)
    const masked = values(4 * 9, 2).map((v, i) => (i % 9 === 2 || i % 9 === 7 || i < 9 ? -Infinity : v));
    await compare(b, 'softmax of masked scores [4, 9]', [{ values: masked, shape: [4, 9], grad: true }], (x) =>
      softmax(x!, -1),
    );
    // no rows (rows of no values stay on the composed path, which refuses them as max does)
    await compare(b, 'softmax [0, 3]', [{ values: [], shape: [0, 3], grad: true }], (x) => softmax(x!, -1));
    // large logits (no overflow: the max is subtracted first)
    await compare(b, 'softmax of large logits [3, 8]', [{ values: values(24, 300), shape: [3, 8], grad: true }], (x) =>
      softmax(x!, -1),
    );
    // the backward kernel refuses a gradient of another shape, naming both, and leaves no handle
    const y = fromHost(new Float32Array(6), [2, 3], { backend: b });
    const g = fromHost(new Float32Array(4), [2, 2], { backend: b });
    const before = b.liveHandles();
    expect(() => b.fused!.softmaxBackward!.call(b.fused, g.handle, y.handle)).toThrow(ShapeError);
    expect(() => b.fused!.softmaxBackward!.call(b.fused, g.handle, y.handle)).toThrow(/softmaxBackward.*\[2, ?2\]/);
    expect(b.liveHandles(), 'a refused call leaves no handle').toBe(before);
    y.dispose();
    g.dispose();
  });

  test(ROW_KERNEL_CASES.layerNorm, async (context) => {
    const b = await needs(context, 'layerNorm', 'layerNormBackward');
    if (b === undefined) return;
    for (const [shape, normalized] of [
      [[6, 5], [5]],
      [[2, 3, 33], [33]],
      [[4, 16], [16]],
      [[3, 1500], [1500]],
      [[260, 6], [6]],
      [
        [2, 3, 4],
        [3, 4],
      ],
    ] as const) {
      const size = shape.reduce((a, d) => a * d, 1);
      const n = normalized.reduce((a: number, d) => a * d, 1);
      // an offset per row, as activations after a residual add have
      const x = values(size, 2).map((v, i) => v + (Math.floor(i / n) % 3) - 1);
      for (const affine of ['weight and bias', 'weight', 'none'] as const) {
        const inputs: RowInput[] = [{ values: x, shape: [...shape], grad: true }];
        if (affine !== 'none')
          inputs.push({ values: values(n, 0.5).map((v) => v + 1), shape: [...normalized], grad: true });
        if (affine === 'weight and bias') inputs.push({ values: values(n, 0.3), shape: [...normalized], grad: true });
        await compare(
          b,
          `layerNorm [${shape.join(', ')}] over [${normalized.join(', ')}] (${affine})`,
          inputs,
          (xs, w, bias) => layerNorm(xs!, normalized, w ?? null, bias ?? null, 1e-5),
        );
      }
    }
    // no rows
    await compare(
      b,
      'layerNorm [0, 4]',
      [
        { values: [], shape: [0, 4], grad: true },
        { values: [1, 2, 3, 4], shape: [4], grad: true },
      ],
      (x, w) => layerNorm(x!, [4], w!, null, 1e-5),
    );
    // a constant row: variance 0, so the output is 0 and eps keeps it finite
    await compare(
      b,
      'layerNorm of a constant row',
      [{ values: [2, 2, 2, 2, 1, 3, 0, 5], shape: [2, 4], grad: true }],
      (x) => layerNorm(x!, [4], null, null, 1e-5),
    );
    // the kernel refuses a weight of another length, naming it, and leaves no handle
    const x = fromHost(new Float32Array(6), [2, 3], { backend: b });
    const w = fromHost(new Float32Array(2), [2], { backend: b });
    const before = b.liveHandles();
    expect(() => b.fused!.layerNorm!.call(b.fused, x.handle, w.handle, null, 1e-5)).toThrow(ShapeError);
    expect(() => b.fused!.layerNorm!.call(b.fused, x.handle, w.handle, null, 1e-5)).toThrow(/layerNorm.*weight.*\[3\]/);
    expect(b.liveHandles(), 'a refused call leaves no handle').toBe(before);
    x.dispose();
    w.dispose();
  });
}
