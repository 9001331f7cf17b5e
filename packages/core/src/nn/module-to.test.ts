import { describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  BatchNorm1d,
  Linear,
  SGD,
  Sequential,
  getBackend,
  mseLoss,
  randn,
  registerBackend,
  removeBackend,
  tensor,
} from '@myelin/core';

describe('Module.to (model.to(device), model.double())', () => {
  it('casts float parameters and buffers in place; int buffers, identities and an optimizer stay', () => {
    const model = new Sequential(new Linear(3, 4), new BatchNorm1d(4));
    const weight = model.getParameter('0.weight');
    const before = Array.from(weight.dataSync());
    const optimizer = new SGD(model.parameters(), { lr: 0.1 });
    model.double();
    expect(model.getParameter('0.weight')).toBe(weight);
    expect(weight.dtype).toBe('float64');
    expect(Array.from(weight.dataSync())).toEqual(before);
    expect(model.getBuffer('1.running_mean').dtype).toBe('float64');
    expect(model.getBuffer('1.num_batches_tracked').dtype).toBe('int32');
    // The optimizer built before the move steps the moved tensors.
    const x = randn([5, 3], { dtype: 'float64' });
    mseLoss(model.forward(x), randn([5, 4], { dtype: 'float64' })).backward();
    expect(weight.grad!.dtype).toBe('float64');
    optimizer.step();
    expect(Array.from(weight.dataSync())).not.toEqual(before);
    model.float();
    expect(weight.dtype).toBe('float32');
    expect(weight.grad!.dtype).toBe('float32'); // the gradient moves with its tensor
  });

  it('moves to another backend by name or object, and a recorded graph is refused afterwards', () => {
    registerBackend('module-to-second', createCpuReferenceBackend);
    try {
      const layer = new Linear(2, 2);
      const out = layer.forward(tensor([[1, 2]]));
      const second = getBackend('module-to-second');
      layer.to({ backend: 'module-to-second', dtype: 'float64' });
      expect(layer.weight.backend).toBe(second);
      expect(layer.bias!.backend).toBe(second);
      expect(layer.weight.dtype).toBe('float64');
      expect(() => out.sum().backward()).toThrow(/was modified in place/);
      layer.to(getBackend('cpu-reference'));
      expect(layer.weight.backend.name).toBe('cpu-reference');
    } finally {
      removeBackend('module-to-second');
    }
  });

  it('names what it cannot do', () => {
    const layer = new Linear(2, 2);
    expect(() => layer.to('int32')).toThrow(ArgumentError);
    expect(() => layer.to({ dtype: 'int32' })).toThrow(
      "Linear.to: expected a backend, its name, 'float32', 'float64' or { backend, dtype } (dtype 'float32' or 'float64'), got {\"dtype\":\"int32\"}",
    );
    expect(() => layer.to('no-such-backend')).toThrow(/no-such-backend/);
    const made = layer.forward(tensor([[1, 2]]));
    expect(() => made.moveInPlace(made.backend, 'float64')).toThrow(
      /only leaves \(parameters, buffers\) move in place/,
    );
  });
});
