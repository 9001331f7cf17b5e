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
import { readFileSync } from 'node:fs';
import type { RunConfig } from '../config/schema.js';
import { CliError, UsageError, describeValue } from '../errors.js';
import { MemoryBudget } from '../training/memory-budget.js';
import { checkImageFolder } from './image-check.js';
import { floatTarget } from './float-target.js';

type DataConfig = RunConfig['data'];

/** A source as loaded: samples before the configured transforms, and class names when it has them. */
interface RawSource {
  dataset: DatasetLike<Sample>;
  classes: readonly string[] | undefined;
  /** The file the samples came from (CSV), for messages naming a line. */
  file?: string;
  /** Whether that CSV file has a header row. */
  header?: boolean;
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
  /** Labels without class names (CSV): the largest, which sets the class count, and where it is. */
  largestLabel?: { label: number; where: string };
  /** "digits: 1,797 samples (train 1,258, validation 269, test 270)". */
  summary: string;
}

const count = (n: number): string => n.toLocaleString('en-US');

/** A decoder's multi-line text (libvips' warnings after its error) cut to its first line, brackets kept balanced. */
function firstLine(text: string): string {
  const line = text.split('\n')[0]!.trim();
  const open = (line.match(/\(/g) ?? []).length - (line.match(/\)/g) ?? []).length;
  return `${line.replace(/[:;,]$/, '')}${')'.repeat(Math.max(0, open))}`;
}

/** Turns a data-loading failure into one message that says what was wrong and how to get the data. */
function dataProblem(config: DataConfig, error: unknown, file: string | null): never {
  if (error instanceof CliError || error instanceof UsageError) throw error;
  if (!(error instanceof DataError)) throw error;
  const where = error.source === undefined ? '' : `${error.source}: `;
  // The label column is a flag's value: a usage error (exit 2) naming it and the columns there are.
  if (/^a column named|^labelColumn in/.test(error.expected))
    throw new UsageError(
      `invalid value for data.labelColumn (--label-column): got ${describeValue(config.labelColumn)}; allowed: ${error.expected.replace(/^labelColumn in/, 'a column index in')} (${where}found ${error.found})`,
    );
  // Library wording -> the CLI's flags.
  const expected = error.expected
    .replace('(or pass { size } to resize)', '(or pass --resize HxW to resize them all)')
    .replace('(or targetDtype "float32")', '(or --loss MSELoss for real-valued targets)');
  let hint = '';
  if (config.source === 'fashion-mnist') {
    hint = `. Get it with \`apt-get install -y dataset-fashion-mnist\` (Debian puts it in ${FASHION_MNIST_DIRECTORY}), or pass --data-path to a directory with train-images-idx3-ubyte.gz`;
  } else if (config.source === 'mnist') {
    hint =
      '. Put the IDX files there (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, and t10k-* for a test set)';
  }
  throw new CliError(
    `cannot load the ${config.source} dataset${file ? ` from ${file}` : ''}: ${where}expected ${expected}, found ${firstLine(error.found)}${hint}`,
    undefined,
    { cause: error },
  );
}

async function loadSource(
  config: DataConfig,
  role: 'train' | 'test',
  file: string | null,
  task: LossTask,
  budget: MemoryBudget,
): Promise<RawSource | null> {
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
        const csv = file ?? config.path!;
        // Class indices must be integers: a fractional label is an error naming its file, line and value.
        const table = await readCsv(csv, {
          labelColumn: config.labelColumn,
          ...(task === 'classification' ? { targetDtype: 'int32' as const } : {}),
        });
        const [rows, features] = [table.length, table.get(0).x.shape.reduce((a, b) => a * b, 1)];
        budget.check(
          rows * (features + 1) * 4,
          `the CSV ${csv} (${count(rows)} rows of ${features} values)`,
          'its samples',
          false,
        );
        return { dataset: table, classes: undefined, file: csv, header: table.columns !== undefined };
      }
      case 'image-folder': {
        if (role === 'test' && file === null) return null;
        const size = resizeOfConfig(config.transforms ?? []);
        await checkImageFolder(file ?? config.path!, config.channels, size, budget);
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

/** Where sample `index` of a source is: "data.csv line 17", or "sample 17". */
export function sampleLocation(source: RawSource, index: number): string {
  if (source.file === undefined) return `sample ${index}`;
  const line = csvLineOfRow(source.file, index, source.header === true);
  return line === undefined ? `${source.file}, sample ${index}` : `${source.file}:${line}`;
}

/** The line of a CSV data row (blank and comment lines skipped, as readCsv does), read again only for a message. */
function csvLineOfRow(file: string, row: number, header: boolean): number | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    let seen = header ? -1 : 0;
    let number = 0;
    for (const raw of text.split(/\r?\n/)) {
      number++;
      const cut = raw.indexOf('#');
      if ((cut >= 0 ? raw.slice(0, cut) : raw).trim() === '') continue;
      if (seen === row) return number;
      seen++;
    }
  } catch {
    // Only a detail of a message.
  }
  return undefined;
}

