import {
  avgPool2d,
  batchNorm,
  conv2d,
  crossEntropy,
  fromHost,
  linear,
  maxPool2d,
  noGrad,
  tidy,
  type Backend,
  type DType,
  type Tensor,
} from '@myelin/core';
import { expect, it } from 'vitest';
import { expectClose, type Tolerance } from './compare.js';
import { PYTORCH_CNN } from './fixtures/pytorch-cnn.js';

type Parameters = Record<keyof typeof PYTORCH_CNN.parameters, Tensor>;

/** The fixture's network with core's functional ops: train-mode logits, then eval-mode logits. */
function forward(x: Tensor, p: Parameters, training: boolean): Tensor {
  let h = conv2d(x, p['0.weight'], p['0.bias'], { padding: 1 });
  h = batchNorm(h, {
    runningMean: p['1.running_mean'],
    runningVar: p['1.running_var'],
    weight: p['1.weight'],
    bias: p['1.bias'],
    training,
  });
  h = maxPool2d(h.relu(), 2);
  h = conv2d(h, p['4.weight'], p['4.bias'], { padding: 'same' });
  h = avgPool2d(h, 3, { stride: 1, padding: 1, countIncludePad: false });
  return linear(h.flatten(1), p['7.weight'], p['7.bias']);
}

/**
 * One training step of a Conv-BN-ReLU-Pool-Conv('same')-AvgPool-Linear network against PyTorch's
 * float64 values (src/fixtures/pytorch-cnn.ts, made by scripts/make-pytorch-cnn-fixture.py): loss,
 * logits, every parameter's and the input's gradient, BatchNorm's running statistics after the
 * step, and the eval-mode logits that use them. float64 where the backend has it.
 */
export function describePytorchCnn(
  backend: () => Promise<Backend>,
  float32: Tolerance,
  skip: Readonly<Record<string, string>> = {},
): void {
  const name = 'PyTorch CNN (Conv-BN-ReLU-Pool-Linear): one step matches the float64 fixture';
  const reason = skip[name];
  (reason === undefined ? it : it.skip)(reason === undefined ? name : `${name} (skipped: ${reason})`, async () => {
    const b = await backend();
    const dtype: DType = b.dtypes.includes('float64') ? 'float64' : 'float32';
    const tolerance = dtype === 'float64' ? { atol: 1e-10, rtol: 1e-9 } : float32;
    const make = (values: readonly number[], shape: readonly number[], requiresGrad: boolean) =>
      fromHost(Float64Array.from(values), shape, { backend: b, dtype, requiresGrad });
    const before = b.liveHandles();
    const params = Object.fromEntries(
      Object.entries(PYTORCH_CNN.parameters).map(([name, { values, shape }]) => [
        name,
        make(values, shape, !name.includes('running')),
      ]),
    ) as Parameters;
    const x = make(PYTORCH_CNN.input.values, PYTORCH_CNN.input.shape, true);
    const labels = fromHost(Int32Array.from(PYTORCH_CNN.labels), [PYTORCH_CNN.labels.length], {
      backend: b,
      dtype: 'int32',
    });
    const [logits, loss] = tidy(() => {
      const out = forward(x, params, true);
      const value = crossEntropy(out, labels);
      value.backward();
      return [out.detach(), value.detach()];
    });
    const read = async (t: Tensor) => Float64Array.from(await t.data());
    const check = async (t: Tensor, expected: readonly number[], what: string) =>
      expectClose(await read(t), Float64Array.from(expected), tolerance, `PyTorch CNN ${dtype}: ${what}`);
    await check(loss, [PYTORCH_CNN.loss], 'loss');
    await check(logits, PYTORCH_CNN.logits, 'train-mode logits');
    await check(x.grad!, PYTORCH_CNN.inputGradient, 'input gradient');
    for (const [name, expected] of Object.entries(PYTORCH_CNN.gradients))
      await check(params[name as keyof Parameters].grad!, expected, `gradient of ${name}`);
    for (const [name, expected] of Object.entries(PYTORCH_CNN.runningStats))
      await check(params[name as keyof Parameters], expected, name);
    const evalLogits = noGrad(() => tidy(() => forward(x, params, false)));
    await check(evalLogits, PYTORCH_CNN.evalLogits, 'eval-mode logits');
    for (const t of [x, ...Object.values(params)]) t.grad?.dispose();
    for (const t of [logits, loss, evalLogits, x, labels, ...Object.values(params)]) t.dispose();
    expect(b.liveHandles(), 'live handles after disposing everything').toBe(before);
  });
}
