import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { Conv2d, Flatten, Linear, ReLU, Sequential } from '@myelin/core';
import { builtModelBytes, modelBytes, optimizerCopies } from './memory-budget.js';

describe('optimizerCopies: the gradient plus each optimizer’s state tensors per parameter', () => {
  it('counts what core’s optimizers keep', () => {
    const copies = (optimizer: Record<string, unknown>) => optimizerCopies(optimizer).copies;
    expect(copies({ type: 'sgd' })).toBe(1);
    expect(copies({ type: 'SGD', momentum: 0.9 })).toBe(2);
    expect(copies({ type: 'adam' })).toBe(3);
    expect(copies({ type: 'AdamW' })).toBe(3);
    expect(copies({ type: 'rmsprop' })).toBe(2);
    expect(copies({ type: 'rmsprop', momentum: 0.9 })).toBe(3);
    expect(copies({ type: 'RMSprop', momentum: 0.9, centered: true })).toBe(4);
    expect(copies({ type: 'adagrad' })).toBe(2);
    expect(copies({ type: 'adadelta' })).toBe(3);
    expect(copies({ type: 'adamax' })).toBe(3);
    expect(copies({ type: 'NAdam' })).toBe(3);
    expect(copies({ type: 'RAdam' })).toBe(3);
    expect(copies({ type: 'rprop' })).toBe(3);
    expect(copies({ type: 'asgd' })).toBe(2);
    expect(optimizerCopies({ type: 'rmsprop', centered: true }).name).toBe('RMSprop state');
  });

  it('sizes a model with them: 4 bytes x parameters x (1 + copies) plus activations', () => {
    const model = { type: 'Sequential', modules: [{ type: 'Linear', inFeatures: 10, outFeatures: 5 }] };
    // 55 parameters, 5 activations per sample, twice (values and gradients), batch 2.
    expect(modelBytes(model, { type: 'adadelta' }, 2)).toEqual({
      bytes: 4 * (55 * 4 + 5 * 2 * 2),
      parameters: 55,
      purpose: 'parameters and Adadelta state',
    });
  });

  it('sizes a built model with every layer: the parameters and feature maps of a convolution count too', () => {
    const model = new Sequential(new Conv2d(1, 4, 3, { padding: 1 }), new ReLU(), new Flatten(), new Linear(64, 2));
    // Parameters 4*9+4 + 64*2+2 = 170; per sample: conv 4*4*4 = 64, relu 64, flatten 64, linear 2.
    expect(builtModelBytes(model, [1, 4, 4], { type: 'adam' }, 3)).toEqual({
      bytes: 4 * (170 * 4 + (64 * 3 + 2) * 3 * 2),
      parameters: 170,
      purpose: 'parameters, Adam state and the activations of a batch of 3',
    });
  });
});
