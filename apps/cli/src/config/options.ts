import { readFileSync } from 'node:fs';
import { MLP_ACTIVATIONS } from '@myelin/core';
import { UsageError, describeValue } from '../errors.js';
import { describeDefaultLearningRates } from './learning-rates.js';
import { getPath, isObject, setPath, type JsonObject } from './paths.js';
import { DATA_SOURCES, DEFAULT_CONFIG, defaultTransforms, type DataSource } from './schema.js';

/**
 * Every config option as a flag of `myelin train`: the flag, the config path it sets, what is
 * allowed (for --help and for error messages) and how its text becomes a value. Flags are
 * applied over the config file, so a flag always wins.
 */
export interface ConfigOption {
  /** Long flag name without dashes. */
  flag: string;
  /** Argument placeholder for --help. */
  argument: string;
  /** The config path the flag sets. */
  path: string;
  description: string;
  /** What values are allowed, in words. */
  allowed: string;
  /** The default shown by --help, when it is not simply the value at `path` in the defaults. */
  shownDefault?: string;
  /** Text to value; values that are not valid are returned as they are, for the schema to report. */
  parse: (text: string, flag: string) => unknown;
  /** Puts the parsed value into the config (default: set `path`). */
  apply?: (config: JsonObject, value: unknown, flag: string) => void;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

export const parseNumber = (text: string): unknown => (NUMBER.test(text.trim()) ? Number(text) : text);
const parseNullableNumber = (text: string): unknown => (/^(none|null|off)$/i.test(text) ? null : parseNumber(text));
const parseText = (text: string): unknown => text;
const parseNullableText = (text: string): unknown => (/^(none|null|auto)$/i.test(text) ? null : text);

function parseJson(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `invalid value for --${flag}: got ${describeValue(text)}; allowed: JSON (${(error as Error).message})`,
    );
  }
}

/** A JSON object, or a bare type name that becomes { type }. */
function parseTyped(text: string, flag: string): unknown {
  return text.trim().startsWith('{') ? parseJson(text, flag) : { type: text };
}

/**
 * A comma-separated list (none or null: the empty list). An empty text or an empty item is
 * refused: dropping it silently turned `--hidden ""` into a linear model and `16,,8` into [16, 8].
 */
function listParser(allowed: string, item: (text: string) => unknown = parseText) {
  return (text: string, flag: string): unknown[] => {
    if (/^(none|null)$/i.test(text.trim())) return [];
    const items = text.split(',').map((entry) => entry.trim());
    const empty = items.indexOf('');
    if (empty >= 0) {
      const what = text.trim() === '' ? 'an empty list' : `item ${empty + 1} of ${items.length} is empty`;
      throw new UsageError(`invalid value for --${flag}: got ${describeValue(text)} (${what}); allowed: ${allowed}`);
    }
    return items.map(item);
  };
}

const HIDDEN_ALLOWED = 'integers >= 1 separated by commas (e.g. 128,64), or none for no hidden layer';
const METRICS_ALLOWED =
  'accuracy, topK (e.g. top5), precision, recall, f1 (macro; _micro or _weighted for the others, e.g. f1_micro), auc, mae, mse, rmse, r2, comma-separated, or none';

function parseBoolean(text: string): unknown {
  if (/^(true|yes|on|1)$/i.test(text)) return true;
  if (/^(false|no|off|0)$/i.test(text)) return false;
  return text;
}

/** `--class-weight`: balanced, none, JSON, or numbers separated by commas. */
function parseClassWeight(text: string, flag: string): unknown {
  const trimmed = text.trim();
  if (/^(none|null)$/i.test(trimmed)) return null;
  if (/^balanced$/i.test(trimmed)) return 'balanced';
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJson(trimmed, flag);
  return listParser('balanced, none, weights >= 0 separated by commas, or JSON', parseNumber)(text, flag);
}

/** `--layers`: JSON (a list of module configs or a Sequential config) or a JSON file holding one. */
function parseLayers(text: string, flag: string): unknown {
  const trimmed = text.trim();
  let value: unknown;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) value = parseJson(trimmed, flag);
  else {
    let content: string;
    try {
      content = readFileSync(trimmed, 'utf8');
    } catch (error) {
      throw new UsageError(
        `invalid value for --${flag}: got ${describeValue(text)}; allowed: a JSON layer list or a JSON file holding one (${(error as Error).message})`,
      );
    }
    value = parseJson(content, flag);
  }
  return Array.isArray(value) ? { type: 'Sequential', modules: value } : value;
}

