import { lossInfo, type LossTask } from '@myelin/core';
import {
  DataError,
  MappedDataset,
  Subset,
  randomSplit,
  resizeOfConfig,
  transformFromConfig,
  type DatasetLike,
  type Sample,
} from '@myelin/data';
import {
  findMnistFiles,
  loadDigits,
  loadFashionMnist,
  loadImageFolder,
  loadMnistDirectory,
  readCsv,
  FASHION_MNIST_DIRECTORY,
} from '@myelin/data/node';
import type { RunConfig } from '../config/schema.js';
import { CliError } from '../errors.js';
import { floatTarget } from './float-target.js';

type DataConfig = RunConfig['data'];

/** A source as loaded: samples before the configured transforms, and class names when it has them. */
interface RawSource {
  dataset: DatasetLike<Sample>;
  classes: readonly string[] | undefined;
}

/** The datasets a run trains, validates and tests on (transforms applied), and what they hold. */
export interface DataSplits {
  train: DatasetLike<Sample>;
  validation: DatasetLike<Sample> | null;
  test: DatasetLike<Sample> | null;
  /** Class names ('0'..'9', folder names); undefined for CSV without names. */
  classes: readonly string[] | undefined;
  /** Outputs the model needs: the number of classes, or 1 for binary and regression losses. */
  outputs: number;
  /** One sample's x shape after the transforms. */
  sampleShape: readonly number[];
  /** One sample's x shape as the source gives it, before the transforms (image folders: after decoding and resizing). */
  inputShape: readonly number[];
  /** How the loss wants targets: class indices, or one float per sample (shape [1], like the output). */
  task: LossTask;
  /** "digits: 1,797 samples (train 1,258, validation 269, test 270)". */
  summary: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** Turns a data-loading failure into one message that says what was wrong and how to get the data. */
function dataProblem(config: DataConfig, error: unknown, file: string | null): never {
  if (!(error instanceof DataError)) throw error;
  const where = error.source === undefined ? '' : `${error.source}: `;
  let hint = '';
  if (config.source === 'fashion-mnist') {
    hint = `. Get it with \`apt-get install -y dataset-fashion-mnist\` (Debian puts it in ${FASHION_MNIST_DIRECTORY}), or pass --data-path to a directory with train-images-idx3-ubyte.gz`;
  } else if (config.source === 'mnist') {
    hint =
      '. Put the IDX files there (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, and t10k-* for a test set)';
  }
  throw new CliError(
    `cannot load the ${config.source} dataset${file ? ` from ${file}` : ''}: ${where}expected ${error.expected}, found ${error.found}${hint}`,
    undefined,
    { cause: error },
  );
}

async function loadSource(config: DataConfig, role: 'train' | 'test', file: string | null): Promise<RawSource | null> {
  try {
    switch (config.source) {
      case 'digits': {
        if (role === 'test') return null;
        const digits = await loadDigits();
        return { dataset: digits, classes: digits.classes };
      }
      case 'fashion-mnist':
      case 'mnist': {
        // The test role reads t10k-* from the same directory, or from testPath (its train-* if it has no t10k-*).
        const directory = file ?? config.path ?? FASHION_MNIST_DIRECTORY;
        const hasTestFiles = findMnistFiles(directory, 'test').images !== undefined;
        if (role === 'test' && file === null && !hasTestFiles) return null;
        const split = role === 'test' && hasTestFiles ? 'test' : 'train';
        const dataset =
          config.source === 'fashion-mnist'
            ? await loadFashionMnist({ split, ...((file ?? config.path) ? { directory } : {}) })
            : await loadMnistDirectory(directory, { split });
        return { dataset, classes: dataset.classes };
      }
      case 'csv': {
        if (role === 'test' && file === null) return null;
        const table = await readCsv(file ?? config.path!, { labelColumn: config.labelColumn });
        return { dataset: table, classes: undefined };
      }
      case 'image-folder': {
        if (role === 'test' && file === null) return null;
        const size = resizeOfConfig(config.transforms ?? []);
        const folder = await loadImageFolder(file ?? config.path!, {
          channels: config.channels,
          ...(size ? { size } : {}),
          onWarning: (m) => console.warn(`myelin: ${m}`),
        });
        return { dataset: folder, classes: folder.classes };
      }
    }
  } catch (error) {
    dataProblem(config, error, file ?? config.path);
  }
}

function limited(source: RawSource | null, limit: number | null): RawSource | null {
  if (source === null || limit === null || source.dataset.length <= limit) return source;
  return {
    ...source,
    dataset: new Subset(
      source.dataset,
      Array.from({ length: limit }, (_, i) => i),
    ),
  };
}

/** The number of classes of integer labels: the names when known, else the largest label + 1. */
function classCount(source: RawSource): number {
  if (source.classes) return source.classes.length;
  let largest = -1;
  for (let i = 0; i < source.dataset.length; i++) {
    const y = source.dataset.get(i).y;
    if (typeof y !== 'number' || !Number.isInteger(y) || y < 0) {
      throw new CliError(
        `the data's label ${typeof y === 'number' ? y : '(an array)'} at sample ${i} is not a class index (an integer >= 0), so a classification loss cannot use it; use --loss MSELoss for real-valued targets`,
      );
    }
    largest = Math.max(largest, y);
  }
  return largest + 1;
}

/**
 * Loads the configured data source (and separate test set), takes the limit, splits it with
 * the split seed, and maps the transforms (and the target form the loss needs) over each part.
 */
export async function loadData(config: RunConfig): Promise<DataSplits> {
  const data = config.data;
  const main = limited(await loadSource(data, 'train', null), data.limit)!;
  const separateTest = limited(await loadSource(data, 'test', data.testPath), data.limit);
  const splitSeed = data.splitSeed ?? config.seed;
  const fractions = separateTest
    ? [1 - data.validationSplit, data.validationSplit]
    : [1 - data.validationSplit - data.testSplit, data.validationSplit, data.testSplit];
  const parts = randomSplit(main.dataset, fractions, { seed: splitSeed });
  const task = lossInfo(String(config.loss.type))?.task ?? 'classification';
  const transform = transformFromConfig(data.transforms ?? [], { skipResize: data.source === 'image-folder' });
  const prepare = (dataset: DatasetLike<Sample> | undefined): DatasetLike<Sample> | null => {
    if (dataset === undefined || dataset.length === 0) return null;
    return new MappedDataset(
      dataset,
      task === 'classification' ? transform : (sample, context) => floatTarget(transform(sample, context)),
    );
  };
  const train = prepare(parts[0]);
  if (train === null)
    throw new CliError(
      `the ${data.source} data has no training samples left after the split (validation ${data.validationSplit}, test ${data.testSplit}, limit ${data.limit ?? 'none'})`,
    );
  const validation = prepare(parts[1]);
  const test = prepare(separateTest ? separateTest.dataset : parts[2]);
  let sampleShape: readonly number[];
  try {
    sampleShape = train.get(0, { epoch: 0 }).x.shape;
  } catch (error) {
    if (error instanceof DataError)
      throw new CliError(
        `the transforms ${JSON.stringify(data.transforms)} do not fit the ${data.source} data: ${error.message}`,
      );
    throw error;
  }
  const outputs = task === 'classification' ? classCount(main) : 1;
  const sizes = [
    `train ${count(train.length)}`,
    `validation ${count(validation?.length ?? 0)}`,
    `test ${count(test?.length ?? 0)}${separateTest ? ' (separate)' : ''}`,
  ];
  return {
    train,
    validation,
    test,
    classes: main.classes,
    outputs,
    sampleShape,
    task,
    inputShape: main.dataset.get(0).x.shape,
    summary: `${data.source}${data.path ? ` (${data.path})` : ''}: ${count(main.dataset.length)} samples of shape [${sampleShape.join(', ')}]${task === 'classification' ? `, ${outputs} classes` : ''} (${sizes.join(', ')})`,
  };
}
