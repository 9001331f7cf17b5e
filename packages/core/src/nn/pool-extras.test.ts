import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AdaptiveMaxPool1d,
  FractionalMaxPool2d,
  fractionalMaxPool2d,
  Generator,
  LPPool1d,
  LPPool2d,
  Sequential,
  adaptiveMaxPool1d,
  lpPool1d,
  lpPool2d,
  moduleFromConfig,
  rand,
  tensor,
  tidy,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';

const values = async (t: Tensor) => Array.from(await t.data());

describe('LPPool1d, LPPool2d, AdaptiveMaxPool1d', () => {
  it('run their functional forms, and round-trip through their configs with their reprs', async () => {
    const x1 = rand([2, 3, 8], { generator: new Generator(1) });
    const x2 = rand([1, 2, 5, 6], { generator: new Generator(2) });
    const lp1 = new LPPool1d(2, 3, { stride: 2 });
    const lp2 = new LPPool2d(1.5, [2, 3], { ceilMode: true });
    const adaptive = new AdaptiveMaxPool1d(3);
    expect(await values(lp1.forward(x1))).toEqual(await values(lpPool1d(x1, 2, 3, { stride: 2 })));
    expect(await values(lp2.forward(x2))).toEqual(await values(lpPool2d(x2, 1.5, [2, 3], { ceilMode: true })));
    expect(await values(adaptive.forward(x1))).toEqual(await values(adaptiveMaxPool1d(x1, 3)));
    const model = new Sequential(lp1, adaptive);
    const config = JSON.parse(JSON.stringify(model.config())) as ModuleConfig;
    expect(config['modules']).toEqual([
      { type: 'LPPool1d', normType: 2, kernelSize: 3, stride: 2, ceilMode: false },
      { type: 'AdaptiveMaxPool1d', outputSize: 3 },
    ]);
    expect(lp2.config()).toEqual({
      type: 'LPPool2d',
      normType: 1.5,
      kernelSize: [2, 3],
      stride: [2, 3],
      ceilMode: true,
    });
    expect(moduleFromConfig(lp2.config()).config()).toEqual(lp2.config());
    const rebuilt = moduleFromConfig(config);
    expect(rebuilt.toString()).toBe(model.toString());
    expect(model.toString()).toContain('LPPool1d(normType=2, kernelSize=3, stride=2, ceilMode=false)');
    expect(model.toString()).toContain('AdaptiveMaxPool1d(outputSize=3)');
    expect(await values(rebuilt.forward(x1))).toEqual(await values(model.forward(x1)));
  });

  it('reject bad arguments naming the layer and the value', () => {
    expect(() => new LPPool1d(2, 0)).toThrow(/LPPool1d: kernelSize/);
    expect(() => new LPPool2d(Number.NaN, 2)).toThrow('LPPool2d: normType must be a finite number, got NaN');
    expect(() => new LPPool1d(0, 2)).toThrow('LPPool1d: normType must be a non-zero number, got 0');
    expect(() => new LPPool2d(0, 2)).toThrow('LPPool2d: normType must be a non-zero number, got 0');
    expect(() => new LPPool2d(2, 2, { padding: 1 } as never)).toThrow(/padding/);
    expect(() => new AdaptiveMaxPool1d(0)).toThrow(/AdaptiveMaxPool1d: outputSize/);
    expect(() => moduleFromConfig({ type: 'LPPool1d', kernelSize: 2 })).toThrow(
      "moduleFromConfig: LPPool1d option 'normType' is required (a number)",
    );
  });

  it('FractionalMaxPool2d draws new windows each forward from its generator, and round-trips its config', async () => {
    const x = rand([1, 2, 7, 7], { generator: new Generator(3) });
    const pool = new FractionalMaxPool2d(2, { outputRatio: 0.5, generator: new Generator(4) });
    const first = await values(pool.forward(x));
    expect(first).toEqual(await values(fractionalMaxPool2d(x, 2, { outputRatio: 0.5, generator: new Generator(4) })));
    expect(pool.forward(x).shape).toEqual([1, 2, 3, 3]);
    expect(pool.config()).toEqual({ type: 'FractionalMaxPool2d', kernelSize: 2, outputRatio: 0.5 });
    expect(pool.toString()).toContain('FractionalMaxPool2d(kernelSize=2x2, outputRatio=0.5x0.5)');
    const sized = new FractionalMaxPool2d([3, 2], { outputSize: [2, 4] });
    expect(moduleFromConfig(sized.config()).config()).toEqual({
      type: 'FractionalMaxPool2d',
      kernelSize: [3, 2],
      outputSize: [2, 4],
    });
    expect(moduleFromConfig(pool.config()).config()).toEqual(pool.config());
    expect(() => new FractionalMaxPool2d(2)).toThrow(
      'FractionalMaxPool2d: give exactly one of outputSize and outputRatio',
    );
    expect(() => new FractionalMaxPool2d(2, { outputRatio: [0.5, 1] })).toThrow(/outputRatio must be in \(0, 1\)/);
    expect(() =>
      moduleFromConfig({ type: 'FractionalMaxPool2d', kernelSize: 2, outputSize: 2, outputRatio: 0.5 }),
    ).toThrow(/give outputSize or outputRatio, not both/);
  });
});

describe('FractionalMaxPool2d with fixed randomSamples', () => {
  it('keeps them past the tidy that made them, and refuses a config that would lose them', async () => {
    const x = rand([1, 1, 5, 5], { generator: new Generator(5) });
    let pool!: FractionalMaxPool2d;
    tidy(() => {
      pool = new FractionalMaxPool2d(2, { outputSize: 2, randomSamples: tensor([[[0.3, 0.6]]]) });
    });
    const want = await values(fractionalMaxPool2d(x, 2, { outputSize: 2, randomSamples: tensor([[[0.3, 0.6]]]) }));
    expect(await values(pool.forward(x))).toEqual(want);
    expect(await values(pool.forward(x))).toEqual(want);
    expect(() => pool.config()).toThrow(
      'FractionalMaxPool2d.config: a layer built with randomSamples has no config (the samples are a tensor, and without them it would draw random windows); build it with a generator to save it',
    );
    expect(() => new FractionalMaxPool2d(2, { outputSize: 2, randomSamples: tensor([0.3, 0.6]) })).toThrow(
      'FractionalMaxPool2d: randomSamples must be a Tensor [N, C, 2], got shape [2]',
    );
    pool.dispose();
  });
});
