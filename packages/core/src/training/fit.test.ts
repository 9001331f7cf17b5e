import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  NLLLoss,
  classWeightedLoss,
  Generator,
  MSELoss,
  ReduceLROnPlateau,
  SGD,
  StepLR,
  clipGradNorm_,
  clipGradValue_,
  binaryCrossEntropyWithLogits,
  fromHost,
  getBackend,
  noGrad,
  registerBackend,
  removeBackend,
  setBackend,
  tensor,
  type Tensor,
} from '@myelin/core';
import {
  EarlyStopping,
  LambdaCallback,
  ModelCheckpoint,
  TrainingDivergedError,
  confusionMatrix,
  evaluate,
  fit,
  predict,
  topKAccuracy,
  type Batch,
  type FitOptions,
  type MultiInputBatch,
  type TrainableModel,
} from './index.js';

/** A logistic-regression model written without nn, so these tests only exercise the loop. */
function tinyModel(seed = 1): TrainableModel & { training: boolean; weight: Tensor; bias: Tensor; dispose(): void } {
  const g = new Generator(seed);
  const weight = fromHost(g.normal(6, 0, 0.1), [3, 2], { dtype: 'float32', requiresGrad: true });
  const bias = fromHost(new Float32Array(3), [3], { requiresGrad: true });
  return {
    weight,
    bias,
    training: true,
    forward: (x) => x.matmul(weight, { transposeB: true }).add(bias),
    train() {
      this.training = true;
    },
    eval() {
      this.training = false;
    },
    parameters: () => [weight, bias],
    stateDict: () => ({ weight, bias }),
    loadStateDict(state) {
      noGrad(() => {
        weight.assign(state.weight!.detach());
        bias.assign(state.bias!.detach());
      });
    },
    dispose() {
      weight.dispose();
      bias.dispose();
    },
  };
}

const crossEntropy = (logits: Tensor, target: Tensor): Tensor =>
  logits.logSoftmax(1).mul(target.oneHot(3)).sum(1).mean().neg();

function sgd(parameters: Tensor[], lr: number) {
  return {
    paramGroups: [{ lr }],
    step() {
      noGrad(() => parameters.forEach((p) => p.grad && p.assign(p.sub(p.grad.mul(this.paramGroups[0]!.lr)))));
    },
    zeroGrad() {
      parameters.forEach((p) => (p.grad = null));
    },
  };
}

