// One demo's training run in the worker: fit() over chunks of epochs, paused between epochs.
// The page asks for `run` (until paused or finished) or `run(1)` (Step); `pause` takes effect at
// the end of the current epoch, so every epoch the page sees is complete.
import { fit, type DataSource, type EpochLogs, type Loss, type Module, type Optimizer } from '@myelin/core';
import type { EpochSummary, TrainingStatus } from './protocol.js';

export interface SessionParts {
  model: Module;
  optimizer: Optimizer;
  loss: Loss;
  train: DataSource;
  validation?: DataSource;
  metrics: string[];
  /** Epochs after which the run is done (the page's "epochs"); playground runs until paused. */
  maxEpochs: number;
  /** Read the loss every k steps: large on GPU backends, where each read stalls the pipeline. */
  readLossEvery?: number;
}

/** Lets queued messages (a pause) in: a macrotask via MessageChannel, without setTimeout's 4 ms clamp. */
const channel = new MessageChannel();
const waiting: (() => void)[] = [];
channel.port1.onmessage = () => waiting.shift()?.();
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });
}

export class TrainingSession {
  epoch = 0;
  step = 0;
  status: TrainingStatus = 'idle';
  #pauseRequested = false;
  #running: Promise<{ status: TrainingStatus; epoch: number }> | null = null;

  constructor(
    readonly parts: SessionParts,
    readonly onEpoch: (summary: EpochSummary, final: boolean) => Promise<void>,
  ) {}

  get running(): boolean {
    return this.#running !== null;
  }

  /** Trains `epochs` more epochs (default: until maxEpochs or a pause); a later target raises maxEpochs. */
  run(epochs?: number): Promise<{ status: TrainingStatus; epoch: number }> {
    if (this.#running) return this.#running;
    this.#pauseRequested = false;
    const running = this.#train(epochs).finally(() => (this.#running = null));
    this.#running = running;
    return running;
  }

  pause(): void {
    if (this.#running) this.#pauseRequested = true;
  }

  /** Stops and waits for the current epoch to end (before the model is replaced or disposed). */
  async stop(): Promise<void> {
    this.pause();
    await this.#running?.catch(() => undefined);
  }

  async #train(epochs: number | undefined): Promise<{ status: TrainingStatus; epoch: number }> {
    const { parts } = this;
    const target = epochs === undefined ? parts.maxEpochs : this.epoch + epochs;
    parts.maxEpochs = Math.max(parts.maxEpochs, target);
    if (this.epoch >= target) return { status: (this.status = 'done'), epoch: this.epoch };
    this.status = 'running';
    const started = performance.now();
    let lastYield = started;
    await fit(parts.model, {
      train: parts.train,
      ...(parts.validation ? { validation: parts.validation } : {}),
      loss: parts.loss,
      optimizer: parts.optimizer,
      epochs: target,
      initialEpoch: this.epoch,
      metrics: parts.metrics,
      readLossEvery: parts.readLossEvery ?? 1_000_000,
      callbacks: [
        {
          onBatchEnd: async () => {
            this.step++;
            // cpu-reference reads synchronously, so fit never yields by itself: let a pause in.
            if (performance.now() - lastYield > 30) {
              await yieldToEventLoop();
              lastYield = performance.now();
            }
          },
          onEpochEnd: async (epoch, logs, context) => {
            this.epoch = epoch + 1;
            const final = this.#pauseRequested || this.epoch >= target;
            await this.onEpoch(summarize(epoch + 1, this.step, logs, (performance.now() - started) / 1000), final);
            if (this.#pauseRequested) context.stopTraining = true;
          },
        },
      ],
    });
    this.status = this.epoch >= parts.maxEpochs ? 'done' : 'paused';
    return { status: this.status, epoch: this.epoch };
  }
}

function summarize(epoch: number, step: number, logs: EpochLogs, elapsed: number): EpochSummary {
  const summary: EpochSummary = {
    epoch,
    step,
    loss: logs.loss!,
    samplesPerSecond: logs.samples_per_second ?? 0,
    elapsed,
  };
  if (logs.accuracy !== undefined) summary.accuracy = logs.accuracy;
  if (logs.val_loss !== undefined) summary.valLoss = logs.val_loss;
  if (logs.val_accuracy !== undefined) summary.valAccuracy = logs.val_accuracy;
  return summary;
}
