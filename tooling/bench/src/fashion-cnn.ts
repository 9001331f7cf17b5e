// pnpm bench:fashion-cnn — issue 16's preset target: `myelin train --preset fashion-mnist-cnn
// --epochs 1` must reach >= 89% test accuracy on the native CPU backend; this prints its
// training time and test accuracy against PyTorch's on the same model, data, optimizer,
// schedule and epochs (Debian's python3-torch over OpenBLAS, the same thread count), in one run.
// Training time is the CLI's own epoch durations (metrics.jsonl; start-up, data loading and
// validation excluded) against PyTorch's loop time (test evaluation excluded).
// Options: --threads N (default: every core, the CLI's default), --epochs N (default: the preset's).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FASHION_MNIST_DIRECTORY } from '@myelin/data/node';
import { flagValue, runToEnd, torchEnvironment } from './child-process.js';

const BIN = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url));
const PRESET = fileURLToPath(new URL('../../../apps/cli/configs/fashion-mnist-cnn.json', import.meta.url));
const TORCH = fileURLToPath(new URL('../src/torch-cnn-preset.py', import.meta.url));

const threads = Number(flagValue('threads') ?? cpus().length);
const epochs = flagValue('epochs');

interface Result {
  seconds: number;
  samplesPerSecond: number;
  testAccuracy: number;
}

async function myelin(work: string): Promise<Result> {
  const env = { ...process.env, MYELIN_CPU_THREADS: String(threads) };
  const common = ['--backend', 'cpu'];
  await runToEnd(
    process.execPath,
    [
      BIN,
      'train',
      '--preset',
      'fashion-mnist-cnn',
      '--name',
      'cnn',
      '--no-progress',
      ...common,
      ...(epochs ? ['--epochs', epochs] : []),
    ],
    { cwd: work, env },
  );
  const records = readFileSync(path.join(work, 'runs', 'cnn', 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { duration: number; samples_per_second: number });
  const seconds = records.reduce((sum, r) => sum + r.duration, 0);
  const samples = records.reduce((sum, r) => sum + r.duration * r.samples_per_second, 0);
  const evaluation = JSON.parse(
    await runToEnd(process.execPath, [BIN, 'evaluate', 'runs/cnn/last', '--json', ...common], { cwd: work, env }),
  ) as { accuracy: number };
  return { seconds, samplesPerSecond: samples / seconds, testAccuracy: evaluation.accuracy };
}

async function pytorch(work: string): Promise<Result> {
  const preset = JSON.parse(readFileSync(PRESET, 'utf8')) as { training: { epochs: number } };
  if (epochs) preset.training.epochs = Number(epochs);
  const file = path.join(work, 'preset.json');
  writeFileSync(file, JSON.stringify(preset));
  const line = await runToEnd('/usr/bin/python3', [TORCH, file, FASHION_MNIST_DIRECTORY, String(threads)], {
    cwd: work,
    env: torchEnvironment(),
  });
  const parsed = JSON.parse(line.trim().split('\n').pop()!) as {
    seconds: number;
    samples_per_second: number;
    test_accuracy: number;
  };
  return { seconds: parsed.seconds, samplesPerSecond: parsed.samples_per_second, testAccuracy: parsed.test_accuracy };
}

const work = mkdtempSync(path.join(tmpdir(), 'myelin-bench-fashion-cnn-'));
try {
  console.log(
    `fashion-mnist-cnn preset, ${epochs ?? "the preset's"} epoch(s), ${threads} thread(s) each; load average at start ${loadavg()[0]!.toFixed(2)}`,
  );
  const ours = await myelin(work);
  const theirs = await pytorch(work);
  const show = (name: string, r: Result) =>
    console.log(
      `${name.padEnd(8)} ${r.seconds.toFixed(1).padStart(6)} s training  ${r.samplesPerSecond.toFixed(0).padStart(6)} samples/s  test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`,
    );
  show('myelin', ours);
  show('pytorch', theirs);
  console.log(
    `\nspeed vs PyTorch: ${(theirs.seconds / ours.seconds).toFixed(2)}x; test accuracy ${(100 * ours.testAccuracy).toFixed(2)}% (target >= 89% after 1 epoch: ${ours.testAccuracy >= 0.89 ? 'met' : 'NOT met'})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