/** Three separable clusters in 2-D, split into batches. */
function clusters(count: number, batch: number, seed = 7): Batch[] {
  const g = new Generator(seed);
  const labels = g.integers(count, 0, 3);
  const centres = [
    [2, 0],
    [-2, 2],
    [-2, -2],
  ];
  const noise = g.normal(count * 2, 0, 0.5);
  const points = Float32Array.from({ length: count * 2 }, (_, i) => centres[labels[i >> 1]!]![i & 1]! + noise[i]!);
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

describe('fit', () => {
  it('trains, validates, logs history and reaches high accuracy', async () => {
    const model = tinyModel();
    const train = clusters(240, 32);
    const validation = clusters(90, 45, 8);
    const history = await fit(model, {
      train,
      validation,
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.3),
      epochs: 8,
      metrics: ['accuracy'],
    });
    expect(history.epochs).toHaveLength(8);
    expect(history.series('loss')[7]!).toBeLessThan(history.series('loss')[0]!);
    expect(history.series('val_accuracy')[7]!).toBeGreaterThan(0.95);
    expect(history.keys()).toEqual(
      expect.arrayContaining(['loss', 'accuracy', 'val_loss', 'val_accuracy', 'lr', 'epoch']),
    );
    const result = await evaluate(model, validation, { loss: crossEntropy });
    expect(result.loss).toBeCloseTo(history.series('val_loss')[7]!, 5);
    const outputs = await predict(model, validation);
    expect(outputs.shape).toEqual([90, 3]);
    const predicted = Array.from(await outputs.argmax(1).data());
    const actual = (await Promise.all(validation.map((b) => b.y.data()))).flatMap((a) => Array.from(a));
    const matrix = confusionMatrix(predicted, actual, 3);
    expect(matrix.flat().reduce((a, b) => a + b, 0)).toBe(90);
  });

  it('keeps live handles flat across epochs', async () => {
    const backend = getBackend();
    const model = tinyModel();
    const train = clusters(64, 16);
    const counts: number[] = [];
    await fit(model, {
      train,
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 5,
      metrics: ['accuracy', 'top2'],
      callbacks: [new LambdaCallback({ onEpochEnd: () => void counts.push(backend.liveHandles()) })],
    });
    expect(new Set(counts).size).toBe(1);
  });

  it('reads the loss back only every readLossEvery steps', async () => {
    const model = tinyModel();
    const read: number[] = [];
    await fit(model, {
      train: clusters(64, 8),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 1,
      readLossEvery: 4,
      callbacks: [new LambdaCallback({ onBatchEnd: (logs) => void (logs.loss !== undefined && read.push(logs.step)) })],
    });
    expect(read).toEqual([4, 8]);
  });

  it('sums the loss on the host when it reads every step, to the same bits as the device sums', async () => {
    const run = async (readLossEvery: number, metrics: string[]) => {
      const model = tinyModel();
      const history = await fit(model, {
        train: clusters(60, 7),
        loss: crossEntropy,
        optimizer: sgd(model.parameters(), 0.1),
        epochs: 3,
        readLossEvery,
        metrics,
      });
      return history.series('loss');
    };
    // every step, nothing else to sum: the host path; with a metric (or every 2 steps): the device's
    const host = await run(1, []);
    expect(host).toHaveLength(3);
    expect(await run(1, ['accuracy'])).toEqual(host);
    expect(await run(2, [])).toEqual(host);
  });

  describe('on a backend that reads asynchronously', () => {
    /** The default backend without synchronous reads, each read settling on a later event-loop turn. */
    interface Progress {
      steps: number;
      settledAt: number[];
      /** Reads started from this step on reject with this error. */
      failReads?: { from: number; error: Error };
    }
    async function withAsyncReads(body: (progress: Progress) => Promise<void>) {
      const previous = getBackend();
      const progress: Progress = { steps: 0, settledAt: [] };
      const asyncReads = new Proxy(previous, {
        get(target, key) {
          if (key === 'readSync' || key === 'readInto') return undefined;
          if (key === 'read') {
            return (handle: Parameters<typeof target.read>[0]) => {
              const failure = progress.failReads;
              const fails = failure !== undefined && progress.steps >= failure.from;
              const values = fails ? null : target.read(handle);
              return new Promise((resolve) =>
                setImmediate(() => {
                  progress.settledAt.push(progress.steps);
                  resolve(values ?? Promise.reject(failure!.error));
                }),
              );
            };
          }
          return Reflect.get(target, key) as unknown;
        },
      });
      registerBackend('fit-test-async-reads', () => asyncReads);
      setBackend('fit-test-async-reads');
      try {
        await body(progress);
      } finally {
        setBackend(previous.name);
        removeBackend('fit-test-async-reads');
      }
    }
    /** fit for one epoch of 20 batches, reading every 5 steps, with an sgd that counts its steps in `progress`. */
    const fitCounting = (model: TrainableModel, progress: { steps: number }, options: Partial<FitOptions> = {}) => {
      const optimizer = sgd(model.parameters(), 0.1);
      const step = optimizer.step.bind(optimizer);
      optimizer.step = () => {
        step();
        progress.steps++;
      };
      return fit(model, {
        train: clusters(160, 8),
        loss: crossEntropy,
        optimizer,
        epochs: 1,
        readLossEvery: 5,
        ...options,
      });
    };

    it('keeps training while a loss read is in flight: a read is checked one read later', async () => {
      await withAsyncReads(async (progress) => {
        const model = tinyModel();
        const history = await fitCounting(model, progress);
        // The reads started after step 5 (last loss and running sum) settle when fit checks them,
        // after step 10; the last ones at the end of the epoch.
        expect(progress.settledAt.slice(0, 2)).toEqual([10, 10]);
        expect(progress.settledAt.at(-1)).toBe(20);
        expect(history.series('loss')[0]).toBeGreaterThan(0);
        model.dispose();
      });
    });

    it('still stops on a NaN loss, naming the step it was read at', async () => {
      await withAsyncReads(async (progress) => {
        const model = tinyModel();
        const train = clusters(160, 8);
        train[2] = { x: tensor([[NaN, 1]]), y: tensor([0], { dtype: 'int32' }) };
        await expect(fitCounting(model, progress, { train })).rejects.toThrow(
          /loss became NaN at epoch 1, step 5 \(batch 5\); no finite loss was seen before it/,
        );
        expect(progress.steps).toBe(10);
        model.dispose();
      });
    });

    it("a read that fails while the loop fails too becomes the error's cause", async () => {
      await withAsyncReads(async (progress) => {
        const model = tinyModel();
        const readFailure = new Error('device error found at the read');
        const batches = clusters(160, 8);
        async function* train() {
          for (const [i, batch] of batches.entries()) {
            if (i === 7) throw new Error('the data source failed at batch 8');
            yield batch;
          }
        }
        // The reads started after step 5 fail (as a device-side check reports at a read).
        progress.failReads = { from: 5, error: readFailure };
        const error = await fitCounting(model, progress, { train }).then(
          () => new Error('fit should have failed'),
          (e: unknown) => e as Error,
        );
        expect(error.message).toBe('the data source failed at batch 8');
        expect(error.cause).toBe(readFailure);
        model.dispose();
      });
    });

    it('epoch-level callbacks (early stopping) see no batch logs, so reads are checked one read later too', async () => {
      await withAsyncReads(async (progress) => {
        const model = tinyModel();
        await fitCounting(model, progress, { callbacks: [new EarlyStopping({ monitor: 'loss', patience: 3 })] });
        expect(progress.settledAt.slice(0, 2)).toEqual([10, 10]);
        model.dispose();
      });
    });

    it('reads at each read step where callbacks see the logs', async () => {
      await withAsyncReads(async (progress) => {
        const model = tinyModel();
        const losses: [number, number | undefined][] = [];
        await fitCounting(model, progress, {
          callbacks: [new LambdaCallback({ onBatchEnd: (logs) => void losses.push([logs.step, logs.loss]) })],
        });
        expect(progress.settledAt.slice(0, 2)).toEqual([5, 5]);
        expect(losses.filter(([, loss]) => loss !== undefined).map(([step]) => step)).toEqual([5, 10, 15, 20]);
        model.dispose();
      });
    });
  });

  it('stops with a clear message when the loss becomes NaN', async () => {
    const model = tinyModel();
    const train = clusters(64, 16);
    train[2] = { x: tensor([[NaN, 1]]), y: tensor([0], { dtype: 'int32' }) };
    await expect(
      fit(model, { train, loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1), epochs: 1 }),
    ).rejects.toThrow(TrainingDivergedError);
    await expect(
      fit(tinyModel(), { train, loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1), epochs: 1 }),
    ).rejects.toThrow(/loss became NaN at epoch 1, step 3 \(batch 3\); the last finite loss was [\d.]+ at step 2/);
  });

  it('early stopping stops after patience and restores the best weights', async () => {
    const model = tinyModel();
    const values = [1, 0.5, 0.6, 0.7, 0.8, 0.9];
    const stopper = new EarlyStopping({ monitor: 'fake', patience: 2, restoreBestWeights: true });
    let bestWeight: number[] = [];
    const history = await fit(model, {
      train: clusters(32, 16),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.5),
      epochs: 6,
      callbacks: [
        new LambdaCallback({
          onEpochEnd: async (epoch, logs) => {
            logs.fake = values[epoch]!;
            if (epoch === 1) bestWeight = Array.from(await model.weight.data());
          },
        }),
        stopper,
      ],
    });
    expect(history.epochs).toHaveLength(4);
    expect(stopper.bestEpoch).toBe(1);
    expect(Array.from(await model.weight.data())).toEqual(bestWeight);
  });

  it('checkpoints best by a monitored metric and last every epoch', async () => {
    const saved: string[] = [];
    const model = tinyModel();
    await fit(model, {
      train: clusters(48, 16),
      validation: clusters(30, 30, 3),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.2),
      epochs: 3,
      metrics: ['accuracy'],
      callbacks: [
        new ModelCheckpoint({
          monitor: 'val_loss',
          save: async (name, { epoch }) => void saved.push(`${name}@${epoch}`),
        }),
      ],
    });
    expect(saved.filter((s) => s.startsWith('last'))).toEqual(['last@0', 'last@1', 'last@2']);
    expect(saved[0]).toBe('best@0');
  });

  it('names a monitor that is not logged and rejects bad options', async () => {
    const model = tinyModel();
    await expect(
      fit(model, {
        train: clusters(16, 16),
        loss: crossEntropy,
        optimizer: sgd(model.parameters(), 0.1),
        epochs: 1,
        callbacks: [new EarlyStopping()],
      }),
    ).rejects.toThrow(/monitor 'val_loss' is not logged; logged values are loss/);
    await expect(
      fit(model, { train: clusters(16, 16), loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1), epochs: 0 }),
    ).rejects.toThrow(/epochs must be a positive integer, got 0/);
    // A missing train, loss or optimizer is named, not a TypeError from inside the loop.
    await expect(
      fit(model, { loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1), epochs: 1 } as never),
    ).rejects.toThrow('fit: options.train is missing; fit needs train (a DataLoader or batches), loss and optimizer');
    await expect(fit(model, { train: clusters(16, 16), loss: crossEntropy, epochs: 1 } as never)).rejects.toThrow(
      /^fit: options\.optimizer is missing/,
    );
  });

  it("refuses an optimizer that holds none of the model's parameters (training would change nothing)", async () => {
    const model = tinyModel();
    const other = tinyModel(2);
    const optimizer = new SGD(other.parameters(), { lr: 0.1 });
    const before = await model.weight.data();
    await expect(fit(model, { train: clusters(16, 16), loss: crossEntropy, optimizer, epochs: 1 })).rejects.toThrow(
      "fit: the optimizer holds none of the model's 2 parameters (its 2 tensors belong to another model, or the model was rebuilt after the optimizer was made), so training would change nothing; allowed: an optimizer made from model.parameters()",
    );
    expect(await model.weight.data()).toEqual(before);
    // A part of the model (the rest frozen) is fine.
    const part = new SGD([model.weight], { lr: 0.1 });
    await fit(model, { train: clusters(16, 16), loss: crossEntropy, optimizer: part, epochs: 1 });
    for (const m of [model, other]) m.dispose();
  });

  it('starts from zero gradients: a backward before fit does not leak into its first step', async () => {
    const run = async (backwardFirst: boolean) => {
      const model = tinyModel();
      const optimizer = new SGD(model.parameters(), { lr: 0.1 });
      if (backwardFirst)
        model
          .forward(fromHost(new Float32Array([5, -3]), [1, 2]))
          .sum()
          .backward();
      await fit(model, { train: clusters(16, 16), loss: crossEntropy, optimizer, epochs: 1 });
      const weights = Array.from(await model.weight.data());
      model.dispose();
      return weights;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('empty validation data is named as such with its epoch (evaluate alone keeps its own message)', async () => {
    const model = tinyModel();
    const validation = (epoch: number): Batch[] => (epoch === 0 ? clusters(16, 16, 8) : []);
    const options = { train: clusters(16, 16), loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1) };
    await expect(fit(model, { ...options, validation, epochs: 2 })).rejects.toThrow(
      'fit: the validation data yielded no batches in epoch 2',
    );
    await expect(evaluate(model, [], { loss: crossEntropy })).rejects.toThrow('evaluate: the data yielded no batches');
    model.dispose();
  });

  it('top-k accuracy with k above the classes is refused at the first batch, naming the metric', async () => {
    const model = tinyModel();
    await expect(
      fit(model, {
        train: clusters(16, 16),
        loss: crossEntropy,
        optimizer: sgd(model.parameters(), 0.1),
        epochs: 1,
        metrics: ['top20'],
      }),
    ).rejects.toThrow(/^top20_accuracy: k = 20 is larger than the 3 classes of the output \[16,3\]/);
    model.dispose();
  });
});

