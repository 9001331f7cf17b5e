import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CrossEntropyLoss,
  Generator,
  Linear,
  SGD,
  ShapeError,
  fromHost,
  getBackend,
  manualSeed,
  noGrad,
  tensor,
  tidy,
  type Tensor,
} from '@myelin/core';
import { EarlyStopping, MonitorTracker, evaluate, fit, resolveMetric, type Batch, type MetricLike } from './index.js';
import { MetricSums } from './metric-sums.js';
import { METRICS_FIXTURE } from './metrics-fixture.js';

type Rows = number[][];

/** The metric's value over the fixture's batches, summed on the device as fit does. */
function epochValue(metric: MetricLike, outputs: Rows[], targets: (Rows | number[])[], int = false): number {
  const sums = new MetricSums(getBackend(), [metric], 'test:');
  try {
    let samples = 0;
    outputs.forEach((output, b) => {
      noGrad(() =>
        tidy(() => {
          const target = int ? tensor(targets[b] as number[], { dtype: 'int32' }) : tensor(targets[b] as Rows);
          sums.add(tensor(output), target);
        }),
      );
      samples += output.length;
    });
    return sums.values([Array.from(sums.totals()[0]!.dataSync())], samples)[metric.name]!;
  } finally {
    sums.dispose();
  }
}

describe('accumulating metrics against numpy references (scripts/make-metrics-fixture.py)', () => {
  const { multiclass, binary, auc, regression } = METRICS_FIXTURE;

  for (const kind of ['precision', 'recall', 'f1'] as const) {
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      it(`${kind} ${average}: multi-class logits over 3 batches, one lacking a class`, () => {
        const name = average === 'macro' ? kind : `${kind}_${average}`;
        const value = epochValue(resolveMetric(name), multiclass.outputs, multiclass.targets, true);
        expect(value).toBeCloseTo(multiclass.expected[kind][average], 12);
      });
    }
    it(`${kind} of a single logit column is the positive class's (threshold 0)`, () => {
      const value = epochValue(resolveMetric(kind, { fromLogits: true }), binary.outputs, binary.targets);
      expect(value).toBeCloseTo(binary.expected[kind], 12);
    });
  }

  it("auc: Keras' 200-threshold trapezoid, within its bound of the exact ROC AUC", () => {
    const value = epochValue(resolveMetric('auc'), auc.outputs, auc.targets);
    expect(value).toBeCloseTo(auc.expected.keras, 10);
    expect(Math.abs(value - auc.expected.exact)).toBeLessThanOrEqual(auc.expected.bound + 1e-12);
  });

  it('auc on logits applies a sigmoid first; 0 while the targets hold one class', () => {
    const logits = [[[-3], [-1.2], [0.4], [2.5]]];
    const probabilities = [logits[0]!.map(([z]) => [1 / (1 + Math.exp(-z!))])];
    const targets = [[[0], [1], [0], [1]]];
    const fromLogits = epochValue(resolveMetric('auc', { fromLogits: true }), logits, targets);
    expect(fromLogits).toBeCloseTo(epochValue(resolveMetric('auc'), probabilities, targets), 12);
    expect(fromLogits).toBeCloseTo(0.75, 12);
    expect(epochValue(resolveMetric('auc'), probabilities, [[[1], [1], [1], [1]]])).toBe(0);
  });

  for (const name of ['mae', 'mse', 'rmse', 'r2'] as const) {
    it(`${name} over 3 batches of two output columns (the epoch's, not a mean of batches)`, () => {
      const value = epochValue(resolveMetric(name), regression.outputs, regression.targets);
      expect(value).toBeCloseTo(regression.expected[name], 10);
    });
  }
});

describe('metric forms and names', () => {
  it('a plain per-sample-sum Metric still works beside accumulating ones', () => {
    const count = { name: 'count', batchSum: (output: Tensor) => output.sum().mul(0).add(output.shape[0]!) };
    expect(epochValue(count, [[[1], [2]], [[3]]], [[[1], [2]], [[3]]])).toBe(1);
  });

  it('refuses statistics that change length between batches', () => {
    const changing = {
      name: 'changing',
      batchStats: (output: Tensor) => output.reshape([-1]),
      result: () => 0,
    };
    expect(() => epochValue(changing, [[[1], [2]], [[3]]], [[[1], [2]], [[3]]])).toThrow(ShapeError);
  });

  it('resolves every documented name and lists them for an unknown one', () => {
    for (const name of ['precision', 'recall', 'f1', 'f1_micro', 'f1_macro', 'precision_weighted', 'auc'])
      expect(resolveMetric(name).name).toBe(name);
    for (const name of ['mae', 'mse', 'rmse', 'r2']) expect(resolveMetric(name).name).toBe(name);
    expect(() => resolveMetric('f2')).toThrow(/unknown metric 'f2'.*precision.*f1_micro.*auc.*mae.*r2/);
  });

  it("monitors scores with mode 'max' and errors with 'min' when mode is auto", () => {
    for (const name of ['val_f1', 'val_f1_micro', 'val_precision', 'val_recall', 'val_auc', 'val_r2', 'r2'])
      expect(new MonitorTracker(name, 'auto', 0).mode).toBe('max');
    for (const name of ['val_mae', 'val_mse', 'val_rmse', 'val_loss'])
      expect(new MonitorTracker(name, 'auto', 0).mode).toBe('min');
  });
});

/** Three separable clusters in 2-D, in batches. */
function clusters(count: number, batch: number, seed: number): Batch[] {
  const g = new Generator(seed);
  const labels = g.integers(count, 0, 3);
  const centres = [2, 0, -2, 2, -2, -2];
  const noise = g.normal(count * 2, 0, 0.5);
  const points = Float32Array.from(
    { length: count * 2 },
    (_, i) => centres[labels[i >> 1]! * 2 + (i & 1)]! + noise[i]!,
  );
  const batches: Batch[] = [];
  for (let start = 0; start < count; start += batch) {
    const end = Math.min(count, start + batch);
    batches.push({
      x: fromHost(points.subarray(start * 2, end * 2), [end - start, 2]),
      y: fromHost(labels.subarray(start, end), [end - start], { dtype: 'int32' }),
    });
  }
  return batches;
}

describe('fit and evaluate with accumulating metrics', () => {
  it('logs f1 and recall per epoch, monitors val_f1, and evaluate agrees', async () => {
    manualSeed(3);
    const model = new Linear(2, 3);
    const validation = clusters(90, 32, 8);
    const stopping = new EarlyStopping({ monitor: 'val_f1', patience: 100 });
    const history = await fit(model, {
      train: clusters(240, 32, 7),
      validation,
      loss: new CrossEntropyLoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.3 }),
      epochs: 4,
      metrics: ['accuracy', 'f1', 'f1_micro', 'recall'],
      callbacks: [stopping],
    });
    const f1 = history.series('val_f1');
    expect(f1).toHaveLength(4);
    expect(f1.at(-1)).toBeGreaterThan(0.9);
    // Single-label multi-class: micro F1 is the accuracy.
    expect(history.series('val_f1_micro').at(-1)).toBeCloseTo(history.series('val_accuracy').at(-1)!, 6);
    expect(history.series('recall').every((r) => r >= 0 && r <= 1)).toBe(true);
    const result = await evaluate(model, validation, { metrics: [resolveMetric('f1')] });
    expect(result.f1).toBeCloseTo(f1.at(-1)!, 10);
  });
});