function currentObject(config: JsonObject, key: 'loss' | 'optimizer' | 'model'): JsonObject {
  const value = config[key];
  return isObject(value) ? value : { ...(DEFAULT_CONFIG[key] as JsonObject) };
}

const sameType = (a: unknown, b: unknown): boolean =>
  typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();

/**
 * --loss / --optimizer: a JSON object with options replaces the entry; a bare type keeps the
 * options when the type is unchanged. A learning rate the file (or preset) gave carries over to
 * an optimizer object without one; the default one does not, as each type has its own
 * (learning-rates.ts, filled in when the config is resolved).
 */
function applyTyped(key: 'loss' | 'optimizer') {
  return (config: JsonObject, value: unknown): void => {
    const current = currentObject(config, key);
    const givenLr = key === 'optimizer' && isObject(config.optimizer) ? config.optimizer.lr : undefined;
    const bareType = isObject(value) && Object.keys(value).length === 1;
    const next = bareType && sameType(current.type, value.type) ? { ...current, type: value.type } : value;
    config[key] = givenLr !== undefined && isObject(next) && next.lr === undefined ? { ...next, lr: givenLr } : next;
  };
}

function applyOptimizerOption(option: string) {
  return (config: JsonObject, value: unknown): void => {
    config.optimizer = { ...currentObject(config, 'optimizer'), [option]: value };
  };
}

function applyMlpOption(option: string) {
  return (config: JsonObject, value: unknown, flag: string): void => {
    const model = currentObject(config, 'model');
    if (model.type !== 'mlp' && model.type !== 'cnn') {
      throw new UsageError(
        `--${flag} sets an option of the mlp model (or of a cnn's head), but the model is ${describeValue(model.type)}; allowed: --${flag} with model {"type": "mlp"} or {"type": "cnn"} (or change the layers with --layers)`,
      );
    }
    config.model = { ...model, [option]: value };
  };
}

/** --resize: sets the size of the resize transform, adding one first in the list if there is none. */
function applyResize(config: JsonObject, value: unknown): void {
  const data = isObject(config.data) ? config.data : (config.data = {});
  const source = typeof data.source === 'string' ? data.source : DEFAULT_CONFIG.data.source;
  const transforms: unknown[] = Array.isArray(data.transforms)
    ? [...data.transforms]
    : defaultTransforms(source as DataSource);
  const index = transforms.findIndex((t) => isObject(t) && t.type === 'resize');
  if (value === null) {
    if (index >= 0) transforms.splice(index, 1);
  } else if (index >= 0) transforms[index] = { type: 'resize', size: value };
  else transforms.unshift({ type: 'resize', size: value });
  data.transforms = transforms;
}

function parseSize(text: string): unknown {
  if (/^(none|null|off)$/i.test(text)) return null;
  const match = /^(\d+)(?:x(\d+))?$/i.exec(text.trim());
  if (!match) return text;
  return match[2] === undefined ? Number(match[1]) : [Number(match[1]), Number(match[2])];
}

function applyEarlyStopping(config: JsonObject, value: unknown): void {
  const training = isObject(config.training) ? config.training : (config.training = {});
  if (value === null) training.earlyStopping = null;
  else
    training.earlyStopping = { ...(isObject(training.earlyStopping) ? training.earlyStopping : {}), patience: value };
}

function applyEarlyStoppingMonitor(config: JsonObject, value: unknown): void {
  const training = isObject(config.training) ? config.training : (config.training = {});
  training.earlyStopping = { ...(isObject(training.earlyStopping) ? training.earlyStopping : {}), monitor: value };
}

const integerAtLeast = (minimum: number) => `an integer >= ${minimum}`;