describe('fit interruption', () => {
  it('a batch-level stop ends the epoch without validation, schedule, history or epoch-end callbacks', async () => {
    const model = tinyModel();
    const ended: number[] = [];
    let scheduleSteps = 0;
    const train = clusters(64, 16);
    const history = await fit(model, {
      train,
      validation: clusters(16, 16, 2),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 3,
      schedule: { step: () => void scheduleSteps++ },
      callbacks: [
        new LambdaCallback({
          onBatchEnd: (logs, context) => {
            expect(logs.batches).toBe(4);
            if (logs.epoch === 1 && logs.batch === 1) context.stopTraining = true;
          },
          onEpochEnd: (epoch) => void ended.push(epoch),
          onTrainEnd: (context) => expect(context.interrupted).toEqual({ epoch: 1, batches: 2 }),
        }),
      ],
    });
    expect(history.epochs).toHaveLength(1);
    expect(ended).toEqual([0]);
    expect(scheduleSteps).toBe(1);
  });
});

describe('callback state', () => {
  it('EarlyStopping starts fresh on each fit, and ProgressLogger logs when the loss is read every k steps', async () => {
    const stopper = new EarlyStopping({ monitor: 'fake', patience: 2 });
    const run = async (values: number[]) => {
      const model = tinyModel();
      return fit(model, {
        train: clusters(32, 16),
        loss: crossEntropy,
        optimizer: sgd(model.parameters(), 0.1),
        epochs: values.length,
        callbacks: [new LambdaCallback({ onEpochEnd: (epoch, logs) => void (logs.fake = values[epoch]!) }), stopper],
      });
    };
    expect((await run([0.1, 0.2, 0.3])).epochs).toHaveLength(3);
    expect((await run([0.9, 0.8, 0.7, 0.6])).epochs).toHaveLength(4);

    const lines: string[] = [];
    const model = tinyModel();
    const { ProgressLogger } = await import('./index.js');
    await fit(model, {
      train: clusters(15 * 4, 4),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 2,
      readLossEvery: 10,
      callbacks: [new ProgressLogger({ every: 5, log: (line) => void lines.push(line) })],
    });
    expect(lines.filter((line) => line.includes('batch')).map((line) => line.split('  ')[0])).toEqual([
      'epoch 1/2',
      'epoch 2/2',
      'epoch 2/2',
    ]);
  });
});

