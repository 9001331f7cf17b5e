import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  Mish,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Softplus,
  Softsign,
  gelu,
  hardtanh,
  mlpConfig,
  mlpLayersOfConfig,
  moduleFromConfig,
  prelu,
  relu,
  softplus,
  tensor,
  type Module,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_ACTIVATIONS } from './activation-fixture.js';

// relu is one kernel on floats (a primitive since contract version 2), composed on int32.
describe('relu', () => {
  it('keeps NaN, as PyTorch does, so NaN weights are not hidden', async () => {
    const x = tensor([NaN, -1, 0, 2.5, -Infinity, Infinity]);
    expect(await relu(x).array()).toEqual([NaN, 0, 0, 2.5, 0, Infinity]);
    expect(await new ReLU().forward(tensor([[NaN, -3]])).array()).toEqual([[NaN, 0]]);
  });

  it('records one relu node whose gradient is 0 where x <= 0 (the kink too) and 1 elsewhere, NaN included, as torch.relu', async () => {
    const x = tensor([-2, 0, 3, NaN], { requiresGrad: true });
    const y = relu(x);
    expect(y.gradNode?.op).toBe('relu');
    y.mul(tensor([1, 2, 3, 4]))
      .sum()
      .backward();
    expect(await x.grad!.array()).toEqual([0, 0, 3, 4]); // torch: relu(x).backward -> grad 1 at NaN
  });

  it('runs on int32 through the composed form', async () => {
    const y = relu(tensor([-2, 0, 5], { dtype: 'int32' }));
    expect(y.dtype).toBe('int32');
    expect(await y.array()).toEqual([0, 0, 5]);
  });

  it("elu's gradient at 0 is the negative branch's, alpha (torch.nn.functional.elu), not half of it", async () => {
    const x = tensor([0, -1, 2], { requiresGrad: true, dtype: 'float64' });
    x.elu(0.7).sum().backward();
    expect(await x.grad!.array()).toEqual([0.7, 0.7 * Math.exp(-1), 1]);
  });

  it('leakyRelu keeps NaN too', async () => {
    expect(await tensor([NaN, -2, 3]).leakyRelu(0.5).array()).toEqual([NaN, -1, 3]);
  });
});

// ---- the composed activations against PyTorch (float64 values and derivatives) -------------
const ACTIVATIONS: Record<string, (x: Tensor) => Tensor> = {
  gelu: (x) => gelu(x),
  'gelu-tanh': (x) => x.gelu('tanh'),
  silu: (x) => x.silu(),
  mish: (x) => x.mish(),
  softplus: (x) => x.softplus(),
  'softplus-beta2-threshold10': (x) => softplus(x, 2, 10),
  'softplus-beta-half': (x) => softplus(x, 0.5),
  softsign: (x) => x.softsign(),
  hardtanh: (x) => x.hardtanh(),
  'hardtanh-m2-3': (x) => hardtanh(x, -2, 3),
  relu6: (x) => x.relu6(),
  selu: (x) => x.selu(),
  hardsigmoid: (x) => x.hardsigmoid(),
  hardswish: (x) => x.hardswish(),
  'prelu-0.25': (x) => prelu(x, tensor([0.25], { dtype: x.dtype })),
};

/**
 * Exact arithmetic in float64 (erf within a few ulp), except that PyTorch's float64 hardsigmoid
 * derivative is float32's 1/6 (ours is exact: 3e-8 apart).
 */
function tolerance(name: string, dtype: 'float32' | 'float64'): { abs: number; rel: number } {
  if (dtype === 'float32') return { abs: 1e-6, rel: 2e-6 };
  return name === 'hardsigmoid' ? { abs: 1e-14, rel: 5e-8 } : { abs: 1e-14, rel: 1e-13 };
}

function expectNear(actual: number[], expected: readonly number[], tol: { abs: number; rel: number }, what: string) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => {
    const want = expected[i]!;
    const error = Math.abs(value - want);
    if (!(error <= tol.abs + tol.rel * Math.abs(want)))
      expect.fail(`${what} at x = ${PYTORCH_ACTIVATIONS.points[i]}: got ${value}, PyTorch ${want} (error ${error})`);
  });
}

