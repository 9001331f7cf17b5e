import { expect } from 'vitest';
import { fromHost, scalar, tensor, type Checkpoint, type Tensor } from '@myelin/core';

/** A checkpoint with every part filled: model and optimizer tensors of each dtype, JSON with NaN/Infinity. */
export function sampleCheckpoint(scale = 1): Checkpoint {
  const f32 = (values: number[], shape: number[]): Tensor =>
    fromHost(new Float32Array(values.map((v) => v * scale)), shape);
  return {
    modelConfig: {
      type: 'Sequential',
      layers: [{ type: 'Linear', inFeatures: 2, outFeatures: 3, bias: true }, { type: 'ReLU' }],
    },
    modelState: {
      '0.weight': f32([0.1, -0.2, 0.3, -0.4, 0.5, -0.6], [3, 2]),
      '0.bias': f32([1, 2, 3], [3]),
      'norm.runningVar': fromHost(new Float64Array([1e-300, 2.5]), [2]),
      'norm.count': scalar(7 * scale, { dtype: 'int32' }),
      mask: tensor([true, false, true]),
      empty: fromHost(new Float32Array(0), [0, 4]),
    },
    optimizerState: {
      state: {
        0: { step: 3, exp_avg: f32([1, 2, 3, 4, 5, 6], [3, 2]), exp_avg_sq: f32([6, 5, 4, 3, 2, 1], [3, 2]) },
        1: { step: 3, exp_avg: f32([0.5, 0.5, 0.5], [3]), exp_avg_sq: f32([0.25, 0.25, 0.25], [3]) },
      },
      paramGroups: [
        { params: [0, 1], lr: 0.001 * scale, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maxLr: Infinity },
      ],
    },
    schedulerState: { lastEpoch: 4, best: Infinity, numBadEpochs: 0 },
    epoch: 4,
    rngState: { seed: 42, offset: 17 },
    metrics: { loss: [0.9, 0.5, 0.4, 0.35], valLoss: 0.31 * scale, worst: -Infinity, undefinedAtStart: NaN },
    extra: { note: 'ünïcödé', nested: { list: [1, null, 'x'] } },
  };
}

/** Asserts two checkpoints hold the same values (tensors compared by dtype, shape and data). */
export async function expectSameCheckpoint(actual: Checkpoint, expected: Checkpoint): Promise<void> {
  const expectSameTensors = async (
    a: Record<string, Tensor | number>,
    b: Record<string, Tensor | number>,
  ): Promise<void> => {
    expect(Object.keys(a)).toEqual(Object.keys(b));
    for (const [key, value] of Object.entries(b)) {
      const got = a[key]!;
      if (typeof value === 'number') {
        expect(got, key).toBe(value);
        continue;
      }
      expect(typeof got, key).toBe('object');
      const t = got as Tensor;
      expect(t.dtype, key).toBe(value.dtype);
      expect(t.shape, key).toEqual(value.shape);
      expect([...(await t.data())], key).toEqual([...(await value.data())]);
    }
  };
  await expectSameTensors(actual.modelState, expected.modelState);
  expect(actual.modelConfig).toEqual(expected.modelConfig);
  expect(actual.epoch).toBe(expected.epoch);
  expect(actual.rngState).toEqual(expected.rngState);
  expect(actual.schedulerState).toEqual(expected.schedulerState);
  expect(actual.metrics).toEqual(expected.metrics);
  expect(actual.extra).toEqual(expected.extra);
  expect(actual.optimizerState === undefined).toBe(expected.optimizerState === undefined);
  if (actual.optimizerState && expected.optimizerState) {
    expect(actual.optimizerState.paramGroups).toEqual(expected.optimizerState.paramGroups);
    expect(Object.keys(actual.optimizerState.state)).toEqual(Object.keys(expected.optimizerState.state));
    for (const index of Object.keys(expected.optimizerState.state).map(Number)) {
      await expectSameTensors(actual.optimizerState.state[index]!, expected.optimizerState.state[index]!);
    }
  }
}