describe('epoch sums', () => {
  /** y = x + w with one float64 parameter w (0): the loss of a batch is mean((x - y)^2) exactly. */
  function offsetModel(dtype: 'float32' | 'float64'): TrainableModel {
    const w = tensor(0, { dtype, requiresGrad: true });
    return {
      training: true,
      forward: (x) => x.add(w),
      train() {},
      eval() {},
      parameters: () => [w],
      stateDict: () => ({ w }),
      loadStateDict() {},
    };
  }
  const mse = (output: Tensor, target: Tensor): Tensor => output.sub(target).square().mean();

  it('are float64 for a float64 model: the reported loss is the exact mean', async () => {
    // Batches of 4.35 and 4.35 squared errors (sizes 3 and 1): float32 sums reported 4.350000063578288.
    const batch = (n: number): Batch => ({
      x: tensor(Array(n).fill(0), { dtype: 'float64' }),
      y: tensor(Array(n).fill(Math.sqrt(4.35)), { dtype: 'float64' }),
    });
    const data = [batch(3), batch(1)];
    const expected = Math.sqrt(4.35) ** 2;
    const model = offsetModel('float64');
    const history = await fit(model, { train: data, loss: mse, optimizer: sgd(model.parameters(), 0), epochs: 1 });
    expect(history.series('loss')[0]).toBe(expected);
    expect((await evaluate(model, data, { loss: mse })).loss).toBe(expected);
  });

  it('lose nothing over many float32 batches where the backend has float64', async () => {
    const data = Array.from({ length: 2000 }, () => ({ x: tensor([0]), y: tensor([0.1]) }));
    const perBatch = Math.fround(Math.fround(0.1) * Math.fround(0.1)); // the float32 loss of every batch
    const result = await evaluate(offsetModel('float32'), data, { loss: mse });
    expect(result.loss).toBeCloseTo(perBatch, 13); // float32 sums drift by ~1e-6 over 2000 batches
  });
});

