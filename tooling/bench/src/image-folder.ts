// pnpm bench:image-folder — issue 16's image-folder target: on a folder of real images (four
// Fashion-MNIST classes — T-shirt, trouser, sneaker, ankle boot — exported as 500 RGB PNGs each,
// upscaled to 256x256 as a user's photos would be), `myelin train --preset image-folder` (the
// small CNN) must reach >= 98% test accuracy within 5 epochs at >= 10x the training samples/s of
// `--preset image-folder-mlp` (reference experiment 5's MLP) on the same backend, measured here
// in the same run. Samples/s is the median over epochs 2..5 of the CLI's own per-epoch figure
// (metrics.jsonl), so image decoding at start-up is excluded for both.
// The CNN also trains with seeds 1..N-1 (each seed is also the split's: other test images), and
// PyTorch trains the same recipe on the same images and split for each seed (1 thread;
// torch-image-folder.py), so the accuracy can be read against the split's difficulty: on 200 test
// images one image is 0.5 points.
// Options: --backend NAME (default: the CLI's auto choice), --epochs N (default 5), --seeds N
// (default 3).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { randomSplit } from '@myelin/data';
import { FASHION_MNIST_DIRECTORY, loadImageFolder } from '@myelin/data/node';
import sharp from 'sharp';
import { flagValue, runToEnd, torchEnvironment } from './child-process.js';
import { median } from './timing.js';

const BIN = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url));
const CLASSES = new Map([
  [0, 't-shirt'],
  [1, 'trouser'],
  [7, 'sneaker'],
  [9, 'ankle-boot'],
]);
const PER_CLASS = 500;
const SIZE = 256;

const backend = flagValue('backend');
const epochs = Number(flagValue('epochs') ?? 5);
const seeds = Number(flagValue('seeds') ?? 3);
const PRESET = fileURLToPath(new URL('../../../apps/cli/configs/image-folder.json', import.meta.url));
const TORCH_SCRIPT = fileURLToPath(new URL('../src/torch-image-folder.py', import.meta.url));

/** The image folder, made once per machine (about 15 s) and reused by later runs. */
async function imageFolder(): Promise<string> {
  const root = path.join(tmpdir(), `myelin-bench-image-folder-${PER_CLASS}x${SIZE}`);
  if (existsSync(root)) return root;
  const read = (file: string, header: number) =>
    gunzipSync(readFileSync(path.join(FASHION_MNIST_DIRECTORY, file))).subarray(header);
  const images = read('train-images-idx3-ubyte.gz', 16);
  const labels = read('train-labels-idx1-ubyte.gz', 8);
  const partial = `${root}.partial-${process.pid}`;
  const written = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    const name = CLASSES.get(label);
    const count = written.get(label) ?? 0;
    if (name === undefined || count >= PER_CLASS) continue;
    mkdirSync(path.join(partial, name), { recursive: true });
    await sharp(images.subarray(i * 784, (i + 1) * 784), { raw: { width: 28, height: 28, channels: 1 } })
      .resize(SIZE, SIZE)
      .toColourspace('srgb')
      .png()
      .toFile(path.join(partial, name, `${String(i).padStart(5, '0')}.png`));
    written.set(label, count + 1);
  }
  renameSync(partial, root);
  return root;
}

function cli(args: string[], cwd: string): Promise<string> {
  return runToEnd(process.execPath, [BIN, ...args], { cwd });
}

interface PresetRun {
  preset: string;
  samplesPerSecond: number;
  epochSamplesPerSecond: number[];
  testAccuracy: number;
  backend: string;
}

