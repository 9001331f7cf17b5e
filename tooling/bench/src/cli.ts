// pnpm bench:cli — the `myelin` CLI's targets (issue 5):
//  1. CLI overhead: one epoch through `myelin train` (a subprocess; the epoch's time is read from
//     the run's metrics.jsonl, so process start-up and data loading are excluded) vs the same
//     epoch through `fit` in this process, on cpu-reference. Target: within 5%.
//  2. One epoch of Fashion-MNIST with the 784-128-10 MLP (Adam 1e-3, batch 64, no validation
//     split, as the reference) on each CPU backend (native cpu and wasm when usable, cpu-reference):
//     samples/s and test accuracy, against PyTorch (single-threaded) measured in the same run.
// `--quick` uses the first 10,000 training images instead of 60,000.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '@myelin/backend-cpu-reference';
import { Adam, CrossEntropyLoss, Generator, defaultGenerator, fit, moduleFromConfig } from '@myelin/core';
import { DataLoader, Subset, compose, flatten, normalize, randomSplit, toFloat } from '@myelin/data';
import { FASHION_MNIST_DIRECTORY, findMnistFiles, loadFashionMnist } from '@myelin/data/node';
import { median } from './timing.js';

const quick = process.argv.includes('--quick');
const limit = quick ? 10_000 : 60_000;
const repeats = quick ? 2 : 3;
const BIN = fileURLToPath(new URL('../../../apps/cli/dist/bin.js', import.meta.url));
const SEED = 0;
// The preset's preprocessing: bytes to [0, 1], standardised with Fashion-MNIST's mean and std, flattened.
const MEAN = 0.286;
const STD = 0.353;
const work = mkdtempSync(path.join(tmpdir(), 'myelin-bench-cli-'));

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // One thread for the native backend, as PyTorch runs here (unless the caller chose otherwise).
    const env = { ...process.env, MYELIN_CPU_THREADS: process.env.MYELIN_CPU_THREADS ?? '1' };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, seconds: (performance.now() - started) / 1000 }));
  });
}

interface CliEpoch {
  /** Seconds of the training epoch as the CLI logged it (fit's own timing inside the CLI). */
  epochSeconds: number;
  samplesPerSecond: number;
  testAccuracy: number;
  processSeconds: number;
}

let runCounter = 0;
async function cliEpoch(backend: string): Promise<CliEpoch> {
  const name = `run-${backend}-${runCounter++}`;
  const train = await cli([
    'train',
    '--preset',
    'fashion-mnist',
    '--epochs',
    '1',
    '--val-split',
    '0',
    '--limit',
    String(limit),
    '--backend',
    backend,
    '--seed',
    String(SEED),
    '--name',
    name,
    '--save-best',
    'false',
    '--no-progress',
  ]);
  if (train.code !== 0) throw new Error(`myelin train failed (${train.code}):\n${train.stderr || train.stdout}`);
  const record = JSON.parse(
    readFileSync(path.join(work, 'runs', name, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')[0]!,
  ) as { duration: number; samples_per_second: number };
  const evaluation = await cli(['evaluate', `runs/${name}/last`, '--backend', backend, '--json']);
  if (evaluation.code !== 0) throw new Error(`myelin evaluate failed:\n${evaluation.stderr}`);
  return {
    epochSeconds: record.duration,
    samplesPerSecond: record.samples_per_second,
    testAccuracy: (JSON.parse(evaluation.stdout) as { accuracy: number }).accuracy,
    processSeconds: train.seconds,
  };
}

/** The same epoch through the library: the preset's data pipeline, model, loss and optimizer, and fit. */
async function fitEpoch(): Promise<number> {
  const transform = compose(toFloat(), normalize(MEAN, STD), flatten());
  const source = await loadFashionMnist();
  const limited =
    source.length > limit
      ? new Subset(
          source,
          Array.from({ length: limit }, (_, i) => i),
        )
      : source;
  const [train] = randomSplit(limited, [1, 0], { seed: SEED }); // as the CLI splits (no validation)
  const data = train!.map(transform);
  const model = moduleFromConfig(
    {
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 784, outFeatures: 128 },
        { type: 'ReLU' },
        { type: 'Linear', inFeatures: 128, outFeatures: 10 },
      ],
    },
    { generator: new Generator(SEED) },
  );
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  defaultGenerator.manualSeed(SEED + 2);
  const history = await fit(model, {
    train: new DataLoader(data, { batchSize: 64, shuffle: true, seed: SEED + 1 }),
    loss: new CrossEntropyLoss(),
    optimizer,
    epochs: 1,
    metrics: ['accuracy'],
  });
  optimizer.dispose();
  model.dispose();
  return history.epochs[0]!.duration!;
}