describe('topKAccuracy', () => {
  it('counts a sample when fewer than k classes score higher than its target (ties count against)', async () => {
    const output = tensor([
      [0.1, 0.5, 0.3, 0.2], // target 2: one higher (0.5) -> top2 yes, top1 no
      [0.4, 0.3, 0.2, 0.1], // target 3: three higher -> top2 no, top3 no, top4 yes
      [0.2, 0.2, 0.6, 0.0], // target 0: 0.6 higher, the tie 0.2 not -> top2 yes
      [0.9, 0.1, 0.0, 0.0], // target 0: top1 yes
    ]);
    const target = tensor([2, 3, 0, 0], { dtype: 'int32' });
    const sums = await Promise.all([1, 2, 3, 4].map((k) => topKAccuracy(k).batchSum(output, target).item()));
    expect(sums).toEqual([1, 3, 3, 4]);
    expect(topKAccuracy(2).name).toBe('top2_accuracy');
    expect(() => topKAccuracy(0)).toThrow('topKAccuracy: k must be a positive integer, got 0');
  });

  it('refuses k larger than the classes of the output, which would always read 1 (PyTorch topk refuses it too)', () => {
    const output = tensor([
      [0.1, 0.5, 0.3],
      [0.4, 0.3, 0.2],
    ]);
    const target = tensor([2, 0], { dtype: 'int32' });
    expect(() => topKAccuracy(4).batchSum(output, target)).toThrow(
      "top4_accuracy: k = 4 is larger than the 3 classes of the output [2,3] (it would always be 1); allowed: k <= 3, as PyTorch's topk requires",
    );
    expect(() => topKAccuracy(3).batchSum(output, target).dispose()).not.toThrow();
  });
});

describe('models with several inputs (Keras model.fit([x1, x2], y))', () => {
  it('fit, evaluate and predict call forward(...x) with { x: [x1, x2], y } batches', async () => {
    const g = new Generator(3);
    const wa = fromHost(g.normal(2, 0, 0.1), [1, 2], { requiresGrad: true });
    const wb = fromHost(g.normal(1, 0, 0.1), [1, 1], { requiresGrad: true });
    const model = {
      training: true,
      forward: (a: Tensor, b?: Tensor): Tensor => a.matmul(wa, { transposeB: true }).add(b!.matmul(wb)),
      train() {
        model.training = true;
      },
      eval() {
        model.training = false;
      },
      parameters: () => [wa, wb],
    };
    // y = a0 + 2 a1 - b: learnable only from both inputs.
    const a = fromHost(g.normal(64, 0, 1), [32, 2]);
    const b = fromHost(g.normal(32, 0, 1), [32, 1]);
    const [av, bv] = [a.dataSync(), b.dataSync()];
    const y = fromHost(
      Float32Array.from({ length: 32 }, (_, i) => av[2 * i]! + 2 * av[2 * i + 1]! - bv[i]!),
      [32, 1],
    );
    const batches: MultiInputBatch[] = [{ x: [a, b], y }];
    const mse = (p: Tensor, t: Tensor): Tensor => p.sub(t).square().mean();
    const history = await fit(model, {
      train: batches,
      validation: batches,
      loss: mse,
      optimizer: new SGD([wa, wb], { lr: 0.1 }),
      epochs: 60,
    });
    expect(history.series('loss').at(-1)!).toBeLessThan(1e-3);
    expect((await evaluate(model, batches, { loss: mse })).loss).toBeLessThan(1e-3);
    expect((await predict(model, batches)).shape).toEqual([32, 1]);
    await expect(
      fit(model, {
        train: [{ x: [], y } as unknown as MultiInputBatch],
        loss: mse,
        optimizer: new SGD([wa], { lr: 0.1 }),
        epochs: 1,
      }),
    ).rejects.toThrow(/x may be an array of inputs/);
  });
});

/** The weights and bias after `fit` on a fresh tinyModel with SGD (momentum) and `options`. */
async function trainedWeights(options: Partial<FitOptions> & Pick<FitOptions, 'train'>, lr = 0.2): Promise<number[]> {
  const model = tinyModel();
  const optimizer = new SGD(model.parameters(), { lr, momentum: 0.9 });
  await fit(model, { loss: new CrossEntropyLoss(), optimizer, epochs: 3, ...options });
  const values = [...(await model.weight.data()), ...(await model.bias.data())];
  model.dispose();
  return values;
}

function expectClose(actual: number[], expected: number[], digits = 5): void {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, digits));
}