async function train(preset: string, folder: string, work: string, seed = 0): Promise<PresetRun> {
  const name = `${preset}-seed${seed}`;
  const output = await cli(
    [
      'train',
      '--preset',
      preset,
      '--data-path',
      folder,
      '--epochs',
      String(epochs),
      '--seed',
      String(seed),
      '--name',
      name,
      '--no-progress',
      ...(backend ? ['--backend', backend] : []),
    ],
    work,
  );
  const records = readFileSync(path.join(work, 'runs', name, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { samples_per_second: number });
  const perEpoch = records.map((r) => r.samples_per_second);
  // The checkpoint the preset keeps as its result: best by validation accuracy where it monitors one.
  const checkpoint = existsSync(path.join(work, 'runs', name, 'best.json')) ? 'best' : 'last';
  const evaluation = JSON.parse(
    await cli(['evaluate', `runs/${name}/${checkpoint}`, '--json', ...(backend ? ['--backend', backend] : [])], work),
  ) as { accuracy: number };
  return {
    preset,
    samplesPerSecond: median(perEpoch.length > 1 ? perEpoch.slice(1) : perEpoch),
    epochSamplesPerSecond: perEpoch,
    testAccuracy: evaluation.accuracy,
    backend: /backend\s+(\S+)/.exec(output)?.[1] ?? backend ?? '?',
  };
}

interface PresetConfig {
  data: { channels: 1 | 3; validationSplit: number; testSplit: number; transforms: { type: string; size?: number }[] };
  model: { channels: number[]; kernelSize: number; pool: number };
  optimizer: { lr: number };
  training: { batchSize: number };
}

/**
 * Writes the images as the CNN preset sees them (decoded, resized) and, per seed, the CLI's split
 * (randomSplit with the run seed), then trains the preset's recipe in PyTorch on each. Returns
 * each seed's test accuracy, or the reason PyTorch could not run.
 */
async function torchAccuracies(folder: string, work: string): Promise<number[] | string> {
  const check = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8', env: torchEnvironment() });
  if (check.status !== 0) return '/usr/bin/python3 cannot import torch (install python3-torch; ./setup does)';
  const preset = JSON.parse(readFileSync(PRESET, 'utf8')) as PresetConfig;
  const size = preset.data.transforms.find((t) => t.type === 'resize')?.size;
  const dataset = await loadImageFolder(folder, { channels: preset.data.channels, ...(size ? { size } : {}) });
  const first = dataset.get(0).x;
  const images = new Uint8Array(dataset.length * first.data.length);
  const labels = new Uint8Array(dataset.length);
  for (let i = 0; i < dataset.length; i++) {
    const { x, y } = dataset.get(i);
    images.set(x.data, i * first.data.length);
    labels[i] = typeof y === 'number' ? y : Number(y.data[0]);
  }
  const directory = path.join(work, 'torch');
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, 'images.bin'), images);
  writeFileSync(path.join(directory, 'labels.bin'), labels);
  const { validationSplit, testSplit } = preset.data;
  const accuracies: number[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    const [train, validation, test] = randomSplit(
      dataset,
      [1 - validationSplit - testSplit, validationSplit, testSplit],
      {
        seed,
      },
    ).map((part) => Array.from(part.indices));
    writeFileSync(
      path.join(directory, 'run.json'),
      JSON.stringify({
        shape: [dataset.length, ...first.shape],
        classes: new Set(labels).size,
        train,
        validation,
        test,
        channels: preset.model.channels,
        kernelSize: preset.model.kernelSize,
        pool: preset.model.pool,
        lr: preset.optimizer.lr,
        batchSize: preset.training.batchSize,
        epochs,
      }),
    );
    const output = await runToEnd('/usr/bin/python3', [TORCH_SCRIPT, directory, String(seed)], {
      cwd: directory,
      env: torchEnvironment(),
    });
    const line = output.split('\n').find((l) => l.startsWith('RESULT '));
    if (line === undefined) return `torch-image-folder.py printed no RESULT line: ${output.slice(-500)}`;
    accuracies.push((JSON.parse(line.slice(7)) as { testAccuracy: number }).testAccuracy);
  }
  return accuracies;
}

const percent = (x: number): string => `${(100 * x).toFixed(2)}%`;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

const folder = await imageFolder();
const work = path.join(tmpdir(), `myelin-bench-image-folder-runs-${process.pid}`);
mkdirSync(work, { recursive: true });
try {
  console.log(`image folder: ${folder} (${readdirSync(folder).join(', ')}; ${PER_CLASS} PNGs of ${SIZE}x${SIZE} each)`);
  console.log(`load average at start: ${loadavg()[0]!.toFixed(2)} (2 quiet cores give the figures worth quoting)\n`);
  const cnn = await train('image-folder', folder, work);
  const mlp = await train('image-folder-mlp', folder, work);
  for (const run of [cnn, mlp])
    console.log(
      `${run.preset.padEnd(17)} backend ${run.backend.padEnd(6)} ${run.samplesPerSecond.toFixed(0).padStart(6)} samples/s (median of epochs 2-${epochs}; per epoch ${run.epochSamplesPerSecond.map((s) => s.toFixed(0)).join(', ')})  test accuracy ${percent(run.testAccuracy)}`,
    );
  const ratio = cnn.samplesPerSecond / mlp.samplesPerSecond;
  console.log(
    `\nCNN / MLP samples/s: ${ratio.toFixed(2)}x (target >= 10x: ${ratio >= 10 ? 'met' : 'NOT met'}); CNN test accuracy after ${epochs} epochs ${percent(cnn.testAccuracy)} (target >= 98%: ${cnn.testAccuracy >= 0.98 ? 'met' : 'NOT met'})`,
  );
  const myelin = [cnn.testAccuracy];
  for (let seed = 1; seed < seeds; seed++) myelin.push((await train('image-folder', folder, work, seed)).testAccuracy);
  const torch = await torchAccuracies(folder, work);
  console.log(`\nthe CNN preset over seeds 0-${seeds - 1} (each seed its own split: other test images):`);
  console.log(`  Myelin   ${myelin.map(percent).join(', ')}  mean ${percent(mean(myelin))}`);
  if (typeof torch === 'string') console.log(`  PyTorch  skipped: ${torch}`);
  else
    console.log(
      `  PyTorch  ${torch.map(percent).join(', ')}  mean ${percent(mean(torch))} (same recipe, images and splits)`,
    );
} finally {
  rmSync(work, { recursive: true, force: true });
}
