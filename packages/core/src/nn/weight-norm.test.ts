import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  Conv2d,
  ConvTranspose2d,
  Linear,
  Sequential,
  ReLU,
  SGD,
  Generator,
  moduleFromConfig,
  packCheckpoint,
  removeSpectralNorm,
  removeWeightNorm,
  spectralNorm,
  tensor,
  tidy,
  unpackCheckpoint,
  weightNorm,
  type Tensor,
} from '@myelin/core';
import { TORCH_WEIGHT_NORM } from './weight-norm-fixture.js';
import { f64, runBackward } from './test-reparametrization.js';

// weightNorm and spectralNorm against torch 1.13's weight_norm and spectral_norm in float64
// (scripts/make-weight-norm-fixture.py): state-dict keys, values and gradients.

const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as unknown[]).flatMap(flat) : [v as number]);

function expectNear(actual: Tensor | null, expected: unknown, what: string): void {
  expect(actual, what).not.toBeNull();
  const a = [...actual!.dataSync()].map(Number);
  const e = flat(expected);
  expect(a.length, what).toBe(e.length);
  a.forEach((value, i) => expect(Math.abs(value - e[i]!), `${what}[${i}]`).toBeLessThan(1e-10 * (1 + Math.abs(e[i]!))));
}

function build(kind: string, weight: unknown, bias: unknown): Linear | Conv2d {
  const module = kind === 'linear' ? new Linear(3, 4, { dtype: 'float64' }) : new Conv2d(2, 3, 2, { dtype: 'float64' });
  module.loadStateDict({ weight: f64(weight), bias: f64(bias) });
  return module;
}

describe('weightNorm against torch.nn.utils.weight_norm', () => {
  const cases = Object.entries(TORCH_WEIGHT_NORM.cases).filter(([name]) => name.startsWith('weightNorm'));
  it.each(cases)('%s', (_, c) => {
    const expected = c as (typeof TORCH_WEIGHT_NORM.cases)['weightNorm-linear-dim-0'];
    const module = build(expected.kind, expected.weight, expected.bias);
    expect(weightNorm(module, { dim: expected.dim === -1 ? null : expected.dim })).toBe(module);
    expect(Object.keys(module.stateDict())).toEqual(expected.keys);
    expect(module.getParameter('weight_g').shape).toEqual(expected.gShape);
    expectNear(module.getParameter('weight_g'), expected.g, 'weight_g');
    const output = runBackward(module, expected.input, expected.weights);
    expectNear(output, expected.output, 'output');
    expectNear(module.weight, expected.computedWeight, 'weight');
    for (const [name, grad] of Object.entries(expected.grads))
      expectNear(module.getParameter(name).grad, grad, `${name}.grad`);
    expect(module.parameters().length).toBe(3);
  });

  it('removeWeightNorm makes the current weight a parameter again, under its own name', () => {
    const c = TORCH_WEIGHT_NORM.cases['weightNorm-linear-dim-0'];
    const module = weightNorm(build('linear', c.weight, c.bias));
    const v = module.getParameter('weight_v');
    tidy(() => {
      module.getParameter('weight_g').assign(module.getParameter('weight_g').mul(2));
    });
    removeWeightNorm(module);
    expect(Object.keys(module.stateDict())).toEqual(['bias', 'weight']);
    expect(v.isDisposed).toBe(true);
    expect(module.weight).toBe(module.getParameter('weight'));
    expect(module.weight.requiresGrad).toBe(true);
    expectNear(
      module.weight,
      flat(c.weight).map((x) => 2 * x),
      'weight',
    );
    expect(() => removeWeightNorm(module)).toThrow(/Linear has no weightNorm on 'weight'/);
  });

  it('a torch state dict loads, and the weight follows g and v when the module trains', () => {
    const c = TORCH_WEIGHT_NORM.cases['weightNorm-conv2d-dim-0'];
    const module = weightNorm(new Conv2d(2, 3, 2, { dtype: 'float64' }));
    module.loadStateDict({ bias: f64(c.bias), weight_g: f64(c.g), weight_v: f64(c.weight) });
    expectNear(module.weight, c.computedWeight, 'weight after load');
    const before = [...module.weight.dataSync()];
    const optimizer = new SGD(module.parameters(), { lr: 0.1 });
    runBackward(module, c.input, c.weights);
    optimizer.step();
    expect([...module.weight.dataSync()]).not.toEqual(before);
  });

  it('a checkpoint of a weight-normed model saves and loads', async () => {
    const model = new Sequential(weightNorm(new Linear(3, 4, { generator: new Generator(1) })), new ReLU());
    expect(model.config()).toEqual({
      type: 'Sequential',
      modules: [
        {
          type: 'Linear',
          inFeatures: 3,
          outFeatures: 4,
          bias: true,
          reparametrizations: [{ type: 'weightNorm', name: 'weight', dim: 0 }],
        },
        { type: 'ReLU' },
      ],
    });
    const loaded = unpackCheckpoint(
      await packCheckpoint({ modelConfig: model.config(), modelState: model.stateDict(), epoch: 1 }),
    );
    const rebuilt = moduleFromConfig(loaded.modelConfig as { type: string });
    rebuilt.loadStateDict(loaded.modelState);
    const x = tensor([[1, -2, 0.5]]);
    expect([...rebuilt.forward(x).dataSync()]).toEqual([...model.forward(x).dataSync()]);
    removeWeightNorm(model.getSubmodule('0'));
    expect(model.config()).toEqual({
      type: 'Sequential',
      modules: [{ type: 'Linear', inFeatures: 3, outFeatures: 4, bias: true }, { type: 'ReLU' }],
    });
  });

  it('moves with the module', () => {
    const module = weightNorm(new Linear(2, 2));
    module.to('float64');
    expect(module.weight.dtype).toBe('float64');
    expect(module.forward(tensor([[1, 2]], { dtype: 'float64' })).dtype).toBe('float64');
  });

  it('refuses bad arguments with what was wrong', () => {
    const linear = new Linear(2, 2);
    expect(() => weightNorm(linear, { name: 'scale' })).toThrow(ArgumentError);
    expect(() => weightNorm(linear, { dim: 2 })).toThrow(/dim must be an integer in \[-2, 2\).*got 2/);
    expect(() => weightNorm(linear, { dim: -3 })).toThrow(/dim must be an integer in \[-2, 2\).*got -3/);
    expect(() => weightNorm(linear, { dims: 0 } as never)).toThrow(/dims/);
    expect(() => weightNorm(linear, { name: 'a.b' })).toThrow(/no '\.'/);
    weightNorm(linear);
    expect(() => weightNorm(linear)).toThrow(/already has weightNorm; remove it first \(removeWeightNorm\)/);
    expect(() => spectralNorm(linear)).toThrow(/already has weightNorm/);
    expect(() => removeSpectralNorm(linear)).toThrow(/has no spectralNorm on 'weight'/);
    expect(() => moduleFromConfig({ type: 'Linear', inFeatures: 2, outFeatures: 2, reparametrizations: 'x' })).toThrow(
      /moduleFromConfig: Linear: 'reparametrizations' must be a list/,
    );
  });
});