describe('composed activations match PyTorch', () => {
  it('covers every case of the fixture', () => {
    expect(Object.keys(ACTIVATIONS).sort()).toEqual(Object.keys(PYTORCH_ACTIVATIONS.cases).sort());
  });

  for (const dtype of ['float64', 'float32'] as const) {
    for (const [name, fn] of Object.entries(ACTIVATIONS)) {
      it(`${name} in ${dtype}: values and derivatives at every kink, bound and tail`, async () => {
        const expected = PYTORCH_ACTIVATIONS.cases[name as keyof typeof PYTORCH_ACTIVATIONS.cases];
        const x = tensor(PYTORCH_ACTIVATIONS.points, { dtype, requiresGrad: true });
        const y = fn(x);
        expect(y.dtype).toBe(dtype);
        y.sum().backward();
        const tol = tolerance(name, dtype);
        expectNear((await y.array()) as number[], expected.values, tol, `${name} value`);
        expectNear((await x.grad!.array()) as number[], expected.derivatives, tol, `${name} derivative`);
        x.dispose();
      });
    }
  }

  it('prelu with one slope per channel: values, input and slope gradients', async () => {
    const f = PYTORCH_ACTIVATIONS.preluChannels;
    const x = tensor(f.input, { dtype: 'float64', requiresGrad: true });
    const slopes = tensor(f.slopes, { dtype: 'float64', requiresGrad: true });
    const y = prelu(x, slopes);
    y.mul(tensor(f.outputWeights, { dtype: 'float64' }))
      .sum()
      .backward();
    const exact = { abs: 1e-15, rel: 1e-15 };
    const near = (a: unknown, b: unknown, what: string) => {
      const flat = (v: unknown): number[] => (v as number[][]).flat(3) as number[];
      flat(a).forEach((value, i) => {
        const want = flat(b)[i]!;
        if (!(Math.abs(value - want) <= exact.abs + exact.rel * Math.abs(want)))
          expect.fail(`${what}[${i}]: ${value} vs ${want}`);
      });
    };
    near(await y.array(), f.values, 'value');
    near(await x.grad!.array(), f.inputGradient, 'input gradient');
    near(await slopes.grad!.array(), f.slopeGradient, 'slope gradient');
  });

  it('keeps NaN and refuses integer tensors, naming the op', async () => {
    for (const [name, fn] of Object.entries(ACTIVATIONS)) {
      const value = ((await fn(tensor([NaN, 1])).array()) as number[])[0];
      expect(value, name).toBeNaN();
    }
    expect(() => gelu(tensor([1, 2], { dtype: 'int32' }))).toThrow(/gelu: expected a float tensor, got dtype int32/);
    expect(() => tensor([1], { dtype: 'int32' }).hardswish()).toThrow(DTypeError);
  });

  it('rejects bad options with the value seen and what is allowed', () => {
    const x = tensor([1, -1]);
    expect(() => gelu(x, 'fast' as 'tanh')).toThrow(/gelu: approximate must be 'none' or 'tanh', got "fast"/);
    expect(() => softplus(x, 0)).toThrow(/softplus: beta must be a finite non-zero number, got 0/);
    expect(() => hardtanh(x, 2, 1)).toThrow(/hardtanh: minVal 2 must not be greater than maxVal 1/);
    expect(() => prelu(tensor([[1, 2]]), tensor([0.1, 0.2, 0.3]))).toThrow(
      /prelu: weight has 3 elements, so the input needs 3 channels on axis 1, got input shape \[1, ?2\]/,
    );
    expect(() => new GELU('exact' as 'none')).toThrow(/GELU: approximate must be 'none' or 'tanh'/);
    expect(() => new Hardtanh(1, 0)).toThrow(ArgumentError);
    expect(() => new PReLU(0)).toThrow(/PReLU: numParameters/);
  });
});

describe('activation modules', () => {
  const modules = (): Module[] => [
    new GELU(),
    new GELU('tanh'),
    new SiLU(),
    new Mish(),
    new Softplus(2, 10),
    new Softsign(),
    new Hardtanh(-2, 3),
    new ReLU6(),
    new SELU(),
    new Hardsigmoid(),
    new Hardswish(),
    new PReLU(3, 0.1),
  ];

  it('round-trip through their configs and compute what their functions do', async () => {
    const x = tensor([
      [
        [-4, 0.5],
        [2, -1],
        [7, -0.2],
      ],
    ]); // [1, 3, 2]: PReLU(3) sees 3 channels
    for (const module of modules()) {
      const rebuilt = moduleFromConfig(JSON.parse(JSON.stringify(module.config())) as ModuleConfig);
      expect(rebuilt.config(), module.typeName).toEqual(module.config());
      expect(rebuilt.typeName).toBe(module.typeName);
      expect(await rebuilt.forward(x).array(), module.typeName).toEqual(await module.forward(x).array());
    }
    expect(await new Softplus(2, 10).forward(x).array()).toEqual(await softplus(x, 2, 10).array());
  });

  it('reject unknown and bad config options by name', () => {
    expect(() => moduleFromConfig({ type: 'GELU', approximate: 'fast' })).toThrow(
      /GELU option 'approximate' must be 'none' or 'tanh', got "fast"/,
    );
    expect(() => moduleFromConfig({ type: 'SiLU', inplace: true })).toThrow(
      /SiLU has no option 'inplace'; it takes no options/,
    );
    expect(() => moduleFromConfig({ type: 'PReLU', numParameters: -1 })).toThrow(/numParameters/);
  });

  it('PReLU learns its slopes: a parameter with a gradient, saved in the state dict', async () => {
    const layer = new PReLU(2, 0.25);
    expect(layer.parameters()).toEqual([layer.weight]);
    expect(Object.keys(layer.stateDict())).toEqual(['weight']);
    expect(layer.toString()).toContain('PReLU(numParameters=2)');
    layer
      .forward(
        tensor([
          [-2, -4],
          [1, -1],
        ]),
      )
      .sum()
      .backward();
    expect(await layer.weight.grad!.array()).toEqual([-2, -5]);
  });

  it('the MLP config names every new activation', () => {
    for (const activation of ['gelu', 'silu', 'mish', 'softplus', 'selu', 'relu6', 'hardswish', 'prelu'] as const) {
      const config = mlpConfig({ inputShape: [4], outFeatures: 2, hidden: [3], activation });
      const model = moduleFromConfig(config);
      expect(mlpLayersOfConfig(config)?.activation).toBe(activation);
      expect(model.forward(tensor([[1, 2, 3, 4]])).shape).toEqual([1, 2]);
    }
  });
});