describe('fit: gradient accumulation (accumulateSteps)', () => {
  it('k = 4 on batches of 8 equals k = 1 on batches of 32 (same data order)', async () => {
    const accumulated = await trainedWeights({ train: clusters(96, 8), accumulateSteps: 4 });
    const whole = await trainedWeights({ train: clusters(96, 32) });
    const unaccumulated = await trainedWeights({ train: clusters(96, 8) });
    expectClose(accumulated, whole);
    // The comparison can fail: three times as many steps on the small batches land elsewhere.
    expect(Math.max(...unaccumulated.map((v, i) => Math.abs(v - whole[i]!)))).toBeGreaterThan(1e-2);
  });

  it("steps an epoch's leftover batches at its end, each batch weighted by its samples", async () => {
    // 38 samples in batches of 8: one group of 4 batches (32 samples), then 1 leftover batch of 6.
    expectClose(
      await trainedWeights({ train: clusters(38, 8), accumulateSteps: 4 }),
      await trainedWeights({ train: clusters(38, 32) }),
    );
    // Unequal batches inside a group (8, 8, 8, 8, 6): the concatenation of 38, not the mean of 5 means.
    expectClose(
      await trainedWeights({ train: clusters(38, 8), accumulateSteps: 5 }),
      await trainedWeights({ train: clusters(38, 38) }),
    );
    // k above the epoch's batches: one step per epoch on all of it.
    expectClose(
      await trainedWeights({ train: clusters(38, 8), accumulateSteps: 100 }),
      await trainedWeights({ train: clusters(38, 38) }),
    );
  });

  it("sums a 'sum' loss's gradients unscaled (again the concatenation's step)", async () => {
    const loss = new CrossEntropyLoss({ reduction: 'sum' });
    expectClose(
      await trainedWeights({ train: clusters(38, 8), loss, accumulateSteps: 4 }, 0.01),
      await trainedWeights({ train: clusters(38, 32), loss }, 0.01),
    );
  });

  it('steps a per-batch schedule once per optimizer step and says which batches stepped', async () => {
    const model = tinyModel();
    let scheduleSteps = 0;
    const stepped: boolean[] = [];
    await fit(model, {
      train: clusters(40, 8), // 5 batches: a group of 2, a group of 2, a leftover of 1
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 2,
      accumulateSteps: 2,
      schedule: { interval: 'batch', step: () => void scheduleSteps++ },
      callbacks: [new LambdaCallback({ onBatchEnd: (logs) => void stepped.push(logs.stepped) })],
    });
    expect(scheduleSteps).toBe(6);
    expect(stepped).toEqual([false, true, false, true, false, false, true, false, true, false]);
    model.dispose();
  });

  it('drops the gradients of a group cut short by a stop, so nothing leaks into a later fit', async () => {
    const model = tinyModel();
    const before = [...(await model.weight.data())];
    await fit(model, {
      train: clusters(40, 8),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 1,
      accumulateSteps: 4,
      callbacks: [
        new LambdaCallback({ onBatchEnd: (logs, context) => void (context.stopTraining = logs.batch === 1) }),
      ],
    });
    expect([...(await model.weight.data())]).toEqual(before);
    expect(model.weight.grad).toBeNull();
    model.dispose();
  });
});

describe('fit: gradient clipping (clipGradNorm, clipGradValue)', () => {
  it('clips after accumulation, before the step, as clipGradNorm_ / clipGradValue_ in beforeStep do', async () => {
    const train = clusters(64, 8);
    for (const normType of [2, 1, Infinity]) {
      expectClose(
        await trainedWeights({ train, accumulateSteps: 2, clipGradNorm: { maxNorm: 0.05, normType } }),
        await trainedWeights({
          train: clusters(64, 16),
          beforeStep: (parameters) => clipGradNorm_(parameters, 0.05, normType).dispose(),
        }),
      );
    }
    expectClose(
      await trainedWeights({ train, clipGradValue: 0.01 }),
      await trainedWeights({ train, beforeStep: (parameters) => clipGradValue_(parameters, 0.01) }),
    );
    // The clipping does something here: unclipped training ends elsewhere.
    const unclipped = await trainedWeights({ train });
    const clipped = await trainedWeights({ train, clipGradValue: 0.01 });
    expect(Math.max(...unclipped.map((v, i) => Math.abs(v - clipped[i]!)))).toBeGreaterThan(1e-2);
  });

  it("logs each read step's norm before clipping as gradNorm", async () => {
    const model = tinyModel();
    const norms: (number | undefined)[] = [];
    const expected: number[] = [];
    const stepNorms: number[] = [];
    const plain = sgd(model.parameters(), 0.1);
    const optimizer = {
      ...plain,
      step() {
        const norm = clipGradNorm_(model.parameters(), Infinity);
        stepNorms.push(norm.dataSync()[0]!);
        norm.dispose();
        plain.step();
      },
    };
    await fit(model, {
      train: clusters(32, 8),
      loss: crossEntropy,
      optimizer,
      epochs: 1,
      readLossEvery: 2,
      clipGradNorm: { maxNorm: 1e-3 },
      // beforeStep runs before the clipping: it sees the norm that is logged.
      beforeStep: (parameters) => {
        const norm = clipGradNorm_(parameters, Infinity);
        expected.push(norm.dataSync()[0]!);
        norm.dispose();
      },
      callbacks: [new LambdaCallback({ onBatchEnd: (logs) => void norms.push(logs.gradNorm) })],
    });
    expect(norms[0]).toBeUndefined();
    expect(norms[2]).toBeUndefined();
    expect(expected[1]).toBeGreaterThan(1e-2);
    expect(norms[1]).toBeCloseTo(expected[1]!, 6);
    expect(norms[3]).toBeCloseTo(expected[3]!, 6);
    // The optimizer steps the gradients clipped to maxNorm.
    expect(stepNorms).toHaveLength(4);
    for (const norm of stepNorms) expect(norm).toBeCloseTo(1e-3, 6);
    model.dispose();
  });

  it('rejects bad clipping and accumulation options, naming the option, the value and what is allowed', async () => {
    const model = tinyModel();
    const base = { train: clusters(16, 16), loss: crossEntropy, optimizer: sgd(model.parameters(), 0.1), epochs: 1 };
    const cases: [Partial<FitOptions>, string][] = [
      [{ accumulateSteps: 0 }, 'fit: accumulateSteps must be a positive integer, got 0'],
      [{ accumulateSteps: 1.5 }, 'fit: accumulateSteps must be a positive integer, got 1.5'],
      [{ validationFreq: -1 }, 'fit: validationFreq must be a positive integer, got -1'],
      [{ stepsPerEpoch: '3' as never }, 'fit: stepsPerEpoch must be a positive integer, got 3'],
      [{ clipGradNorm: { maxNorm: 0 } }, 'fit: clipGradNorm.maxNorm must be a number > 0, got {"maxNorm":0}'],
      [
        { clipGradNorm: 1 as never },
        'fit: clipGradNorm.maxNorm must be a number > 0, got 1; allowed: { maxNorm, normType? }',
      ],
      [
        { clipGradNorm: { maxNorm: 1, normType: -2 } },
        'fit: clipGradNorm.normType must be a number > 0 or Infinity, got -2',
      ],
      [{ clipGradValue: Number.NaN }, 'fit: clipGradValue must be a finite number > 0, got NaN'],
      [
        { clipGradValue: 1, clipGradNorm: { maxNorm: 1 } },
        'fit: clipGradNorm ({"maxNorm":1}) and clipGradValue (1) are both set; allowed: one of them',
      ],
    ];
    for (const [options, message] of cases) await expect(fit(model, { ...base, ...options })).rejects.toThrow(message);
    model.dispose();
  });
});

