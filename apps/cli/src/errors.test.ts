import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeDirectory, runCli, temporaryDirectory } from './test-cli.js';

const cwd = temporaryDirectory('errors');
afterAll(() => removeDirectory(cwd));

beforeAll(async () => {
  writeFileSync(path.join(cwd, 'bad-value.json'), JSON.stringify({ training: { batchSize: 'big' } }));
  writeFileSync(path.join(cwd, 'unknown-key.json'), JSON.stringify({ training: { epoch: 3 } }));
  writeFileSync(path.join(cwd, 'broken.json'), '{ "training": { "epochs": 3, } }');
  writeFileSync(
    path.join(cwd, 'transform.yaml'),
    'data:\n  transforms:\n    - { type: normalize, mean: 0.5, std: 0 }\n',
  );
  mkdirSync(path.join(cwd, 'empty-run'));
  const run = await runCli(['train', '--epochs', '1', '--hidden', '8', '--name', 'done'], cwd);
  expect(run.code, run.stderr).toBe(0);
});

/** [what, arguments, exit code, the one-line message]. */
const CASES: [string, string[], number, RegExp][] = [
  [
    'unknown flag',
    ['train', '--epochz', '3'],
    2,
    /^myelin: unknown option '--epochz' \(Did you mean --epochs\?\) See myelin train --help for every option\.$/,
  ],
  ['unknown command', ['trian'], 2, /^myelin: unknown command 'trian'/],
  ['a flag without its value', ['train', '--epochs'], 2, /^myelin: option '--epochs <n>' argument missing/],
  [
    'a number flag with text',
    ['train', '--epochs', 'ten'],
    2,
    /^myelin: invalid value for training\.epochs \(--epochs\): got "ten"; allowed: an integer >= 1$/,
  ],
  [
    'a number flag out of range',
    ['train', '--epochs', '0'],
    2,
    /^myelin: invalid value for training\.epochs \(--epochs\): got 0; allowed: an integer >= 1$/,
  ],
  [
    'a choice flag',
    ['train', '--data', 'imagenet'],
    2,
    /^myelin: invalid value for data\.source \(--data\): got "imagenet"; allowed: digits, fashion-mnist, mnist, csv, image-folder$/,
  ],
  [
    'splits that leave no training data',
    ['train', '--val-split', '0.5', '--test-split', '0.5'],
    2,
    /^myelin: invalid value for data\.validationSplit \+ data\.testSplit \(--val-split, --test-split\): got 0\.5 \+ 0\.5; allowed: a sum below 1/,
  ],
  [
    'a bad value in the config file',
    ['train', '--config', 'bad-value.json'],
    2,
    /^myelin: invalid value for training\.batchSize in bad-value\.json: got "big"; allowed: an integer >= 1 or full$/,
  ],
  [
    'an unknown key in the config file',
    ['train', '--config', 'unknown-key.json'],
    2,
    /^myelin: unknown option 'epoch' in training \(unknown-key\.json\); allowed: epochs, batchSize, /,
  ],
  [
    'a config file that is not JSON',
    ['train', '--config', 'broken.json'],
    2,
    /^myelin: config file broken\.json is not valid JSON: /,
  ],
  [
    'a bad transform in a YAML config',
    ['train', '--config', 'transform.yaml'],
    2,
    /^myelin: invalid value for data\.transforms\[0\]\.std in transform\.yaml: got 0; allowed: a number > 0$/,
  ],
  [
    'a missing config file',
    ['train', '--config', 'nope.json'],
    2,
    /^myelin: invalid value for --config: got "nope\.json"; allowed: a readable JSON or YAML file \(no such file\)$/,
  ],
  [
    'an unknown preset',
    ['train', '--preset', 'imagenet'],
    2,
    /^myelin: invalid value for --preset: got "imagenet"; allowed: digits, fashion-mnist, fashion-mnist-cnn, image-folder, image-folder-mlp, xor$/,
  ],
  [
    'an unknown layer type',
    ['train', '--layers', '[{"type":"Linera","inFeatures":64,"outFeatures":10}]'],
    2,
    /^myelin: invalid value for model \(--layers\): moduleFromConfig: at modules\[0\]: unknown module type "Linera"; known types are .*Linear/,
  ],
  [
    'a model that does not fit the data',
    ['train', '--layers', '[{"type":"Linear","inFeatures":10,"outFeatures":10}]'],
    2,
    /^myelin: invalid value for model \(--layers\): it does not fit the data: Linear\(10 -> 10\) got input of shape \[2,64\]: last dimension must be 10; allowed: a model taking samples of shape \[64\] and giving 10 class scores$/,
  ],
  [
    'an unknown optimizer option',
    ['train', '--optimizer', '{"type":"sgd","lr":0.1,"momentun":0.9}'],
    2,
    /^myelin: invalid value for optimizer\.momentun \(--optimizer\): .*unknown option 'momentun' \(allowed: lr, momentum, /,
  ],
  [
    'an unknown loss',
    ['train', '--loss', 'HingeLoss'],
    2,
    /^myelin: invalid value for loss \(--loss\): .*unknown loss type 'HingeLoss' \(known types: /,
  ],
  [
    'a schedule without its options',
    ['train', '--schedule', '{"type":"StepLR"}'],
    2,
    /^myelin: invalid value for schedule \(--schedule\): StepLR: invalid stepSize undefined \(must be an integer >= 1\)$/,
  ],
  [
    'a monitor that is not logged',
    ['train', '--checkpoint-monitor', 'val_f1'],
    2,
    /^myelin: invalid value for checkpoint\.monitor \(--checkpoint-monitor\): got "val_f1"; allowed: loss, accuracy, val_loss, val_accuracy, lr$/,
  ],
  [
    'early stopping without validation data',
    ['train', '--val-split', '0', '--early-stopping', '3'],
    2,
    /there is no validation data: data\.validationSplit is 0\); allowed: loss, accuracy, lr$/,
  ],
  [
    'a data source without its path',
    ['train', '--data', 'csv'],
    2,
    /^myelin: missing value for data\.path \(--data-path\): data source 'csv' needs one; allowed: a CSV or whitespace-separated file$/,
  ],
  [
    'a missing dataset',
    ['train', '--data', 'fashion-mnist', '--data-path', 'no-such-dir'],
    1,
    /^myelin: cannot load the fashion-mnist dataset from .*no-such-dir: .*Get it with `apt-get install -y dataset-fashion-mnist`/,
  ],
  [
    'a missing MNIST directory',
    ['train', '--data', 'mnist', '--data-path', 'no-such-dir'],
    1,
    /^myelin: cannot load the mnist dataset .*Put the IDX files there/,
  ],
  [
    'a backend that is not installed',
    ['train', '--backend', 'tpu'],
    1,
    /^myelin: backend 'tpu' is not available: @myelin\/backend-tpu is not installed\. Installed backends: (\w[\w-]*, )*cpu-reference, /,
  ],
  [
    'a flag that a resumed run cannot change',
    ['train', '--resume', 'runs/done', '--lr', '0.1'],
    2,
    /^myelin: --lr cannot be used with --resume: a resumed run keeps its config/,
  ],
  [
    'resuming a directory that is not a run',
    ['train', '--resume', 'empty-run'],
    2,
    /^myelin: invalid value for --resume: got "empty-run"; allowed: a run directory made by myelin train/,
  ],
  [
    'evaluating a missing checkpoint',
    ['evaluate', 'runs/nope'],
    2,
    /^myelin: invalid value for <checkpoint>: got "runs\/nope" \(no such checkpoint\); allowed: a run directory/,
  ],
  [
    'evaluating an unknown split',
    ['evaluate', 'runs/done', '--split', 'holdout'],
    2,
    /^myelin: invalid value for --split: got "holdout"; allowed: test, validation, train, all$/,
  ],
  [
    'predicting an input that is none of the kinds',
    ['predict', 'runs/done', 'hello'],
    2,
    /^myelin: invalid value for <input>: got "hello"; allowed: an image file/,
  ],
  [
    'predicting a row of the wrong width',
    ['predict', 'runs/done', '1,2,3'],
    2,
    /^myelin: invalid value for <input>: got "1,2,3" \(3 values\); allowed: 64 numbers \(the model's input\), or 65 with the label$/,
  ],
  [
    'predicting a sample index past the end',
    ['predict', 'runs/done', '5000'],
    2,
    /^myelin: invalid value for <input>: got 5000; allowed: a sample index below 269/,
  ],
];

describe('error paths of the built binary: exit code and one message, no stack trace', () => {
  it.each(CASES)('%s', async (_, args, code, message) => {
    const result = await runCli(args, cwd);
    expect(result.code, result.stderr).toBe(code);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('a backend that is installed but not usable says what is missing', async () => {
    // Made unusable on every machine: the WebGPU backend refuses an adapter name it does not know.
    const saved = process.env.MYELIN_WEBGPU_ADAPTER;
    process.env.MYELIN_WEBGPU_ADAPTER = 'no-such-adapter';
    try {
      const info = await runCli(['info', '--json'], cwd);
      expect(info.code).toBe(0);
      const webgpu = (
        JSON.parse(info.stdout) as {
          backends: { name: string; installed: boolean; usable: boolean; reason?: string }[];
        }
      ).backends.find((b) => b.name === 'webgpu');
      expect(webgpu).toMatchObject({ installed: true, usable: false });
      expect(webgpu!.reason).toContain("MYELIN_WEBGPU_ADAPTER='no-such-adapter' is not one of");
      const result = await runCli(['train', '--backend', 'webgpu', '--epochs', '1'], cwd);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `myelin: backend 'webgpu' (@myelin/backend-webgpu) is installed but not usable here: ${webgpu!.reason!.split('\n')[0]}`,
      );
      expect(result.stderr).not.toMatch(/^\s+at /m);
    } finally {
      if (saved === undefined) delete process.env.MYELIN_WEBGPU_ADAPTER;
      else process.env.MYELIN_WEBGPU_ADAPTER = saved;
    }
  });

  it('a failure while training prints its message, and the stack only with --verbose', async () => {
    const args = ['train', '--optimizer', 'sgd', '--lr', '1e20', '--epochs', '1', '--name', 'diverged'];
    const quiet = await runCli(args, cwd);
    expect(quiet.code).toBe(1);
    expect(quiet.stderr).toMatch(
      /^myelin: fit: the loss became (NaN|Infinity|-Infinity) at epoch 1, step \d+ .*Lower the learning rate, clip gradients/,
    );
    expect(quiet.stderr).not.toMatch(/^\s+at /m);
    const verbose = await runCli([...args.slice(0, -1), 'diverged-verbose', '--verbose'], cwd);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });
});
