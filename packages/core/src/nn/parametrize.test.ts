import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  Generator,
  Linear,
  Module,
  ReLU,
  SGD,
  Sequential,
  ShapeError,
  matmul,
  moduleFromConfig,
  packCheckpoint,
  registerModuleType,
  removeSpectralNorm,
  removeWeightNorm,
  captureCheckpoint,
  TransformerEncoderLayer,
  unpackCheckpoint,
  parametrizations,
  parametrize,
  spectralNorm,
  tensor,
  tidy,
  transpose,
  tril,
  weightNorm,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { TORCH_WEIGHT_NORM } from './weight-norm-fixture.js';
import { f64, runBackward } from './test-reparametrization.js';

// torch.nn.utils.parametrize with parametrizations.orthogonal and spectral_norm against torch 1.13
// in float64 (scripts/make-weight-norm-fixture.py): state-dict keys, values, gradients.

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);

function expectNear(actual: Tensor | null, expected: unknown, what: string, tolerance = 1e-10): void {
  expect(actual, what).not.toBeNull();
  const a = [...actual!.dataSync()].map(Number);
  const e = flat(expected);
  expect(a.length, what).toBe(e.length);
  a.forEach((value, i) =>
    expect(Math.abs(value - e[i]!), `${what}[${i}]`).toBeLessThan(tolerance * (1 + Math.abs(e[i]!))),
  );
}

function linear(inFeatures: number, outFeatures: number, weight: unknown, bias: unknown): Linear {
  const module = new Linear(inFeatures, outFeatures, { dtype: 'float64' });
  module.loadStateDict({ weight: f64(weight), bias: f64(bias) });
  return module;
}

type OrthogonalCase = (typeof TORCH_WEIGHT_NORM.parametrized)['orthogonal-square-default'];
type SpectralCase = (typeof TORCH_WEIGHT_NORM.parametrized)['spectralNorm-train'];

describe('parametrizations.orthogonal against torch', () => {
  const cases = Object.entries(TORCH_WEIGHT_NORM.parametrized).filter(([name]) => name.startsWith('orthogonal'));
  it.each(cases)('%s', (_, c) => {
    const expected = c as OrthogonalCase;
    const module = linear(expected.inFeatures, expected.outFeatures, expected.weight, expected.bias);
    const map = expected.map === '' ? {} : { orthogonalMap: expected.map as parametrizations.OrthogonalMap };
    parametrizations.orthogonal(module, { ...map, generator: new Generator(2) });
    expect(Object.keys(module.stateDict())).toEqual(expected.keys);
    expect(parametrize.isParametrized(module)).toBe(true);
    expect(parametrize.isParametrized(module, 'weight')).toBe(true);
    expect(parametrize.isParametrized(module, 'bias')).toBe(false);
    const base = module.getBuffer('parametrizations.weight.0.base');
    const square = expected.inFeatures === expected.outFeatures;
    // A square weight's base is its orthogonalization, as torch's; a non-square one's is completed by random columns.
    if (square) expectNear(module.weight, expected.initialWeight, 'the weight after registration');
    else base.assign(f64(expected.base));
    expectNear(base, expected.base, 'base');
    module.getParameter('parametrizations.weight.original').assign(f64(expected.original));
    const output = runBackward(module, expected.input, expected.weights);
    expectNear(output, expected.output, 'output');
    expectNear(module.weight, expected.parametrizedWeight, 'weight');
    for (const [name, grad] of Object.entries(expected.grads))
      expectNear(module.getParameter(name).grad, grad, `${name}.grad`);
    const orthonormal = tidy(() => {
      const w = module.weight;
      return w.shape[0]! >= w.shape[1]! ? matmul(transpose(w), w) : matmul(w, transpose(w));
    });
    expectNear(orthonormal, eyeValues(Math.min(expected.inFeatures, expected.outFeatures)), 'orthonormality', 1e-12);
    parametrize.removeParametrizations(module, 'weight');
    expect(Object.keys(module.stateDict())).toEqual(expected.keysAfterRemove);
    expectNear(module.weight, expected.parametrizedWeight, 'weight after removeParametrizations');
    expect(parametrize.isParametrized(module)).toBe(false);
  });

  it('keeps an orthogonal weight as it is (no QR rounding), as torch', () => {
    const orthogonalWeight = TORCH_WEIGHT_NORM.parametrized['orthogonal-square-default'].initialWeight;
    const module = linear(3, 3, orthogonalWeight, [0, 0, 0]);
    parametrizations.orthogonal(module, { orthogonalMap: 'cayley' });
    expect([...module.weight.dataSync()]).toEqual(flat(orthogonalWeight));
  });

  it('refuses a vector and an unknown map', () => {
    expect(() => parametrizations.orthogonal(new Linear(2, 2), { name: 'bias' })).toThrow(
      /expected a matrix or a batch of matrices, got 'bias' of shape \[2\]/,
    );
    expect(() => parametrizations.orthogonal(new Linear(2, 2), { orthogonalMap: 'expm' as never })).toThrow(
      /orthogonalMap must be one of 'matrix_exp', 'cayley', 'householder', got "expm"/,
    );
    expect(() => parametrizations.orthogonal(new Linear(2, 2), { name: 'scale' })).toThrow(
      /Linear has no parameter or buffer named 'scale'/,
    );
  });
});

