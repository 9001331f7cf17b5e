import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  PRESETS,
  finalResults,
  makeImageFolder,
  readJson,
  readLines,
  removeDirectory,
  runCli,
  temporaryDirectory,
} from '../test-cli.js';

const cwd = temporaryDirectory('presets');
afterAll(() => removeDirectory(cwd));

describe('presets for the reference experiments, run by the built binary', () => {
  it('ships xor, digits, fashion-mnist, fashion-mnist-cnn, image-folder and image-folder-mlp', () => {
    expect(readdirSync(PRESETS).sort()).toEqual([
      'digits.json',
      'fashion-mnist-cnn.json',
      'fashion-mnist.json',
      'image-folder-mlp.json',
      'image-folder.json',
      'xor.json',
    ]);
  });

  it('xor: the 2-2-1 sigmoid network solves XOR in 1001 full-batch epochs (data from examples/data/xor.txt)', async () => {
    const result = await runCli(['train', '--preset', 'xor', '--name', 'xor'], cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('csv (');
    expect(result.stdout).toContain('examples/data/xor.txt): 4 samples of shape [2]');
    // Epoch summaries every 100 epochs (and the first and last), like the reference's cost printout.
    const summaries = result.stdout
      .split('\n')
      .filter((line) => /^epoch \d+\/1001 {2}loss/.test(line))
      .map((line) => Number(/^epoch (\d+)/.exec(line)![1]));
    expect(summaries).toEqual([1, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1001]);
    expect(finalResults(result.stdout).accuracy).toBe(1);
    expect(finalResults(result.stdout).loss).toBeLessThan(0.1);
    expect(readLines(path.join(cwd, 'runs', 'xor', 'metrics.jsonl'))).toHaveLength(1001);
  });

  it('digits: the reference 64-32-16-10 network, small budget', async () => {
    const result = await runCli(['train', '--preset', 'digits', '--epochs', '5', '--name', 'digits'], cwd);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Linear(64->32) ReLU Linear(32->16) ReLU Linear(16->10)');
    expect(result.stdout).toContain('batch 1438'); // full batch: 80% of 1,797
    const first = readJson<Record<string, unknown>>(path.join(cwd, 'runs', 'digits', 'config.json'));
    expect(first).toMatchObject({
      training: { batchSize: 'full', epochs: 5 },
      data: { transforms: [{ type: 'toFloat', scale: 1 }] },
    });
  });

  // ./setup installs dataset-fashion-mnist, and `pnpm test` checks for it before it starts.
  it('fashion-mnist: the 784-128-10 MLP on a slice of the real data', async () => {
    const result = await runCli(
      ['train', '--preset', 'fashion-mnist', '--epochs', '1', '--limit', '3000', '--name', 'fashion'],
      cwd,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      'fashion-mnist: 3,000 samples of shape [784], 10 classes (train 2,700, validation 300, test 3,000 (separate))',
    );
    expect(result.stdout).toContain('Linear(784->128) ReLU Linear(128->10)');
    expect(finalResults(result.stdout).accuracy).toBeGreaterThan(0.6);
  });

  it('fashion-mnist-cnn: the preset CNN on a slice of the real data', async () => {
    const result = await runCli(
      ['train', '--preset', 'fashion-mnist-cnn', '--limit', '1000', '--name', 'fashion-cnn'],
      cwd,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Conv2d(1->32, 5) BatchNorm2d ReLU MaxPool2d(2) Conv2d(32->64, 5)');
    expect(result.stdout).toContain('batch 32, 1 epoch, seed');
    expect(finalResults(result.stdout).accuracy).toBeGreaterThan(0.5);
  });

  it('image-folder: a small CNN by default', async () => {
    const folder = path.join(cwd, 'weather-cnn');
    await makeImageFolder(folder);
    const result = await runCli(
      [
        'train',
        '--preset',
        'image-folder',
        '--data-path',
        folder,
        '--resize',
        '12',
        '--epochs',
        '2',
        '--batch-size',
        '8',
        '--name',
        'cnn',
      ],
      cwd,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('36 samples of shape [3, 12, 12], 3 classes');
    expect(result.stdout).toContain(
      'Conv2d(3->8, 3) BatchNorm2d ReLU MaxPool2d(2) Conv2d(8->16, 3) BatchNorm2d ReLU MaxPool2d(2) Flatten Linear(144->3)',
    );
  });

  it('image-folder-mlp: the reference classifier with its step schedule and best-by-validation-accuracy checkpoints', async () => {
    const folder = path.join(cwd, 'weather');
    await makeImageFolder(folder);
    const result = await runCli(
      [
        'train',
        '--preset',
        'image-folder-mlp',
        '--data-path',
        folder,
        '--resize',
        '12',
        '--epochs',
        '4',
        '--batch-size',
        '8',
        '--name',
        'images',
      ],
      cwd,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('image-folder (');
    expect(result.stdout).toContain('36 samples of shape [3, 12, 12], 3 classes');
    expect(result.stdout).toContain(
      'Flatten Linear(432->128) ReLU Dropout(0.5) Linear(128->64) ReLU Dropout(0.5) Linear(64->32) ReLU Dropout(0.5) Linear(32->3)',
    );
    const records = readLines(path.join(cwd, 'runs', 'images', 'metrics.jsonl')).map(
      (line) => JSON.parse(line) as Record<string, number>,
    );
    expect(records.map((r) => r.lr)).toEqual([0.01, 0.01, 0.01, 0.001]); // divided by 10 at epoch 3
    const best = readJson<{ epoch: number; extra: { myelin: { best: { monitor: string; epoch: number } } } }>(
      path.join(cwd, 'runs', 'images', 'best.json'),
    );
    expect(best.extra.myelin.best.monitor).toBe('val_accuracy');
    const bestAccuracy = Math.max(...records.map((r) => r.val_accuracy!));
    expect(records[best.epoch - 1]!.val_accuracy).toBe(bestAccuracy);
    expect(records.slice(0, best.epoch - 1).every((r) => r.val_accuracy! < bestAccuracy)).toBe(true);
    const config = readJson<{ data: { transforms: unknown[] } }>(path.join(cwd, 'runs', 'images', 'config.json'));
    expect(config.data.transforms[0]).toEqual({ type: 'resize', size: 12 });
  });
});
