// The playground in the worker: a small MLP on 2-D points, a sigmoid output, BCE or MSE, and a
// grid of predictions over the plane for the decision-boundary heat map.
import {
  BCELoss,
  MSELoss,
  accuracy,
  evaluate,
  fit,
  fromHost,
  getBackend,
  keep,
  manualSeed,
  predict,
  type Loss,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';
import { DataLoader, TensorDataset } from '@myelin/data';
import { expectEnds, newTrainedModel, releaseModel, type DemoTask, type TrainedModel } from './demo-task.js';
import { buildMlp, buildOptimizer, describeModel } from './network.js';
import type { EpochSummary, PlaygroundConfig, ToyData, WorkerEvent } from './protocol.js';
import { TrainingSession, type SessionParts } from './session.js';

/**
 * While training, the test split is evaluated and the heat map recomputed at most this often:
 * each is a read-back, which stalls a GPU pipeline, and an epoch of XOR takes milliseconds.
 */
const PICTURE_INTERVAL_MS = 150;

interface PlaygroundData {
  train: SessionParts['train'];
  test: { x: Tensor; y: Tensor };
  grid: Tensor;
  owned: Tensor[];
}

export class PlaygroundTask implements DemoTask {
  readonly demo = 'playground' as const;
  session: TrainingSession | null = null;
  current: TrainedModel | null = null;
  #config: PlaygroundConfig | null = null;
  #data: PlaygroundData | null = null;
  #lastGrid = 0;

  constructor(private readonly emit: (event: WorkerEvent, transfer?: Transferable[]) => void) {}

  async setup(config: PlaygroundConfig, data: ToyData, gridSize: number): Promise<{ grid: Float32Array }> {
    await this.session?.stop();
    this.#dispose();
    this.#config = config;
    this.#data = makeData(config, data, gridSize);
    this.current = newTrainedModel(2, 1, config, 'sigmoid');
    this.#makeSession();
    await this.#warmUp(config);
    return { grid: await this.grid() };
  }

  /**
   * On GPU backends the first step compiles every shader (seconds in a software rasteriser):
   * train a throwaway copy for one epoch now, so Start trains at full speed at once.
   */
  async #warmUp(config: PlaygroundConfig): Promise<void> {
    const data = this.#data;
    if (!data || getBackend().readSync) return;
    const model = buildMlp(2, 1, config, { seed: config.seed, head: 'sigmoid' });
    const optimizer = buildOptimizer(model, config);
    try {
      const loss: Loss = config.loss === 'bce' ? new BCELoss() : new MSELoss();
      await fit(model, {
        train: data.train,
        validation: [data.test],
        loss,
        optimizer,
        epochs: 1,
        metrics: ['accuracy'],
        readLossEvery: 1_000_000,
      });
      (await predict(model, data.grid)).dispose();
    } finally {
      model.dispose();
      optimizer.dispose();
      manualSeed(config.seed);
    }
  }

  describe(): { parameters: number; layers: string } {
    if (!this.current) throw new Error('playground: call setup first');
    return describeModel(this.current.model);
  }

  /** P(class 1) at every grid point, row by row from the top (x2 = +extent) down. */
  async grid(): Promise<Float32Array> {
    if (!this.current || !this.#data) throw new Error('playground: call setup first');
    const output = await predict(this.current.model, this.#data.grid);
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  }

  exportExtra(): Record<string, unknown> {
    return { task: 'binary', inputs: ['x1', 'x2'] };
  }

  checkImport(modelConfig: ModuleConfig): { preprocessing?: string } {
    expectEnds(modelConfig, 2, 1, 'playground');
    return {};
  }

  async adopt(trained: TrainedModel): Promise<void> {
    await releaseModel(this);
    this.current = trained;
    this.#makeSession();
    this.emitGrid();
  }

  emitGrid(): void {
    this.grid().then(
      (grid) => {
        const summary: EpochSummary = {
          epoch: this.session?.epoch ?? 0,
          step: this.session?.step ?? 0,
          loss: Number.NaN,
          samplesPerSecond: 0,
          elapsed: 0,
        };
        this.emit({ kind: 'progress', demo: 'playground', summary, grid }, [grid.buffer]);
      },
      // The model was replaced (setup/adopt) while the grid was computed: the new model's
      // own emitGrid draws the next one, so this stale grid is simply dropped.
      () => undefined,
    );
  }

  #makeSession(): void {
    const { current } = this;
    const data = this.#data;
    const config = this.#config;
    if (!current || !data || !config) return;
    const loss: Loss = config.loss === 'bce' ? new BCELoss() : new MSELoss();
    this.session = new TrainingSession(
      {
        model: current.model,
        optimizer: current.optimizer,
        loss,
        train: data.train,
        metrics: ['accuracy'],
        maxEpochs: 1_000_000,
      },
      async (summary, final) => {
        current.epoch = summary.epoch;
        let grid: Float32Array | undefined;
        if (final || performance.now() - this.#lastGrid > PICTURE_INTERVAL_MS) {
          const test = await evaluate(current.model, [data.test], { loss, metrics: [accuracy()] });
          summary.valLoss = test.loss;
          summary.valAccuracy = test.accuracy;
          grid = await this.grid();
          this.#lastGrid = performance.now();
        }
        this.emit(
          { kind: 'progress', demo: 'playground', summary, ...(grid ? { grid } : {}) },
          grid ? [grid.buffer] : [],
        );
      },
    );
    this.session.epoch = current.epoch;
  }

  #dispose(): void {
    this.current?.model.dispose();
    this.current?.optimizer.dispose();
    this.current = null;
    for (const t of this.#data?.owned ?? []) t.dispose();
    this.#data = null;
    this.session = null;
  }
}

function makeData(config: PlaygroundConfig, data: ToyData, gridSize: number): PlaygroundData {
  const trainCount = data.trainY.length;
  const owned: Tensor[] = [];
  const own = (t: Tensor): Tensor => (owned.push(keep(t)), t);
  const test = {
    x: own(fromHost(data.testX, [data.testY.length, 2])),
    y: own(fromHost(data.testY, [data.testY.length, 1])),
  };
  let train: SessionParts['train'];
  if (config.batchSize <= 0 || config.batchSize >= trainCount) {
    // Full batch: the same two tensors every step, uploaded once.
    train = [{ x: own(fromHost(data.trainX, [trainCount, 2])), y: own(fromHost(data.trainY, [trainCount, 1])) }];
  } else {
    const dataset = new TensorDataset(
      { data: data.trainX, shape: [trainCount, 2] },
      { data: data.trainY, shape: [trainCount, 1] },
    );
    train = new DataLoader(dataset, { batchSize: config.batchSize, shuffle: true, seed: config.seed });
  }
  const points = new Float32Array(gridSize * gridSize * 2);
  for (let row = 0; row < gridSize; row++) {
    for (let col = 0; col < gridSize; col++) {
      const i = (row * gridSize + col) * 2;
      points[i] = -data.extent + ((col + 0.5) / gridSize) * 2 * data.extent;
      points[i + 1] = data.extent - ((row + 0.5) / gridSize) * 2 * data.extent;
    }
  }
  const grid = own(fromHost(points, [gridSize * gridSize, 2]));
  return { train, test, grid, owned };
}