const eyeValues = (n: number): number[] =>
  Array.from({ length: n * n }, (_, i) => (Math.floor(i / n) === i % n ? 1 : 0));

describe('parametrizations.spectralNorm against torch', () => {
  it.each(['spectralNorm-train', 'spectralNorm-eval'] as const)('%s', (name) => {
    const expected: SpectralCase = TORCH_WEIGHT_NORM.parametrized[name];
    const module = linear(3, 4, expected.weight, expected.bias).train(expected.training);
    parametrizations.spectralNorm(module, { generator: new Generator(4) });
    expect(Object.keys(module.stateDict())).toEqual(expected.keys);
    module.getBuffer('parametrizations.weight.0._u').assign(f64(expected.u));
    module.getBuffer('parametrizations.weight.0._v').assign(f64(expected.v));
    const output = runBackward(module, expected.input, expected.weights);
    expectNear(output, expected.output, 'output');
    expectNear(module.getBuffer('parametrizations.weight.0._u'), expected.uAfter, '_u after');
    expectNear(module.getBuffer('parametrizations.weight.0._v'), expected.vAfter, '_v after');
    for (const [key, grad] of Object.entries(expected.grads))
      expectNear(module.getParameter(key).grad, grad, `${key}.grad`);
  });

  it('refuses nPowerIterations below 1 and a dim outside the weight', () => {
    expect(() => parametrizations.spectralNorm(new Linear(2, 2), { nPowerIterations: 0 })).toThrow(
      /nPowerIterations must be a positive integer, got 0/,
    );
    expect(() => parametrizations.spectralNorm(new Linear(2, 2), { dim: 2 })).toThrow(/dim must be in \[-2, 2\)/);
  });
});

/** A parametrization with a right inverse: symmetric matrices from their lower triangle. */
class Symmetric extends Module {
  forward(x: Tensor): Tensor {
    const lower = tril(x);
    return lower.add(transpose(tril(x, -1)));
  }
  rightInverse(value: Tensor): Tensor {
    return tril(value);
  }
}

class Doubled extends Module {
  forward(x: Tensor): Tensor {
    return x.mul(2);
  }
}

describe('parametrize', () => {
  it('registers a chain, assigns through rightInverse, and removes it keeping the value or the original', () => {
    const module = new Linear(3, 3, { dtype: 'float64' });
    module.loadStateDict({
      weight: f64([
        [1, 2, 3],
        [4, 5, 6],
        [7, 8, 9],
      ]),
      bias: f64([0, 0, 0]),
    });
    const weight = module.weight;
    parametrize.registerParametrization(module, 'weight', new Symmetric());
    expect(module.getParameter('parametrizations.weight.original')).toBe(weight); // the same tensor, as torch's set_
    expectNear(module.weight, [1, 4, 7, 4, 5, 8, 7, 8, 9], 'symmetric');
    (module as unknown as { weight: Tensor }).weight = f64([
      [1, 0, 0],
      [2, 3, 0],
      [4, 5, 6],
    ]);
    expectNear(weight, [1, 0, 0, 2, 3, 0, 4, 5, 6], 'original after assignment');
    parametrize.registerParametrization(module, 'weight', new Doubled());
    expect(Object.keys(module.stateDict())).toEqual(['bias', 'parametrizations.weight.original']);
    expectNear(module.weight, [2, 4, 8, 4, 6, 10, 8, 10, 12], 'chain');
    expect(String(module)).toContain('(0): Symmetric()');
    expect(() => {
      (module as unknown as { weight: Tensor }).weight = f64([
        [1, 0, 0],
        [0, 1, 0],
        [0, 0, 1],
      ]);
    }).toThrow(/Doubled has no rightInverse/);
    expect(() => module.config()).toThrow(
      "Linear's parametrization Symmetric of 'weight' cannot be recorded in its config: Symmetric does not describe itself",
    );
    parametrize.removeParametrizations(module, 'weight', { leaveParametrized: false });
    expect(module.weight).toBe(weight);
    expectNear(module.weight, [1, 0, 0, 2, 3, 0, 4, 5, 6], 'the original kept');
    expect(module.config()).toEqual({ type: 'Linear', inFeatures: 3, outFeatures: 3, bias: true, dtype: 'float64' });
    parametrize.registerParametrization(module, 'weight', new Doubled());
    parametrize.removeParametrizations(module, 'weight');
    expectNear(module.weight, [2, 0, 0, 4, 6, 0, 8, 10, 12], 'the parametrized value kept');
    expect(module.weight).toBe(weight);
  });

  it('checks what the parametrization gives unless unsafe', () => {
    class Rows extends Module {
      forward(x: Tensor): Tensor {
        return x.sum(0);
      }
    }
    const module = new Linear(2, 3);
    expect(() => parametrize.registerParametrization(module, 'weight', new Rows())).toThrow(ShapeError);
    expect(Object.keys(module.stateDict())).toEqual(['weight', 'bias']); // nothing changed
    expect(() => parametrize.registerParametrization(module, 'weight', new Rows(), { unsafe: true })).not.toThrow();
    expect(module.weight.shape).toEqual([2]);
    expect(() => parametrize.removeParametrizations(module, 'bias')).toThrow(/Linear has no parametrization on 'bias'/);
    expect(() => parametrize.registerParametrization(module, 'scale', new Doubled())).toThrow(ArgumentError);
    expect(() => parametrize.registerParametrization(module, 'bias', new Doubled(), { safe: true } as never)).toThrow(
      /safe/,
    );
  });
});

