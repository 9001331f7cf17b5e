// The digits demo in the worker: an MLP on the bundled 8x8 digits, one drawn digit's class
// probabilities, and the confusion matrix of the test split.
import {
  CrossEntropyLoss,
  confusionMatrix,
  fromHost,
  noGrad,
  predict,
  tidy,
  type Checkpoint,
  type ModuleConfig,
} from '@myelin/core';
import { DataLoader, transformFromConfig, type SampleTransform, type TransformConfig } from '@myelin/data';
import { expectEnds, newTrainedModel, releaseModel, type DemoTask, type TrainedModel } from './demo-task.js';
import { loadDigits, type DigitsSplits } from './digits-data.js';
import { describeModel } from './network.js';
import { DIGITS_TRANSFORMS, describeTransforms, pixelTransform, transformsOfCheckpoint } from './preprocessing.js';
import type { AssetUrls, DigitsConfig, WorkerEvent } from './protocol.js';
import { TrainingSession } from './session.js';

const EVALUATION_BATCH = 512;

export class DigitsTask implements DemoTask {
  readonly demo = 'digits' as const;
  session: TrainingSession | null = null;
  current: TrainedModel | null = null;
  #config: DigitsConfig | null = null;
  #transforms: readonly TransformConfig[] = DIGITS_TRANSFORMS;
  #splits: DigitsSplits | null = null;
  /** The preprocessing of the checkpoint being imported, checked before the model is swapped. */
  #pending: TransformConfig[] | null = null;

  constructor(
    private readonly emit: (event: WorkerEvent, transfer?: Transferable[]) => void,
    private readonly assets: () => AssetUrls | null,
  ) {}

  async setup(
    config: DigitsConfig,
  ): Promise<{ parameters: number; layers: string; train: number; validation: number; test: number }> {
    const splits = await this.#data();
    await releaseModel(this);
    this.#config = config;
    this.#transforms = DIGITS_TRANSFORMS;
    this.current = newTrainedModel(64, 10, config);
    this.#makeSession();
    return {
      ...describeModel(this.current.model),
      train: splits.train.length,
      validation: splits.validation.length,
      test: splits.test.length,
    };
  }

  /** Softmax probabilities of the ten classes for one image of raw pixel values 0-16. */
  async predictOne(pixels: Float32Array): Promise<{ probabilities: Float32Array }> {
    const model = this.#model();
    const input = fromHost(pixelTransform(this.#transforms)(pixels), [1, 64]);
    try {
      const logits = await predict(model, input);
      const probabilities = noGrad(() => tidy(() => logits.softmax(-1)));
      logits.dispose();
      try {
        return { probabilities: (await probabilities.data()) as Float32Array };
      } finally {
        probabilities.dispose();
      }
    } finally {
      input.dispose();
    }
  }

  async confusion(): Promise<{ matrix: number[][]; accuracy: number; samples: number }> {
    const model = this.#model();
    const splits = await this.#data();
    const loader = new DataLoader(splits.test.map(this.#transform()), { batchSize: EVALUATION_BATCH });
    const logits = await predict(model, loader);
    const predicted = noGrad(() => logits.argmax(-1));
    logits.dispose();
    const classes = Int32Array.from(await predicted.data());
    predicted.dispose();
    const actual = Int32Array.from({ length: splits.test.length }, (_, i) => splits.test.get(i).y as number);
    const matrix = confusionMatrix(classes, actual, 10);
    const correct = matrix.reduce((sum, row, i) => sum + row[i]!, 0);
    return { matrix, accuracy: correct / actual.length, samples: actual.length };
  }

  async sample(index: number): Promise<{ pixels: Float32Array; label: number; index: number; count: number }> {
    const { test } = await this.#data();
    const i = ((Math.floor(index) % test.length) + test.length) % test.length;
    const sample = test.get(i);
    return { pixels: Float32Array.from(sample.x.data), label: sample.y as number, index: i, count: test.length };
  }

  exportExtra(): Record<string, unknown> {
    return {
      task: 'classification',
      classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
      transforms: this.#transforms,
    };
  }

  checkImport(modelConfig: ModuleConfig, checkpoint: Checkpoint): { preprocessing?: string } {
    expectEnds(modelConfig, 64, 10, 'digits model (8x8 images, 10 classes)');
    this.#pending = transformsOfCheckpoint(checkpoint);
    return { preprocessing: describeTransforms(this.#pending) };
  }

  async adopt(trained: TrainedModel): Promise<void> {
    await releaseModel(this);
    this.current = trained;
    this.#transforms = this.#pending ?? DIGITS_TRANSFORMS;
    this.#pending = null;
    await this.#data();
    this.#makeSession();
  }

  #model(): TrainedModel['model'] {
    if (!this.current) throw new Error('digits: there is no model yet');
    return this.current.model;
  }

  async #data(): Promise<DigitsSplits> {
    if (this.#splits) return this.#splits;
    const assets = this.assets();
    if (!assets) throw new Error('digits: the worker has not been started');
    return (this.#splits = await loadDigits(assets.digits));
  }

  #transform(): SampleTransform {
    return transformFromConfig(this.#transforms, { skipResize: true });
  }

  #makeSession(): void {
    const current = this.current;
    const splits = this.#splits;
    if (!current || !splits) return;
    const config = this.#config ?? { epochs: 20, batchSize: 32, seed: 0 };
    const transform = this.#transform();
    const train = new DataLoader(splits.train.map(transform), {
      batchSize: config.batchSize > 0 ? config.batchSize : splits.train.length,
      shuffle: true,
      seed: config.seed,
    });
    const validation = new DataLoader(splits.validation.map(transform), { batchSize: EVALUATION_BATCH });
    this.session = new TrainingSession(
      {
        model: current.model,
        optimizer: current.optimizer,
        loss: new CrossEntropyLoss(),
        train,
        validation,
        metrics: ['accuracy'],
        maxEpochs: Math.max(config.epochs, current.epoch),
        readLossEvery: 1_000_000,
      },
      async (summary) => {
        current.epoch = summary.epoch;
        this.emit({
          kind: 'progress',
          demo: 'digits',
          summary,
          epochs: this.session?.parts.maxEpochs ?? config.epochs,
        });
      },
    );
    this.session.epoch = current.epoch;
  }
}