const TORCH = String.raw`
import gzip, json, sys, time
import numpy as np, torch
torch.set_num_threads(1)
torch.manual_seed(0)
d, limit, mean, std = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
def images(f): return torch.from_numpy(np.frombuffer(gzip.open(d + '/' + f).read(), np.uint8, offset=16).reshape(-1, 784).astype(np.float32) / 255)
def labels(f): return torch.from_numpy(np.frombuffer(gzip.open(d + '/' + f).read(), np.uint8, offset=8).astype(np.int64))
xtr, ytr = (images('train-images-idx3-ubyte.gz')[:limit] - mean) / std, labels('train-labels-idx1-ubyte.gz')[:limit]
xte, yte = (images('t10k-images-idx3-ubyte.gz') - mean) / std, labels('t10k-labels-idx1-ubyte.gz')
model = torch.nn.Sequential(torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
optimizer, loss_fn = torch.optim.Adam(model.parameters(), 1e-3), torch.nn.CrossEntropyLoss()
order = torch.randperm(len(xtr))
start = time.perf_counter()
for i in range(0, len(xtr), 64):
    index = order[i:i + 64]
    optimizer.zero_grad()
    loss = loss_fn(model(xtr[index]), ytr[index])
    loss.backward()
    optimizer.step()
    loss.item()
seconds = time.perf_counter() - start
with torch.no_grad():
    accuracy = (model(xte).argmax(1) == yte).float().mean().item()
print(json.dumps({"torch": torch.__version__, "samples_per_second": len(xtr) / seconds, "test_accuracy": accuracy}))
`;

function torchEpoch(): { torch: string; samples_per_second: number; test_accuracy: number } | string {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    return 'skipped: /usr/bin/python3 has no torch (apt-get install -y python3-torch libopenblas0-openmp)';
  }
  try {
    return JSON.parse(
      execFileSync(
        '/usr/bin/python3',
        ['-c', TORCH, FASHION_MNIST_DIRECTORY, String(limit), String(MEAN), String(STD)],
        { encoding: 'utf8' },
      ).trim(),
    ) as ReturnType<typeof torchEpoch> & object;
  } catch (error) {
    return `skipped: the PyTorch run failed (${(error as Error).message.split('\n')[0]})`;
  }
}

function usable(name: string): boolean {
  try {
    const info = JSON.parse(
      execFileSync(process.execPath, [BIN, 'info', '--json'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }),
    ) as { backends: { name: string; usable: boolean }[] };
    return info.backends.some((b) => b.name === name && b.usable);
  } catch {
    return false;
  }
}

const pct = (value: number): string => `${(value * 100).toFixed(1)}%`;
const rate = (value: number): string => `${Math.round(value).toLocaleString('en-US').padStart(7)} samples/s`;