describe('checkpoints of parametrized models', () => {
  it('the config records the parametrizations in order, and a checkpoint rebuilds the same model', async () => {
    registerModuleType('Scaled', (config) => new Scaled(config['factor'] as number));
    const model = new Sequential(
      parametrizations.orthogonal(new Linear(3, 4, { generator: new Generator(1) })),
      new ReLU(),
      parametrize.registerParametrization(
        weightNorm(new Linear(4, 2, { generator: new Generator(2) }), { dim: null }),
        'bias',
        new Scaled(3),
      ),
    );
    parametrizations.spectralNorm(model.getSubmodule('0') as Linear, { name: 'bias' });
    expect(
      (model.config() as unknown as { modules: ModuleConfig[] }).modules.map((m) => m['reparametrizations']),
    ).toEqual([
      [
        { type: 'orthogonal', name: 'weight', orthogonalMap: 'householder' },
        { type: 'parametrizations.spectralNorm', name: 'bias', nPowerIterations: 1, eps: 1e-12, dim: 0 },
      ],
      undefined,
      [
        { type: 'weightNorm', name: 'weight', dim: -1 },
        { type: 'parametrization', name: 'bias', module: { type: 'Scaled', factor: 3 } },
      ],
    ]);
    model.eval();
    const loaded = unpackCheckpoint(
      await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 }),
    );
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig).eval();
    expect(Object.keys(rebuilt.stateDict())).toEqual(Object.keys(model.stateDict()));
    rebuilt.loadStateDict(loaded.modelState);
    const x = tensor([[1, -2, 0.5]]);
    expect([...rebuilt.forward(x).dataSync()]).toEqual([...model.forward(x).dataSync()]);
    parametrize.removeParametrizations(model.getSubmodule('0'), 'weight');
    parametrize.removeParametrizations(model.getSubmodule('0'), 'bias');
    expect(model.getSubmodule('0').config()).toEqual({ type: 'Linear', inFeatures: 3, outFeatures: 4, bias: true });
    expect(() =>
      moduleFromConfig({ type: 'Linear', inFeatures: 2, outFeatures: 2, reparametrizations: [{ type: 'fold' }] }),
    ).toThrow(/reparametrizations\[0\]: "type" must be one of 'weightNorm', .*got "fold"/);
  });
});

/** A user parametrization that describes itself (registered with registerModuleType). */
class Scaled extends Module {
  constructor(readonly factor: number) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.factor);
  }
  override config(): ModuleConfig {
    return { type: 'Scaled', factor: this.factor };
  }
}

describe('memory', () => {
  it('a training step of reparametrized layers frees everything it made', () => {
    const model = new Sequential(
      weightNorm(new Linear(3, 4)),
      spectralNorm(new Linear(4, 4)),
      parametrizations.orthogonal(new Linear(4, 4)),
      parametrizations.spectralNorm(new Linear(4, 2)),
    );
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    const x = tensor([[1, 2, 3]]);
    const step = (): void =>
      tidy(() => {
        optimizer.zeroGrad();
        model.forward(x).sum().backward();
        optimizer.step();
      });
    step();
    const backend = x.backend;
    const before = backend.liveHandles();
    step();
    step();
    expect(backend.liveHandles()).toBe(before);
  });
});

