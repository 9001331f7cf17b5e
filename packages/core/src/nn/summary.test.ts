import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  BatchNorm2d,
  Conv2d,
  Dropout,
  Embedding,
  Flatten,
  Linear,
  MaxPool2d,
  Module,
  ReLU,
  Sequential,
  ShapeError,
  Tanh,
  summary,
  type Tensor,
} from '@myelin/core';

const lenet = () =>
  new Sequential(
    new Conv2d(1, 6, 5, { padding: 2 }),
    new BatchNorm2d(6),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(6 * 14 * 14, 32),
    new ReLU(),
    new Dropout(0.5),
    new Linear(32, 10),
  );

describe('summary', () => {
  it("gives each layer's output shape and parameters, as Keras' model.summary() does", () => {
    const model = lenet();
    const result = summary(model, [1, 28, 28], { batchSize: 4 });
    expect(result.inputShape).toEqual([4, 1, 28, 28]);
    expect(result.outputShape).toEqual([4, 10]);
    expect(result.layers.map((l) => [l.name, l.type, l.outputShape, l.parameters])).toEqual([
      ['0', 'Conv2d', [4, 6, 28, 28], 6 * 25 + 6],
      ['1', 'BatchNorm2d', [4, 6, 28, 28], 12],
      ['2', 'ReLU', [4, 6, 28, 28], 0],
      ['3', 'MaxPool2d', [4, 6, 14, 14], 0],
      ['4', 'Flatten', [4, 1176], 0],
      // Linear + ReLU run as one fused op; the ReLU row still gets its (equal) shape.
      ['5', 'Linear', [4, 32], 1176 * 32 + 32],
      ['6', 'ReLU', [4, 32], 0],
      ['7', 'Dropout', [4, 32], 0],
      ['8', 'Linear', [4, 10], 330],
    ]);
    expect(result.totalParameters).toBe(model.numParameters());
    expect(result.trainableParameters).toBe(model.numParameters());
    const text = result.toString();
    expect(text).toContain('Input shape: [4, 1, 28, 28]');
    expect(text).toMatch(/5 \(Linear\) +\[4, 32\] +37,664/);
    expect(text).toContain(`Parameters: ${model.numParameters().toLocaleString('en-US')} (trainable`);
  });

  it('leaves the model as it was: training flags, running statistics, forward methods', async () => {
    const model = lenet();
    const norm = model.at(1) as BatchNorm2d;
    const before = await norm.runningMean!.array();
    const forward = model.at(0).forward;
    summary(model, [1, 28, 28]);
    expect(model.training).toBe(true);
    expect(model.at(7).training).toBe(true);
    expect(await norm.runningMean!.array()).toEqual(before);
    expect(model.at(0).forward).toBe(forward);
    expect(Object.hasOwn(model.at(5), 'forwardActivation')).toBe(false);
    model.eval();
    summary(model, [1, 28, 28]);
    expect(model.at(7).training).toBe(false);
  });

  it("a wrong input shape fails with the layer's own error, and nothing stays patched", () => {
    const model = new Sequential(new Linear(4, 3), new Tanh());
    expect(() => summary(model, [5])).toThrow(ShapeError);
    expect(() => summary(model, [5])).toThrow(/Linear\(4 -> 3\) got input of shape \[1, ?5\]/);
    expect(Object.hasOwn(model.at(0), 'forward')).toBe(false);
    expect(summary(model, [4]).outputShape).toEqual([1, 3]);
  });

  it('lists custom modules with parameters of their own, and feeds int32 ids to an Embedding', () => {
    class Scaled extends Module {
      readonly scale = this.registerParameter('scale', new Linear(1, 1).weight.detach());
      readonly inner = this.registerModule('inner', new Linear(8, 2));
      forward(x: Tensor): Tensor {
        return this.inner.forward(x).mul(this.scale);
      }
    }
    const custom = summary(new Scaled(), [8]);
    expect(custom.layers.map((l) => [l.name, l.type, l.outputShape, l.parameters])).toEqual([
      ['', 'Scaled', [1, 2], 1],
      ['inner', 'Linear', [1, 2], 18],
    ]);
    const embedded = summary(new Sequential(new Embedding(20, 4), new Flatten()), [3]);
    expect(embedded.outputShape).toEqual([1, 12]);
    expect(() => summary(new Linear(2, 2), [0])).toThrow(/summary: inputShape\[0\]/);
  });
});