if (findMnistFiles(FASHION_MNIST_DIRECTORY).images === undefined) {
  console.log(
    `bench:cli skipped: Fashion-MNIST is not in ${FASHION_MNIST_DIRECTORY} (apt-get install -y dataset-fashion-mnist)`,
  );
  process.exit(0);
}
console.log(
  `load average at start ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')} on ${os.cpus().length} cores (timings on a shared machine vary; the runs are listed)`,
);
console.log(
  `myelin CLI benchmark: Fashion-MNIST ${limit.toLocaleString('en-US')} training images, 784-128-10 ReLU MLP, Adam 1e-3, batch 64, one epoch (node ${process.version})`,
);
try {
  // 1. Overhead: alternate CLI and fit runs on cpu-reference, medians of the epoch times.
  const cliRuns: CliEpoch[] = [];
  const fitSeconds: number[] = [];
  // Alternating order (CLI, fit, fit, CLI, ...) so a drift in machine load hits both sides alike.
  for (let i = 0; i < repeats; i++) {
    if (i % 2 === 0) {
      cliRuns.push(await cliEpoch('cpu-reference'));
      fitSeconds.push(await fitEpoch());
    } else {
      fitSeconds.push(await fitEpoch());
      cliRuns.push(await cliEpoch('cpu-reference'));
    }
  }
  // Best of the runs: on a shared machine other load only ever adds time, so the fastest run of
  // each side is the closest to its own cost (the medians are printed too).
  const cliSeconds = Math.min(...cliRuns.map((r) => r.epochSeconds));
  const fitBest = Math.min(...fitSeconds);
  console.log('');
  console.log(
    `CLI overhead, cpu-reference (best of ${repeats} runs each; epoch time only, start-up and data loading excluded)`,
  );
  console.log(`  fit in-process          ${fitBest.toFixed(2).padStart(7)} s  ${rate(limit / fitBest)}`);
  console.log(
    `  myelin train (process)  ${cliSeconds.toFixed(2).padStart(7)} s  ${rate(limit / cliSeconds)}   (whole process ${median(cliRuns.map((r) => r.processSeconds)).toFixed(1)} s)`,
  );
  console.log(
    `  CLI - fit               ${((cliSeconds / fitBest - 1) * 100).toFixed(1).padStart(6)}%   (target: within 5%; medians: ${((median(cliRuns.map((r) => r.epochSeconds)) / median(fitSeconds) - 1) * 100).toFixed(1)}%)`,
  );
  console.log(
    `  runs (s): fit ${fitSeconds.map((s) => s.toFixed(2)).join(', ')}; CLI ${cliRuns.map((r) => r.epochSeconds.toFixed(2)).join(', ')}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${os.cpus().length} cores`,
  );

  // 2. The fastest CPU backend, and PyTorch.
  const backends = ['cpu-reference', ...['wasm', 'cpu'].filter(usable)];
  const fastestCpuReference = [...cliRuns].sort((a, b) => a.epochSeconds - b.epochSeconds)[0]!;
  const results = new Map<string, CliEpoch>([['cpu-reference', fastestCpuReference]]);
  for (const backend of backends.slice(1)) results.set(backend, await cliEpoch(backend));
  const torch = torchEpoch();
  const fastest = [...results.entries()].sort((a, b) => b[1].samplesPerSecond - a[1].samplesPerSecond)[0]!;
  console.log('');
  console.log(
    `One epoch via myelin train, test accuracy on the 10,000 test images (backends usable here: ${backends.join(', ')}; the native cpu backend runs MYELIN_CPU_THREADS=1, as PyTorch runs 1 thread)`,
  );
  for (const [backend, result] of results)
    console.log(
      `  ${backend.padEnd(22)}  ${rate(result.samplesPerSecond)}   test accuracy ${pct(result.testAccuracy)}${backend === fastest[0] ? '   <- fastest' : ''}`,
    );
  if (typeof torch === 'string') console.log(`  PyTorch: ${torch}`);
  else {
    console.log(
      `  PyTorch ${torch.torch} (1 thread)  ${rate(torch.samples_per_second)}   test accuracy ${pct(torch.test_accuracy)}`,
    );
    console.log(
      `  ${fastest[0]} / PyTorch throughput: ${(fastest[1].samplesPerSecond / torch.samples_per_second).toFixed(3)}x; accuracy ${pct(fastest[1].testAccuracy)} vs ${pct(torch.test_accuracy)} (reference: 86.8%)`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