describe('spectralNorm against torch.nn.utils.spectral_norm', () => {
  const cases = Object.entries(TORCH_WEIGHT_NORM.cases).filter(([name]) => name.startsWith('spectralNorm'));
  it.each(cases)('%s', (_, c) => {
    const expected = c as (typeof TORCH_WEIGHT_NORM.cases)['spectralNorm-linear-train'];
    const module = build(expected.kind, expected.weight, expected.bias);
    spectralNorm(module, { nPowerIterations: expected.steps, generator: new Generator(3) });
    expect(Object.keys(module.stateDict())).toEqual(expected.keys);
    module.getBuffer('weight_u').assign(f64(expected.u));
    module.getBuffer('weight_v').assign(f64(expected.v));
    module.train(expected.training);
    const output = runBackward(module, expected.input, expected.weights);
    expectNear(output, expected.output, 'output');
    expectNear(module.getBuffer('weight_u'), expected.uAfter, 'weight_u after');
    expectNear(module.getBuffer('weight_v'), expected.vAfter, 'weight_v after');
    for (const [name, grad] of Object.entries(expected.grads))
      expectNear(module.getParameter(name).grad, grad, `${name}.grad`);
  });

  it('starts from unit u and v drawn from the generator; ConvTranspose takes dim 1 as torch', () => {
    const module = spectralNorm(new ConvTranspose2d(2, 3, 2), { generator: new Generator(5) });
    expect(module.getBuffer('weight_u').shape).toEqual(TORCH_WEIGHT_NORM.convTransposeUShape);
    expect(module.getBuffer('weight_v').shape).toEqual(TORCH_WEIGHT_NORM.convTransposeVShape);
    const u = [...module.getBuffer('weight_u').dataSync()];
    expect(Math.hypot(...u)).toBeCloseTo(1, 6);
    const again = spectralNorm(new ConvTranspose2d(2, 3, 2), { generator: new Generator(5) });
    expect([...again.getBuffer('weight_u').dataSync()]).toEqual(u);
  });

  it('removeSpectralNorm keeps the normalized weight as the parameter', () => {
    const c = TORCH_WEIGHT_NORM.cases['spectralNorm-linear-eval'];
    const module = spectralNorm(build('linear', c.weight, c.bias)).eval();
    module.getBuffer('weight_u').assign(f64(c.u));
    module.getBuffer('weight_v').assign(f64(c.v));
    const normalized = [...module.weight.dataSync()];
    removeSpectralNorm(module);
    expect(Object.keys(module.stateDict())).toEqual(['bias', 'weight']);
    expect([...module.weight.dataSync()]).toEqual(normalized);
    expect(() => spectralNorm(module, { nPowerIterations: -1 })).toThrow(
      /nPowerIterations must be an integer >= 0, got -1/,
    );
    expect(() => spectralNorm(module, { dim: 3 })).toThrow(/dim must be an integer in \[0, 2\)/);
  });
});

describe('the weight read outside a forward', () => {
  it('is computed without gradient and freed when a forward, a move or the remove replaces it', () => {
    for (const normed of [weightNorm(new Linear(4, 4)), spectralNorm(new Linear(4, 4))]) {
      const x = tensor([[1, 2, 3, 4]]);
      const backend = x.backend;
      expect(normed.weight.requiresGrad).toBe(false);
      const before = backend.liveHandles();
      for (let round = 0; round < 5; round++) {
        tidy(() => {
          normed.forward(x);
        });
        expect(normed.weight.isDisposed).toBe(false);
      }
      expect(backend.liveHandles()).toBe(before);
      normed.to('float64');
      expect(normed.weight.dtype).toBe('float64');
      expect(backend.liveHandles()).toBe(before);
      // The getter's weight freed, the new weight parameter made, g and v (weight_orig, u and v) freed.
      if (normed.namedParameters().some(([key]) => key === 'weight_g')) {
        removeWeightNorm(normed);
        expect(backend.liveHandles()).toBe(before - 2);
      } else {
        removeSpectralNorm(normed);
        expect(backend.liveHandles()).toBe(before - 3);
      }
    }
  });
});
