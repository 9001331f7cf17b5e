// Function approximation (reference experiment 3 in docs/reference-experiments.md): y = x^3 + x^2 - x - 1 sampled
// uniformly on [-5, 5], fresh samples every step; the page plots prediction against truth on a
// wider range, where the fit is poor outside the sampled interval.
import { Generator, MSELoss, fromHost, keep, predict, type ModuleConfig, type Tensor } from '@myelin/core';
import type { EpochSource, Batch } from '@myelin/core';
import { expectEnds, newTrainedModel, releaseModel, type DemoTask, type TrainedModel } from './demo-task.js';
import { describeModel } from './network.js';
import type { FunctionConfig, WorkerEvent } from './protocol.js';
import { TrainingSession } from './session.js';

export const SAMPLE_RANGE: readonly [number, number] = [-5, 5];
/** Optimizer steps per epoch: the page's curve is redrawn once per epoch. */
export const STEPS_PER_EPOCH = 100;
const CURVE_INTERVAL_MS = 80;

export function cubic(x: number): number {
  return x * x * x + x * x - x - 1;
}

export class FunctionTask implements DemoTask {
  readonly demo = 'function' as const;
  session: TrainingSession | null = null;
  current: TrainedModel | null = null;
  #config: FunctionConfig | null = null;
  #plotX: Tensor | null = null;
  #lastCurve = 0;

  constructor(private readonly emit: (event: WorkerEvent, transfer?: Transferable[]) => void) {}

  async setup(
    config: FunctionConfig,
    plotRange: [number, number],
    points: number,
  ): Promise<{ parameters: number; layers: string; curve: Float32Array }> {
    await releaseModel(this);
    this.#plotX?.dispose();
    this.#config = config;
    const xs = Float32Array.from(
      { length: points },
      (_, i) => plotRange[0] + ((plotRange[1] - plotRange[0]) * i) / (points - 1),
    );
    this.#plotX = keep(fromHost(xs, [points, 1]));
    this.current = newTrainedModel(1, 1, config);
    this.#makeSession();
    return { ...describeModel(this.current.model), curve: await this.curve() };
  }

  /** The model's prediction at each plotted x. */
  async curve(): Promise<Float32Array> {
    if (!this.current || !this.#plotX) throw new Error('function: call setup first');
    const output = await predict(this.current.model, this.#plotX);
    try {
      return (await output.data()) as Float32Array;
    } finally {
      output.dispose();
    }
  }

  exportExtra(): Record<string, unknown> {
    return { task: 'regression', target: 'x^3 + x^2 - x - 1', sampleRange: SAMPLE_RANGE };
  }

  checkImport(modelConfig: ModuleConfig): { preprocessing?: string } {
    expectEnds(modelConfig, 1, 1, 'function approximation');
    return {};
  }

  async adopt(trained: TrainedModel): Promise<void> {
    await releaseModel(this);
    this.current = trained;
    this.#makeSession();
    const curve = await this.curve();
    const summary = {
      epoch: trained.epoch,
      step: trained.epoch * STEPS_PER_EPOCH,
      loss: Number.NaN,
      samplesPerSecond: 0,
      elapsed: 0,
    };
    this.emit({ kind: 'progress', demo: 'function', summary, curve, steps: this.session?.parts.maxEpochs ?? 0 }, [
      curve.buffer,
    ]);
  }

  #makeSession(): void {
    const current = this.current;
    if (!current) return;
    const config = this.#config ?? { steps: 10_000, batchSize: 1, seed: 0 };
    const batchSize = Math.max(1, config.batchSize);
    const seed = config.seed;
    // Epoch e's samples come from their own stream, so a paused run continues with the same data.
    const train: EpochSource<Batch> = {
      yieldsFreshBatches: true,
      *epoch(epoch: number) {
        const generator = new Generator(seed).setState({ seed, offset: epoch * STEPS_PER_EPOCH * batchSize });
        for (let step = 0; step < STEPS_PER_EPOCH; step++) {
          const xs = Float32Array.from(generator.uniform(batchSize, SAMPLE_RANGE[0], SAMPLE_RANGE[1]));
          const ys = xs.map(cubic);
          yield { x: fromHost(xs, [batchSize, 1]), y: fromHost(ys, [batchSize, 1]) };
        }
      },
    };
    const maxEpochs = Math.max(1, Math.ceil(config.steps / STEPS_PER_EPOCH));
    this.session = new TrainingSession(
      {
        model: current.model,
        optimizer: current.optimizer,
        loss: new MSELoss(),
        train,
        metrics: [],
        maxEpochs: Math.max(maxEpochs, current.epoch),
      },
      async (summary, final) => {
        current.epoch = summary.epoch;
        const now = performance.now();
        if (!final && now - this.#lastCurve < CURVE_INTERVAL_MS) return;
        this.#lastCurve = now;
        const curve = await this.curve();
        this.emit(
          {
            kind: 'progress',
            demo: 'function',
            summary,
            curve,
            steps: (this.session?.parts.maxEpochs ?? maxEpochs) * STEPS_PER_EPOCH,
          },
          [curve.buffer],
        );
      },
    );
    this.session.epoch = current.epoch;
  }
}