/** The number of classes of integer labels (the names when known, else the largest label + 1), and where that largest label is. */
function classCount(source: RawSource): { count: number; largest?: { label: number; where: string } } {
  if (source.classes) return { count: source.classes.length };
  let largest = -1;
  let at = 0;
  for (let i = 0; i < source.dataset.length; i++) {
    const y = source.dataset.get(i).y;
    const label = typeof y === 'number' ? y : y.data.length === 1 ? Number(y.data[0]) : Number.NaN;
    if (!Number.isInteger(label) || label < 0) {
      throw new CliError(
        `the label ${typeof y === 'number' || y.data.length === 1 ? label : `of shape [${y.shape.join(', ')}]`} at ${sampleLocation(source, i)} is not a class index (an integer >= 0), so a classification loss cannot use it; use --loss MSELoss for real-valued targets`,
      );
    }
    if (label > largest) [largest, at] = [label, i];
  }
  return { count: largest + 1, largest: { label: largest, where: sampleLocation(source, at) } };
}

/**
 * Loads the configured data source (and separate test set), takes the limit, splits it with
 * the split seed, and maps the transforms (and the target form the loss needs) over each part.
 */
export async function loadData(config: RunConfig, budget = MemoryBudget.fromFlag(undefined)): Promise<DataSplits> {
  const data = config.data;
  const task = lossInfo(String(config.loss.type))?.task ?? 'classification';
  const main = limited(await loadSource(data, 'train', null, task, budget), data.limit)!;
  const separateTest = limited(await loadSource(data, 'test', data.testPath, task, budget), data.limit);
  const splitSeed = data.splitSeed ?? config.seed;
  const fractions = separateTest
    ? [1 - data.validationSplit, data.validationSplit]
    : [1 - data.validationSplit - data.testSplit, data.validationSplit, data.testSplit];
  const parts = randomSplit(main.dataset, fractions, { seed: splitSeed });
  const skipResize = data.source === 'image-folder';
  // Random augmentations (flips, random crops) run on the training split alone, seeded by the run.
  const trainTransform = transformFromConfig(data.transforms ?? [], { skipResize, augment: { seed: config.seed } });
  const evalTransform = transformFromConfig(data.transforms ?? [], { skipResize });
  const prepare = (dataset: DatasetLike<Sample> | undefined, transform = evalTransform): DatasetLike<Sample> | null => {
    if (dataset === undefined || dataset.length === 0) return null;
    return new MappedDataset(
      dataset,
      task === 'classification' ? transform : (sample, context) => floatTarget(transform(sample, context)),
    );
  };
  const train = prepare(parts[0], trainTransform);
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
  if (separateTest && separateTest.dataset.length > 0) {
    const testShape = separateTest.dataset.get(0).x.shape;
    const trainShape = main.dataset.get(0).x.shape;
    if (testShape.join('x') !== trainShape.join('x')) {
      const first = (separateTest.dataset as { files?: readonly string[] }).files?.[0] ?? data.testPath;
      throw new CliError(
        `the test data (--test-path ${data.testPath}) does not match the training data: ${first} has samples of shape [${testShape.join(', ')}], the training data [${trainShape.join(', ')}]${data.source === 'image-folder' ? '; pass --resize HxW to bring both to one size' : ''}`,
      );
    }
  }
  const classes = task === 'classification' ? classCount(main) : { count: 1 };
  const outputs = classes.count;
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
    ...(classes.largest ? { largestLabel: classes.largest } : {}),
    summary: `${data.source}${data.path ? ` (${data.path})` : ''}: ${count(main.dataset.length)} samples of shape [${sampleShape.join(', ')}]${task === 'classification' ? `, ${outputs} classes` : ''} (${sizes.join(', ')})`,
  };
}