export const CONFIG_OPTIONS: readonly ConfigOption[] = [
  {
    flag: 'data',
    argument: '<source>',
    path: 'data.source',
    description: 'dataset',
    allowed: DATA_SOURCES.join(', '),
    parse: parseText,
  },
  {
    flag: 'data-path',
    argument: '<path>',
    path: 'data.path',
    description:
      'dataset location: MNIST-format directory (mnist, fashion-mnist), CSV or whitespace-separated file (csv), folder with a sub-folder per class (image-folder)',
    allowed: 'a path',
    shownDefault: `none (fashion-mnist: /usr/share/datasets/fashion-mnist)`,
    parse: parseNullableText,
  },
  {
    flag: 'test-path',
    argument: '<path>',
    path: 'data.testPath',
    description: 'a separate test set of the same kind (instead of --test-split)',
    allowed: 'a path',
    shownDefault: 'none',
    parse: parseNullableText,
  },
  {
    flag: 'label-column',
    argument: '<column>',
    path: 'data.labelColumn',
    description: 'CSV label column: index (negative from the end) or header name',
    allowed: 'an integer or a column name',
    parse: (text) => (/^-?\d+$/.test(text) ? Number(text) : text),
  },
  {
    flag: 'channels',
    argument: '<1|3>',
    path: 'data.channels',
    description: 'image-folder: 3 (RGB) or 1 (grayscale)',
    allowed: '1 or 3',
    parse: parseNumber,
  },
  {
    flag: 'val-split',
    argument: '<fraction>',
    path: 'data.validationSplit',
    description: 'fraction of the training data held out for validation',
    allowed: 'a number in [0, 0.95]',
    parse: parseNumber,
  },
  {
    flag: 'test-split',
    argument: '<fraction>',
    path: 'data.testSplit',
    description: 'fraction held out for testing (sources without a test set: digits, csv, image-folder)',
    allowed: 'a number in [0, 0.95]',
    parse: parseNumber,
  },
  {
    flag: 'split-seed',
    argument: '<n>',
    path: 'data.splitSeed',
    description: 'seed of the train/validation/test split',
    allowed: `${integerAtLeast(0)} or none`,
    shownDefault: 'the run seed',
    parse: parseNullableNumber,
  },
  {
    flag: 'limit',
    argument: '<n>',
    path: 'data.limit',
    description: 'use only the first n samples of each source (quick trials)',
    allowed: `${integerAtLeast(1)} or none`,
    shownDefault: 'none',
    parse: parseNullableNumber,
  },
  {
    flag: 'transforms',
    argument: '<json>',
    path: 'data.transforms',
    description:
      'preprocessing, in order, e.g. \'[{"type":"toFloat"},{"type":"normalize","mean":0.5,"std":0.5},{"type":"flatten"}]\' (types: toFloat, normalize, resize, flatten, pad {padding, fill, paddingMode}, grayscale {numOutputChannels}; training data only: randomHorizontalFlip {p}, randomCrop {size, padding, fill} (a centre crop for evaluation), randomVerticalFlip {p}, randomRotation {degrees, interpolation, fill}, randomResizedCrop {size, scale, ratio} (a resize for evaluation), colorJitter {brightness, contrast, saturation, hue}, randomErasing {p, scale, ratio, value}, randomGrayscale {p}, gaussianBlur {kernelSize, sigma}, randomApply {transforms, p}, randomChoice {transforms, p})',
    allowed: 'a JSON list of {"type": "toFloat"|"normalize"|"resize"|"flatten", ...}',
    shownDefault: 'per dataset (digits: toFloat scale 1/16)',
    parse: (text, flag) => (/^(auto|default|null)$/i.test(text) ? null : parseJson(text, flag)),
  },
  {
    flag: 'resize',
    argument: '<size>',
    path: 'data.transforms',
    description: 'resize images to HxW (or a square) before the other transforms',
    allowed: 'a size like 64 or 64x48, or none',
    shownDefault: 'none',
    parse: parseSize,
    apply: applyResize,
  },
  {
    flag: 'layers',
    argument: '<json|file>',
    path: 'model',
    description:
      'the model as a layer list in the JSON form checkpoints store ({"type":"Sequential","modules":[...]} or just the list), inline or in a file',
    allowed: 'a JSON layer list, a Sequential config, or a file holding one',
    shownDefault: 'the MLP above',
    parse: parseLayers,
  },
  {
    flag: 'hidden',
    argument: '<sizes>',
    path: 'model.hidden',
    description: 'MLP hidden layer sizes, comma-separated (none: a linear model)',
    allowed: HIDDEN_ALLOWED,
    parse: listParser(HIDDEN_ALLOWED, parseNumber),
    apply: applyMlpOption('hidden'),
  },
  {
    flag: 'activation',
    argument: '<name>',
    path: 'model.activation',
    description: 'MLP activation',
    allowed: MLP_ACTIVATIONS.join(', '),
    parse: parseText,
    apply: applyMlpOption('activation'),
  },
  {
    flag: 'dropout',
    argument: '<p>',
    path: 'model.dropout',
    description: 'MLP dropout after each hidden layer',
    allowed: 'a number in [0, 0.99]',
    parse: parseNumber,
    apply: applyMlpOption('dropout'),
  },
  {
    flag: 'loss',
    argument: '<type|json>',
    path: 'loss',
    description:
      'loss: CrossEntropyLoss, NLLLoss, MultiMarginLoss, BCELoss, BCEWithLogitsLoss, MultiLabelSoftMarginLoss, MSELoss, L1Loss, HuberLoss, SmoothL1Loss, PoissonNLLLoss, or a JSON config with options',
    allowed: 'a loss type or a JSON object {"type": ..., options}',
    shownDefault: 'CrossEntropyLoss',
    parse: parseTyped,
    apply: applyTyped('loss'),
  },
  {
    flag: 'optimizer',
    argument: '<type|json>',
    path: 'optimizer',
    description:
      'optimizer: sgd, adam, adamw, rmsprop, adagrad, adadelta, adamax, nadam, radam, rprop, asgd, or a JSON config with options',
    allowed: 'an optimizer type or a JSON object {"type": ..., options}',
    shownDefault: 'adam',
    parse: parseTyped,
    apply: applyTyped('optimizer'),
  },
  {
    flag: 'lr',
    argument: '<rate>',
    path: 'optimizer.lr',
    description: 'learning rate',
    allowed: 'a number > 0',
    shownDefault: `by optimizer: ${describeDefaultLearningRates()}`,
    parse: parseNumber,
    apply: applyOptimizerOption('lr'),
  },
  {
    flag: 'momentum',
    argument: '<m>',
    path: 'optimizer.momentum',
    description: 'SGD or RMSprop momentum',
    allowed: 'a number in [0, 1)',
    shownDefault: '0',
    parse: parseNumber,
    apply: applyOptimizerOption('momentum'),
  },
  {
    flag: 'weight-decay',
    argument: '<w>',
    path: 'optimizer.weightDecay',
    description: 'weight decay (decoupled for adamw, an L2 term in the gradient for the others)',
    allowed: 'a number >= 0',
    shownDefault: '0',
    parse: parseNumber,
    apply: applyOptimizerOption('weightDecay'),
  },
  {
    flag: 'schedule',
    argument: '<json|none>',
    path: 'schedule',
    description:
      'LR schedule stepped each epoch, e.g. \'{"type":"MultiStepLR","milestones":[3,7],"gamma":0.1}\' (StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR, ConstantLR, PolynomialLR, CosineAnnealingWarmRestarts, LinearWarmup, ReduceLROnPlateau), or each batch: \'{"type":"OneCycleLR","maxLr":0.01}\' (its length is the run\'s epochs x batches), CyclicLR; SequentialLR and ChainedScheduler nest them: \'{"type":"SequentialLR","schedulers":[{"type":"LinearLR","totalIters":5},{"type":"CosineAnnealingLR","tMax":35}],"milestones":[5]}\'',
    allowed: 'a JSON object {"type": ..., options} or none',
    shownDefault: 'none',
    parse: (text, flag) => (/^(none|null|off)$/i.test(text) ? null : parseTyped(text, flag)),
  },
  {
    flag: 'epochs',
    argument: '<n>',
    path: 'training.epochs',
    description: 'epochs to train (the total, also when resuming)',
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'batch-size',
    argument: '<n|full>',
    path: 'training.batchSize',
    description: 'samples per batch (full: the whole training set)',
    allowed: `${integerAtLeast(1)} or full`,
    parse: (text) => (text === 'full' ? text : parseNumber(text)),
  },
  {
    flag: 'metrics',
    argument: '<names>',
    path: 'training.metrics',
    description:
      'metrics besides the loss, comma-separated: accuracy, top5, precision, recall, f1, f1_micro, auc, mae, mse, rmse, r2, ... (none: only the loss)',
    allowed: METRICS_ALLOWED,
    shownDefault: 'accuracy for classification losses',
    parse: listParser(METRICS_ALLOWED),
  },
  {
    flag: 'early-stopping',
    argument: '<patience|none>',
    path: 'training.earlyStopping.patience',
    description: 'stop after this many epochs without improvement of the monitored value',
    allowed: `${integerAtLeast(0)} or none`,
    shownDefault: 'none',
    parse: parseNullableNumber,
    apply: applyEarlyStopping,
  },
  {
    flag: 'early-stopping-monitor',
    argument: '<name>',
    path: 'training.earlyStopping.monitor',
    description: 'value early stopping watches (loss, accuracy, val_loss, val_accuracy, ...)',
    allowed: 'a logged value name',
    shownDefault: 'val_loss',
    parse: parseText,
    apply: applyEarlyStoppingMonitor,
  },
  {
    flag: 'clip-grad-norm',
    argument: '<max|none>',
    path: 'training.clipGradNorm',
    description: 'clip the global gradient norm before each step',
    allowed: 'a number > 0 or none',
    shownDefault: 'none',
    parse: parseNullableNumber,
  },
  {
    flag: 'clip-grad-value',
    argument: '<max|none>',
    path: 'training.clipGradValue',
    description: 'clip each gradient element to [-max, max]',
    allowed: 'a number > 0 or none',
    shownDefault: 'none',
    parse: parseNullableNumber,
  },
  {
    flag: 'accumulate-steps',
    argument: '<k>',
    path: 'training.accumulateSteps',
    description:
      "sum the gradients of k batches per optimizer step (each batch weighted by its samples: one step on their concatenation); an epoch's leftover batches step at its end",
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'class-weight',
    argument: '<weights|balanced|none>',
    path: 'training.classWeight',
    description:
      "multiply each training sample's loss by its class's weight (Keras' class_weight); balanced: samples / (classes x class samples), from the training labels",
    allowed: 'balanced, none, weights >= 0 separated by commas (one per class), or JSON ([1, 2] or {"0": 1, "1": 2})',
    shownDefault: 'none',
    parse: parseClassWeight,
  },
  {
    flag: 'validation-freq',
    argument: '<n>',
    path: 'training.validationFreq',
    description:
      'validate after every n-th epoch (the best checkpoint, early stopping and plateau schedules skip the others)',
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'read-loss-every',
    argument: '<k>',
    path: 'training.readLossEvery',
    description: 'read the loss back every k steps (GPU backends: > 1 keeps the device busy)',
    allowed: `${integerAtLeast(1)} or none`,
    shownDefault: '1 with synchronous reads (cpu-reference), else 10',
    parse: parseNullableNumber,
  },
  {
    flag: 'checkpoint-monitor',
    argument: '<name>',
    path: 'checkpoint.monitor',
    description: 'value that picks the best checkpoint',
    allowed: 'a logged value name, or auto',
    shownDefault: 'val_accuracy (classification) or val_loss; loss without validation',
    parse: parseNullableText,
  },
  {
    flag: 'checkpoint-every',
    argument: '<n>',
    path: 'checkpoint.every',
    description: "write the 'last' checkpoint every n epochs (and always at the end)",
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'save-best',
    argument: '<true|false>',
    path: 'checkpoint.saveBest',
    description: "keep a 'best' checkpoint",
    allowed: 'true or false',
    parse: parseBoolean,
  },
  {
    flag: 'log-every',
    argument: '<batches>',
    path: 'log.everyBatches',
    description: 'without a progress bar: a line every this many batches',
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'log-epochs-every',
    argument: '<n>',
    path: 'log.everyEpochs',
    description: 'print the epoch summary every n epochs',
    allowed: integerAtLeast(1),
    parse: parseNumber,
  },
  {
    flag: 'backend',
    argument: '<name>',
    path: 'backend',
    description: 'compute backend: auto (the usable one of highest priority), or a name that myelin info lists',
    allowed: 'an installed backend name',
    parse: parseText,
  },
  {
    flag: 'seed',
    argument: '<n>',
    path: 'seed',
    description: 'seed of initialisation, shuffling, dropout and the split',
    allowed: integerAtLeast(0),
    parse: parseNumber,
  },
  {
    flag: 'output',
    argument: '<dir>',
    path: 'output.dir',
    description: 'directory that holds the run directories',
    allowed: 'a path',
    parse: parseText,
  },
  {
    flag: 'name',
    argument: '<name>',
    path: 'output.name',
    description: 'run directory name',
    allowed: "letters, digits, '.', '_' and '-'",
    shownDefault: '<dataset>-<date>-<time>',
    parse: parseNullableText,
  },
];

/** The option that set `path` (or a parent of it), for messages. */
export function optionForPath(path: string): ConfigOption | undefined {
  return (
    CONFIG_OPTIONS.find((option) => option.path === path) ??
    CONFIG_OPTIONS.find((option) => path.startsWith(`${option.path}.`) && !option.apply)
  );
}

/** The default --help shows for an option. */
export function shownDefault(option: ConfigOption): string {
  if (option.shownDefault !== undefined) return option.shownDefault;
  const value = getPath(DEFAULT_CONFIG, option.path);
  if (value === null) return 'none';
  return Array.isArray(value) ? value.join(',') : String(value);
}

/**
 * Applies flag values (text, keyed by flag name) over a config object, in table order;
 * returns the paths each flag set, so errors can name the flag.
 */
export function applyFlags(config: JsonObject, flags: ReadonlyMap<string, string>): Map<string, string> {
  const origins = new Map<string, string>();
  for (const option of CONFIG_OPTIONS) {
    const text = flags.get(option.flag);
    if (text === undefined) continue;
    const value = option.parse(text, option.flag);
    if (option.apply) option.apply(config, value, option.flag);
    else setPath(config, option.path, value);
    origins.set(option.path, `--${option.flag}`);
  }
  return origins;
}