describe('fit: classWeight (Keras class_weight)', () => {
  it("multiplies each sample's loss by its class's weight, averaged over the samples as Keras does", async () => {
    const weights = tensor([0.5, 2, 1]);
    // By hand: sum(w[y] * loss) / N, with the weights picked by a one-hot product instead of a gather.
    const byHand = (logits: Tensor, target: Tensor): Tensor =>
      logits.logSoftmax(1).mul(target.oneHot(3)).sum(1).neg().mul(target.oneHot(3).mul(weights).sum(1)).mean();
    const train = clusters(64, 16);
    const expected = await trainedWeights({ train, loss: byHand });
    expectClose(await trainedWeights({ train, classWeight: [0.5, 2, 1] }), expected);
    expectClose(await trainedWeights({ train, classWeight: { 0: 0.5, 2: 1, 1: 2 } }), expected);
    // 'sum' reduction: the weighted sum.
    expectClose(
      await trainedWeights(
        { train, classWeight: [0.5, 2, 1], loss: new CrossEntropyLoss({ reduction: 'sum' }) },
        0.0125,
      ),
      await trainedWeights({ train, loss: byHand }, 0.2),
    );
    // The weights matter: unweighted training ends elsewhere.
    const unweighted = await trainedWeights({ train });
    expect(Math.max(...unweighted.map((v, i) => Math.abs(v - expected[i]!)))).toBeGreaterThan(1e-2);
    weights.dispose();
  });

  it('gives targets equal to ignoreIndex (padding, -100 by default) weight 0 and leaves them out of the mean', async () => {
    const logits = tensor([
      [0.2, -1, 0.5],
      [2, 0, -0.5],
      [-0.3, 0.3, 0.9],
    ]);
    const padded = tensor([0, -100, 2], { dtype: 'int32' });
    const perRow = await new CrossEntropyLoss({ reduction: 'none' }).forward(logits, padded).data();
    const weighted = classWeightedLoss(new CrossEntropyLoss(), [0.5, 2, 1]);
    expect((await weighted.forward(logits, padded).data())[0]).toBeCloseTo((0.5 * perRow[0]! + 1 * perRow[2]!) / 2, 6);
    // Equal weights give the loss's own mean; a given ignoreIndex is read from the loss's config.
    const plain = await new CrossEntropyLoss().forward(logits, padded).data();
    expect((await classWeightedLoss(new CrossEntropyLoss(), [1, 1, 1]).forward(logits, padded).data())[0]).toBeCloseTo(
      plain[0]!,
      6,
    );
    const ignoreTwo = classWeightedLoss(new NLLLoss({ ignoreIndex: 2, reduction: 'sum' }), [0.5, 2, 1]);
    const logp = logits.logSoftmax(1);
    const nll = await new NLLLoss({ reduction: 'none', ignoreIndex: 2 })
      .forward(logp, tensor([0, 1, 2], { dtype: 'int32' }))
      .data();
    expect((await ignoreTwo.forward(logp, tensor([0, 1, 2], { dtype: 'int32' })).data())[0]).toBeCloseTo(
      0.5 * nll[0]! + 2 * nll[1]!,
      6,
    );
  });

  it('weighs 0/1 labels of a binary loss by w0 + (w1 - w0) * y; validation losses stay unweighted', async () => {
    const multiLabel = (batches: Batch[]): Batch[] => batches.map((b) => ({ x: b.x, y: b.y.oneHot(3) }));
    const train = multiLabel(clusters(64, 16));
    const byHand = (logits: Tensor, target: Tensor): Tensor =>
      binaryCrossEntropyWithLogits(logits, target, { reduction: 'none' }).mul(target.mul(2).add(1)).mean();
    const expected = await trainedWeights({ train, loss: byHand });
    const model = tinyModel();
    const history = await fit(model, {
      train,
      validation: train,
      loss: new BCEWithLogitsLoss(),
      optimizer: new SGD(model.parameters(), { lr: 0.2, momentum: 0.9 }),
      epochs: 3,
      classWeight: [1, 3],
    });
    expectClose([...(await model.weight.data()), ...(await model.bias.data())], expected);
    const unweighted = await evaluate(model, train, { loss: new BCEWithLogitsLoss() });
    expect(history.series('val_loss')[2]).toBeCloseTo(unweighted.loss!, 6);
    model.dispose();
  });

  it('refuses class weights where the loss or targets have no classes, and bad weights', async () => {
    const model = tinyModel();
    const base = { train: clusters(16, 16), optimizer: sgd(model.parameters(), 0.1), epochs: 1 };
    const cases: [Partial<FitOptions>, string | RegExp][] = [
      [
        { loss: crossEntropy, classWeight: [1, 2, 3] },
        /classWeight needs a loss object of the library .* got a loss function/,
      ],
      [{ loss: new MSELoss(), classWeight: [1, 2, 3] }, 'MSELoss is a regression loss whose targets are not classes'],
      [
        { loss: new CrossEntropyLoss({ reduction: 'none' }), classWeight: [1] },
        "got CrossEntropyLoss with reduction none; allowed: reduction 'mean' or 'sum'",
      ],
      [{ loss: new BCEWithLogitsLoss(), classWeight: [1, 2, 3] }, 'must have 2 weights (classes 0 and 1), got 3'],
      [
        { loss: new CrossEntropyLoss(), classWeight: [1, 2] },
        'classWeight has 2 weights but the model outputs 3 classes',
      ],
      [{ loss: new CrossEntropyLoss(), classWeight: [1, -2, 1] }, 'fit: classWeight[1] is -2 in [1,-2,1]; allowed:'],
      [
        { loss: new CrossEntropyLoss(), classWeight: { 0: 1, 2: 1 } },
        'fit: classWeight has no weight for class 1 in {"0":1,"2":1}',
      ],
      [{ loss: new CrossEntropyLoss(), classWeight: { a: 1 } as never }, 'fit: classWeight keys must be class indices'],
      [{ loss: new CrossEntropyLoss(), classWeight: [] }, 'fit: classWeight is empty'],
      [
        { loss: new CrossEntropyLoss(), classWeight: 2 as never },
        'fit: classWeight must be an array or an object, got 2',
      ],
      [
        {
          loss: new CrossEntropyLoss(),
          classWeight: [1, 2, 3],
          train: clusters(16, 16).map((b) => ({ x: b.x, y: b.y.oneHot(3) })),
        },
        'fit: classWeight needs class-index (int32) targets for CrossEntropyLoss, got float32 targets of shape [16,3]',
      ],
    ];
    for (const [options, message] of cases)
      await expect(fit(model, { ...base, ...options } as FitOptions)).rejects.toThrow(message);
    model.dispose();
  });
});

