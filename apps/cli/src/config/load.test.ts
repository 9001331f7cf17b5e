import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { removeDirectory, temporaryDirectory } from '../test-cli.js';
import { presetNames, resolveConfig } from './load.js';
import { CONFIG_OPTIONS } from './options.js';
import { DEFAULT_CONFIG } from './schema.js';

const directory = temporaryDirectory('config');
afterAll(() => removeDirectory(directory));

const resolve = (flags: Record<string, string>, file?: string) =>
  resolveConfig({ flags: new Map(Object.entries(flags)), ...(file ? { file } : {}), cwd: directory }).config;
const failure = (flags: Record<string, string>, file?: string): string => {
  try {
    resolve(flags, file);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a usage error');
};

describe('run config: defaults, file, flags', () => {
  it('defaults to the digits MLP on the automatically chosen backend, with the digits transforms filled in', () => {
    const config = resolve({});
    expect(config).toMatchObject({
      backend: 'auto',
      seed: 0,
      model: { type: 'mlp', hidden: [128] },
      training: { epochs: 40, batchSize: 32 },
    });
    expect(config.data).toMatchObject({ source: 'digits', transforms: [{ type: 'toFloat', scale: 1 / 16 }] });
    expect(DEFAULT_CONFIG.data.transforms).toBeNull(); // unresolved: depends on the source
  });

  it('applies flags over the file, keeping what the flags do not touch', () => {
    const file = path.join(directory, 'run.json');
    writeFileSync(
      file,
      JSON.stringify({ training: { epochs: 9, batchSize: 64 }, optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 } }),
    );
    const config = resolve({ epochs: '3', lr: '0.1' }, file);
    expect(config.training).toMatchObject({ epochs: 3, batchSize: 64 });
    expect(config.optimizer).toEqual({ type: 'sgd', lr: 0.1, momentum: 0.9 });
  });

  it('--optimizer with a new type keeps the learning rate and drops the old options; a JSON object replaces it', () => {
    const file = path.join(directory, 'adam.json');
    writeFileSync(file, JSON.stringify({ optimizer: { type: 'adam', lr: 0.01, betas: [0.8, 0.9] } }));
    expect(resolve({ optimizer: 'sgd' }, file).optimizer).toEqual({ type: 'sgd', lr: 0.01 });
    expect(resolve({ optimizer: 'Adam' }, file).optimizer).toEqual({ type: 'Adam', lr: 0.01, betas: [0.8, 0.9] });
    expect(resolve({ optimizer: '{"type":"adamw","lr":0.003}' }, file).optimizer).toEqual({ type: 'adamw', lr: 0.003 });
    expect(resolve({ loss: 'MSELoss' }).loss).toEqual({ type: 'MSELoss' });
    expect(resolve({ loss: '{"type":"HuberLoss","delta":0.5}' }).loss).toEqual({ type: 'HuberLoss', delta: 0.5 });
  });

  it("an optimizer without an lr trains at its type's default: PyTorch's, or 0.002 for sgd and adam", () => {
    expect(resolve({}).optimizer).toEqual({ type: 'adam', lr: 0.002 });
    expect(resolve({ optimizer: 'adadelta' }).optimizer).toEqual({ type: 'adadelta', lr: 1 });
    expect(resolve({ optimizer: 'RMSprop' }).optimizer).toEqual({ type: 'RMSprop', lr: 0.01 });
    expect(resolve({ optimizer: 'sgd', momentum: '0.9' }).optimizer).toEqual({ type: 'sgd', momentum: 0.9, lr: 0.002 });
    expect(resolve({ optimizer: '{"type":"adagrad","lrDecay":0.1}' }).optimizer).toEqual({
      type: 'adagrad',
      lrDecay: 0.1,
      lr: 0.01,
    });
    // --lr wins over the type's default.
    expect(resolve({ optimizer: 'adadelta', lr: '0.5' }).optimizer).toEqual({ type: 'adadelta', lr: 0.5 });
    // A config file's optimizer without lr: the type's default; with one, the file's, also under a new --optimizer.
    const withoutLr = path.join(directory, 'adadelta.json');
    writeFileSync(withoutLr, JSON.stringify({ optimizer: { type: 'adadelta', rho: 0.95 } }));
    expect(resolve({}, withoutLr).optimizer).toEqual({ type: 'adadelta', rho: 0.95, lr: 1 });
    expect(resolve({ lr: '0.1' }, withoutLr).optimizer).toEqual({ type: 'adadelta', rho: 0.95, lr: 0.1 });
    expect(resolve({ optimizer: 'nadam' }, withoutLr).optimizer).toEqual({ type: 'nadam', lr: 0.002 });
    expect(resolve({ optimizer: 'radam' }, withoutLr).optimizer).toEqual({ type: 'radam', lr: 0.001 });
    expect(resolve({ optimizer: 'asgd' }, withoutLr).optimizer).toEqual({ type: 'asgd', lr: 0.01 });
    // A preset's lr is kept, for its own optimizer and for another named by --optimizer.
    const preset = (flags: Record<string, string>) =>
      resolveConfig({ preset: 'digits', flags: new Map(Object.entries(flags)) }).config.optimizer;
    expect(preset({})).toEqual({ type: 'adam', lr: 0.001 });
    expect(preset({ optimizer: 'adadelta' })).toEqual({ type: 'adadelta', lr: 0.001 });
  });

  it('refuses KLDivLoss, naming why and what to use: every source gives one label per sample', () => {
    expect(() => resolve({ loss: 'KLDivLoss' })).toThrow(
      /invalid value for loss \(--loss\): got KLDivLoss, which compares probability distributions.*allowed: CrossEntropyLoss for class labels/,
    );
  });

  it("refuses a loss by its target kinds (core's lossInfo), not its name: only kinds a label per sample gives are accepted", () => {
    const file = path.join(directory, 'kl.json');
    writeFileSync(file, JSON.stringify({ loss: { type: 'kldivloss', reduction: 'batchmean' } }));
    expect(failure({}, file)).toBe(
      `invalid value for loss (in ${file}): got kldivloss, which compares probability distributions, but every data source here gives one label per sample; allowed: CrossEntropyLoss for class labels (it is the KL divergence to one-hot targets plus a constant), or kldivloss in code with a LogSoftmax output and distribution targets`,
    );
    // Class indices, 0/1 per output, values; CrossEntropyLoss also takes distributions, but indices suffice.
    for (const loss of [
      'CrossEntropyLoss',
      'NLLLoss',
      'MultiMarginLoss',
      'BCELoss',
      'BCEWithLogitsLoss',
      'MultiLabelSoftMarginLoss',
      'MSELoss',
      'PoissonNLLLoss',
    ])
      expect(resolve({ loss }).loss).toEqual({ type: loss });
    expect(() => resolve({ loss: 'SoftMarginLoss' })).toThrow(
      /got SoftMarginLoss, which takes -1\/1 targets, .*allowed: BCEWithLogitsLoss for 0\/1 labels/,
    );
    expect(() => resolve({ loss: 'MultiLabelMarginLoss' })).toThrow(
      /got MultiLabelMarginLoss, which takes a list of class indices per sample .*allowed: MultiMarginLoss or CrossEntropyLoss/,
    );
    // The losses of three tensors, before any data is loaded (core's threeInputLossInfo).
    expect(() => resolve({ loss: 'tripletMarginLoss' })).toThrow(
      /got tripletMarginLoss, which takes three tensors \(forward\(anchor, positive, negative\)\), .*allowed: a loss of \(output, target\)/,
    );
    expect(() => resolve({ loss: 'GaussianNLLLoss' })).toThrow(
      /which takes three tensors \(forward\(input, target, variance\)\)/,
    );
    // An unknown type is left to lossFromConfig, which lists the known ones when training starts.
    expect(resolve({ loss: 'HingeLoss' }).loss).toEqual({ type: 'HingeLoss' });
  });

  it('resolves data paths in a file against the file, and from flags against the working directory', () => {
    mkdirSync(path.join(directory, 'configs'), { recursive: true });
    const file = path.join(directory, 'configs', 'csv.json');
    writeFileSync(file, JSON.stringify({ data: { source: 'csv', path: '../data/rows.csv' } }));
    expect(resolve({}, file).data.path).toBe(path.join(directory, 'data', 'rows.csv'));
    expect(resolve({ 'data-path': 'other.csv' }, file).data.path).toBe(path.join(directory, 'other.csv'));
  });

  it('reads YAML files', () => {
    const file = path.join(directory, 'run.yml');
    writeFileSync(file, 'training:\n  epochs: 7\nmodel:\n  type: mlp\n  hidden: [32, 16]\n  dropout: 0.1\n');
    expect(resolve({}, file)).toMatchObject({
      training: { epochs: 7 },
      model: { hidden: [32, 16], dropout: 0.1, activation: 'relu' },
    });
  });

  it("--resize adds a resize to the source's default transforms, or replaces the size of an existing one", () => {
    expect(resolve({ data: 'fashion-mnist', resize: '14' }).data.transforms).toEqual([
      { type: 'resize', size: 14 },
      { type: 'toFloat' },
      { type: 'normalize', mean: 0.5, std: 0.5 },
    ]);
    expect(
      resolve({ transforms: '[{"type":"toFloat"},{"type":"resize","size":20}]', resize: '8x6' }).data.transforms,
    ).toEqual([{ type: 'toFloat' }, { type: 'resize', size: [8, 6] }]);
  });

  it('--hidden, --layers, --batch-size full, --metrics none, --schedule none', () => {
    expect(resolve({ hidden: '64,32', dropout: '0.25', activation: 'tanh' }).model).toEqual({
      type: 'mlp',
      hidden: [64, 32],
      dropout: 0.25,
      activation: 'tanh',
    });
    expect(resolve({ hidden: 'none' }).model).toMatchObject({ hidden: [] });
    expect(resolve({ hidden: ' 16 , 8 ' }).model).toMatchObject({ hidden: [16, 8] });
  });

  it('an empty --hidden or --metrics list, or one with an empty item, is refused rather than dropped', () => {
    // These trained a linear model ("" and ",,") or [16, 8] ("16,,8") without a word.
    const hidden = 'allowed: integers >= 1 separated by commas (e.g. 128,64), or none for no hidden layer';
    expect(failure({ hidden: '' })).toBe(`invalid value for --hidden: got "" (an empty list); ${hidden}`);
    expect(failure({ hidden: ',,' })).toBe(`invalid value for --hidden: got ",," (item 1 of 3 is empty); ${hidden}`);
    expect(failure({ hidden: '16,,8' })).toBe(
      `invalid value for --hidden: got "16,,8" (item 2 of 3 is empty); ${hidden}`,
    );
    expect(failure({ hidden: '16,' })).toBe(`invalid value for --hidden: got "16," (item 2 of 2 is empty); ${hidden}`);
    expect(failure({ metrics: 'accuracy,,top5' })).toBe(
      'invalid value for --metrics: got "accuracy,,top5" (item 2 of 3 is empty); allowed: accuracy, topK (e.g. top5), precision, recall, f1 (macro; _micro or _weighted for the others, e.g. f1_micro), auc, mae, mse, rmse, r2, comma-separated, or none',
    );
    expect(resolve({ metrics: 'none' }).training.metrics).toEqual([]);
    expect(resolve({ layers: '[{"type":"Linear","inFeatures":64,"outFeatures":10}]' }).model).toEqual({
      type: 'Sequential',
      modules: [{ type: 'Linear', inFeatures: 64, outFeatures: 10 }],
    });
    expect(resolve({ 'batch-size': 'full', metrics: 'none', schedule: 'none' }).training).toMatchObject({
      batchSize: 'full',
      metrics: [],
    });
    expect(resolve({ 'early-stopping': '4' }).training.earlyStopping).toEqual({
      monitor: 'val_loss',
      patience: 4,
      minDelta: 0,
      mode: 'auto',
    });
  });

  it('names the option, the flag or file, the value and what is allowed', () => {
    expect(failure({ epochs: '2.5' })).toBe(
      'invalid value for training.epochs (--epochs): got 2.5; allowed: an integer >= 1',
    );
    expect(failure({ hidden: '64,x' })).toBe(
      'invalid value for model.hidden[1] (--hidden): got "x"; allowed: integers >= 1 separated by commas (e.g. 128,64), or none for no hidden layer',
    );
    expect(failure({ transforms: '[{"type":"blur"}]' })).toBe(
      'invalid value for data.transforms[0].type (--transforms): got "blur"; allowed: toFloat, normalize, resize, flatten, randomHorizontalFlip, randomCrop, randomVerticalFlip, randomRotation, randomResizedCrop, colorJitter, randomErasing, pad, grayscale, randomGrayscale, gaussianBlur, randomApply, randomChoice',
    );
    expect(failure({ transforms: '[{"type":"gaussianBlur","kernelSize":4}]' })).toBe(
      'invalid value for data.transforms[0].kernelSize (--transforms): got 4; allowed: a positive odd integer or [width, height] of them',
    );
    expect(
      failure({ transforms: '[{"type":"randomApply","transforms":[{"type":"randomRotation","degrees":-5}]}]' }),
    ).toBe(
      'invalid value for data.transforms[0].transforms[0].degrees (--transforms): got -5; allowed: a number >= 0 or a [min, max] pair',
    );
    expect(failure({ transforms: '[{"type":"colorJitter","hue":[0.1]}]' })).toMatch(
      /^invalid value for data\.transforms\[0\]\.hue \(--transforms\): got \[0\.1\]; allowed: /,
    );
    expect(failure({ transforms: '[{"type":"randomCrop","size":28,"padding":-2}]' })).toBe(
      'invalid value for data.transforms[0].padding (--transforms): got -2; allowed: a number >= 0',
    );
    expect(failure({ transforms: '[{"type":"flatten"' })).toMatch(
      /^invalid value for --transforms: got "\[\{\\"type\\":\\"flatten\\"" ?; allowed: JSON \(/,
    );
    expect(failure({ name: 'my run' })).toBe(
      "invalid value for output.name (--name): got \"my run\"; allowed: letters, digits, '.', '_' and '-'",
    );
    expect(failure({ layers: '[{"type":"Linear"}]', hidden: '8' })).toMatch(
      /^--hidden sets an option of the mlp model \(or of a cnn's head\), but the model is "Sequential"; allowed: --hidden with model \{"type": "mlp"\} or \{"type": "cnn"\}/,
    );
    expect(failure({ 'clip-grad-norm': '1', 'clip-grad-value': '1' })).toMatch(
      /^invalid value for training\.clipGradValue: got 1 together with training\.clipGradNorm 1; allowed: one of the two$/,
    );
    const file = path.join(directory, 'model.json');
    writeFileSync(file, JSON.stringify({ model: { type: 'mlp', hidden: [0] } }));
    expect(failure({}, file)).toBe(`invalid value for model.hidden[0] in ${file}: got 0; allowed: a number >= 1`);
    writeFileSync(file, JSON.stringify({ model: { type: 'transformer' } }));
    expect(failure({}, file)).toBe(
      `invalid value for model.type in ${file}: got "transformer"; allowed: mlp, cnn, Sequential`,
    );
  });

  it('reads the training-loop flags --accumulate-steps, --class-weight and --validation-freq', () => {
    expect(resolve({}).training).toMatchObject({ accumulateSteps: 1, classWeight: null, validationFreq: 1 });
    expect(
      resolve({ 'accumulate-steps': '4', 'validation-freq': '3', 'class-weight': 'balanced' }).training,
    ).toMatchObject({ accumulateSteps: 4, validationFreq: 3, classWeight: 'balanced' });
    expect(resolve({ 'class-weight': '1, 2,0.5' }).training.classWeight).toEqual([1, 2, 0.5]);
    expect(resolve({ 'class-weight': '{"0": 1, "1": 3}' }).training.classWeight).toEqual({ 0: 1, 1: 3 });
    expect(resolve({ 'class-weight': 'none' }).training.classWeight).toBeNull();
    expect(failure({ 'accumulate-steps': '0' })).toBe(
      'invalid value for training.accumulateSteps (--accumulate-steps): got 0; allowed: an integer >= 1',
    );
    expect(failure({ 'validation-freq': '1.5' })).toMatch(
      /^invalid value for training\.validationFreq \(--validation-freq\): got 1\.5; allowed: /,
    );
    expect(failure({ 'class-weight': '1,-2' })).toMatch(
      /^invalid value for training\.classWeight.* \(--class-weight\)/,
    );
    expect(failure({ 'class-weight': '1,,2' })).toBe(
      'invalid value for --class-weight: got "1,,2" (item 2 of 3 is empty); allowed: balanced, none, weights >= 0 separated by commas, or JSON',
    );
    expect(failure({ 'class-weight': '{"a": 1}' })).toMatch(
      /^invalid value for training\.classWeight.* \(--class-weight\)/,
    );
  });

  it('every preset is a valid config', () => {
    expect(presetNames()).toEqual([
      'digits',
      'fashion-mnist',
      'fashion-mnist-cnn',
      'image-folder',
      'image-folder-mlp',
      'xor',
    ]);
    for (const preset of presetNames()) {
      const flags = new Map(preset.startsWith('image-folder') ? [['data-path', directory]] : []);
      expect(() => resolveConfig({ preset, flags })).not.toThrow();
    }
  });

  it('has a flag for every config option', () => {
    const flagged = new Set(CONFIG_OPTIONS.map((o) => o.path.split('.').slice(0, 2).join('.')));
    const leaves = [
      'data.source',
      'data.path',
      'data.testPath',
      'data.labelColumn',
      'data.channels',
      'data.validationSplit',
      'data.testSplit',
      'data.splitSeed',
      'data.limit',
      'data.transforms',
      'model',
      'loss',
      'optimizer',
      'schedule',
      'training.epochs',
      'training.batchSize',
      'training.metrics',
      'training.earlyStopping',
      'training.clipGradNorm',
      'training.clipGradValue',
      'training.readLossEvery',
      'training.accumulateSteps',
      'training.classWeight',
      'training.validationFreq',
      'checkpoint.monitor',
      'checkpoint.every',
      'checkpoint.saveBest',
      'log.everyBatches',
      'log.everyEpochs',
      'backend',
      'seed',
      'output.dir',
      'output.name',
    ];
    for (const leaf of leaves)
      expect(
        [...flagged].some((p) => p === leaf || p.startsWith(`${leaf}.`) || leaf.startsWith(`${p}.`)),
        leaf,
      ).toBe(true);
  });
});