describe('config of a reparametrized layer', () => {
  it('computes no weight: no tensor is left behind and no power iteration runs', () => {
    const model = new Sequential(
      weightNorm(new Linear(3, 4)),
      spectralNorm(new Linear(4, 4)),
      parametrizations.orthogonal(new Linear(4, 4)),
      parametrizations.spectralNorm(new Linear(4, 2)),
    );
    const u = model.getBuffer('3.parametrizations.weight.0._u');
    const uBefore = [...u.dataSync()];
    const backend = u.backend;
    const before = backend.liveHandles();
    const config = model.config();
    model.config();
    expect(backend.liveHandles()).toBe(before);
    expect([...u.dataSync()]).toEqual(uBefore);
    expect((config['modules'] as ModuleConfig[]).map((m) => m['reparametrizations'])).toHaveLength(4);
    expect(model.getSubmodule('3').training).toBe(true);
  });
});

describe('a frozen weight stays frozen, as torch keeps the same Parameter', () => {
  const frozen = (): Linear => {
    const linear = new Linear(3, 4);
    linear.weight.requiresGrad = false;
    return linear;
  };
  it('spectralNorm: weight_orig, then a new trainable weight on remove (torch 1.13)', () => {
    const linear = spectralNorm(frozen());
    expect(linear.getParameter('weight_orig').requiresGrad).toBe(false);
    removeSpectralNorm(linear);
    expect(linear.weight.requiresGrad).toBe(true);
  });
  it('parametrize: original, and the restored weight', () => {
    for (const leaveParametrized of [true, false]) {
      const linear = parametrizations.orthogonal(frozen());
      expect(linear.getParameter('parametrizations.weight.original').requiresGrad).toBe(false);
      parametrize.removeParametrizations(linear, 'weight', { leaveParametrized });
      expect(linear.weight.requiresGrad).toBe(false);
    }
    const linear = parametrizations.spectralNorm(frozen());
    expect(linear.getParameter('parametrizations.weight.original').requiresGrad).toBe(false);
  });
  it('weightNorm makes new parameters, trainable as in torch', () => {
    const linear = weightNorm(frozen());
    expect(linear.getParameter('weight_g').requiresGrad).toBe(true);
    expect(linear.getParameter('weight_v').requiresGrad).toBe(true);
  });
});

describe('the built-in parametrizations free their buffers', () => {
  it('on removeParametrizations', () => {
    const linear = new Linear(3, 4);
    const backend = linear.weight.backend;
    const before = backend.liveHandles();
    parametrizations.orthogonal(linear);
    parametrizations.spectralNorm(linear, { name: 'bias' });
    parametrize.removeParametrizations(linear, 'weight');
    parametrize.removeParametrizations(linear, 'bias', { leaveParametrized: false });
    expect(backend.liveHandles()).toBe(before);
  });

  it('when the registration fails', () => {
    /** A module whose `weight` is a plain field, neither parameter nor buffer. */
    class Plain extends Module {
      readonly weight = tensor([
        [1, 2],
        [3, 4],
      ]);
      forward(x: Tensor): Tensor {
        return matmul(x, this.weight);
      }
    }
    const plain = new Plain();
    const backend = plain.weight.backend;
    const before = backend.liveHandles();
    expect(() => parametrizations.spectralNorm(plain)).toThrow(
      /Plain has no parameter, buffer or parametrized tensor named 'weight'/,
    );
    expect(() => parametrizations.orthogonal(plain)).toThrow(/no parameter, buffer or parametrized tensor/);
    expect(backend.liveHandles()).toBe(before);
  });
});

describe('a container whose config does not include its children', () => {
  it("refuses a checkpoint that would drop a descendant's reparametrization, naming it", () => {
    const layer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, dropout: 0 });
    const model = new Sequential(layer, new ReLU());
    weightNorm(layer.linear1);
    expect(() => captureCheckpoint({ model }, 0)).toThrow(
      /Sequential.config\(\): its descendant '0.linear1' \(Linear\) has weightNorm, which the config cannot record/,
    );
    expect(() => captureCheckpoint({ model: layer }, 0)).toThrow(
      /TransformerEncoderLayer.config\(\): its descendant 'linear1'/,
    );
    expect(layer.linear1.config()['reparametrizations']).toEqual([{ type: 'weightNorm', name: 'weight', dim: 0 }]);
    removeWeightNorm(layer.linear1);
    const checkpoint = captureCheckpoint({ model }, 0);
    expect((checkpoint.modelConfig as ModuleConfig)['type']).toBe('Sequential');
  });
});