describe('fit: validationFreq and stepsPerEpoch', () => {
  it('validates every n-th epoch; plateau schedules and monitors skip the other epochs', async () => {
    const model = tinyModel();
    const plateauMetrics: (number | undefined)[] = [];
    const history = await fit(model, {
      train: clusters(32, 16),
      validation: clusters(16, 16, 8),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 5,
      validationFreq: 2,
      schedule: { monitorsMetric: true, step: (metric) => void plateauMetrics.push(metric) },
      callbacks: [new EarlyStopping({ patience: 1, minDelta: 100 })],
    });
    // Early stopping counts only validated epochs: epoch 2 sets the best, epoch 4 is the first bad one.
    expect(history.epochs.map((logs) => 'val_loss' in logs)).toEqual([false, true, false, true]);
    expect(plateauMetrics).toEqual(history.epochs.filter((logs) => 'val_loss' in logs).map((logs) => logs.val_loss));
    // A schedule that does not monitor (StepLR) still steps every epoch.
    const optimizer = new SGD(model.parameters(), { lr: 1 });
    await fit(model, {
      train: clusters(32, 16),
      validation: clusters(16, 16, 8),
      loss: crossEntropy,
      optimizer,
      epochs: 4,
      validationFreq: 3,
      schedule: new StepLR(optimizer, { stepSize: 1, gamma: 0.5 }),
    });
    expect(optimizer.paramGroups[0]!.lr).toBe(1 / 16);
    // A real ReduceLROnPlateau is not stepped without its metric (it would throw).
    const plateau = new ReduceLROnPlateau(optimizer);
    await fit(model, {
      train: clusters(32, 16),
      validation: clusters(16, 16, 8),
      loss: crossEntropy,
      optimizer,
      epochs: 3,
      validationFreq: 2,
      schedule: plateau,
    });
    // One monitoring a training value has it every epoch, validated or not.
    const trainingMetrics: (number | undefined)[] = [];
    const trained = await fit(model, {
      train: clusters(32, 16),
      validation: clusters(16, 16, 8),
      loss: crossEntropy,
      optimizer,
      epochs: 3,
      validationFreq: 2,
      monitor: 'loss',
      schedule: { monitorsMetric: true, step: (metric) => void trainingMetrics.push(metric) },
    });
    expect(trainingMetrics).toEqual(trained.series('loss'));
    model.dispose();
  });

  it('caps the batches of each epoch at stepsPerEpoch', async () => {
    const model = tinyModel();
    const seen: [number, number, number | undefined][] = [];
    const history = await fit(model, {
      train: clusters(64, 8),
      loss: crossEntropy,
      optimizer: sgd(model.parameters(), 0.1),
      epochs: 2,
      stepsPerEpoch: 3,
      callbacks: [new LambdaCallback({ onBatchEnd: (logs) => void seen.push([logs.epoch, logs.step, logs.batches]) })],
    });
    expect(seen).toEqual([
      [0, 1, 3],
      [0, 2, 3],
      [0, 3, 3],
      [1, 4, 3],
      [1, 5, 3],
      [1, 6, 3],
    ]);
    expect(history.epochs).toHaveLength(2);
    model.dispose();
  });
});
