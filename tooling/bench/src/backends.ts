// pnpm bench:backends: Myelin's training loop on each TensorFlow.js-based backend against a
// tfjs-layers model.fit of the same model on the same tfjs backend, in one process, as ratios
// (issue 6's target: >= 1.0 on each). PyTorch CPU is printed for reference when /usr/bin/python3
// has torch. Medians of repeated epochs after a warm-up epoch.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { createTfjsBackend, TfjsBackend, type Tf } from '@myelin/backend-tfjs';
import { byPriority, loadBackendDescriptors, type Backend } from '@myelin/core';
import {
  interleavedSamplesPerSecond,
  makeWorkload,
  myelinTrainer,
  tfjsLayersTrainer,
  type Workload,
} from './backend-mlp.js';

const quick = process.argv.includes('--quick');
const only = process.argv
  .find((a) => a.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const BATCH_SIZES = [64, 256];
const RUNS = quick ? 3 : 7;

interface Target {
  label: string;
  /** Samples per epoch: fewer on the slow backend, so a run stays a few seconds. */
  samples: number;
  /** Selects the tfjs backend and makes the Myelin backend over it; null with a reason when unavailable. */
  setUp: () => Promise<Backend>;
}

// Every backend package's descriptor, highest priority first; only tfjs-based backends have a
// tfjs-layers anchor to compare with, the others are reported as such.
const loaded = await loadBackendDescriptors((specifier) => import(specifier));
const targets: Target[] = [
  ...byPriority(loaded.flatMap((entry) => ('descriptor' in entry ? [entry.descriptor] : []))).map(
    (descriptor): Target => ({
      label: descriptor.name,
      samples: quick ? 2560 : 7680,
      setUp: async () => {
        const backend = await descriptor.create();
        if (!(backend instanceof TfjsBackend)) {
          throw new Error('not built on TensorFlow.js: there is no tfjs-layers anchor to compare it with here');
        }
        const adapter = (backend as { adapter?: unknown }).adapter;
        if (adapter !== undefined) console.log(`  adapter: ${JSON.stringify(adapter)}`);
        return backend;
      },
    }),
  ),
  {
    label: 'tfjs-cpu',
    samples: quick ? 1280 : 3840,
    setUp: async () => {
      await tf.setBackend('cpu');
      return createTfjsBackend(tf as unknown as Tf, { tfjsBackend: 'cpu', name: 'tfjs-cpu' });
    },
  },
];

console.log('Myelin backends benchmark: MLP 784-128-10 ReLU, softmax cross-entropy, Adam(1e-3)');
console.log(
  `median of ${RUNS} one-epoch runs per side, taken in turn after a warm-up epoch each; node ${process.version}, ${process.arch}`,
);
console.log('Myelin: Sequential + CrossEntropyLoss + Adam + fit (loss read every 10 steps) on the Myelin backend');
console.log('anchor: tfjs-layers model.fit of the same model on the same tfjs backend, same process');
console.log('');

const workloads = new Map<number, Workload>();
const rows: string[] = [];
for (const target of targets) {
  if (only && !only.some((o) => target.label.startsWith(o))) continue;
  console.log(`${target.label}:`);
  let backend: Backend;
  try {
    backend = await target.setUp();
  } catch (error) {
    rows.push(`${target.label.padEnd(20)} unavailable: ${(error as Error).message.split('\n')[0]}`);
    continue;
  }
  const workload = workloads.get(target.samples) ?? makeWorkload(target.samples);
  workloads.set(target.samples, workload);
  for (const batch of BATCH_SIZES) {
    const trainers = [myelinTrainer(backend, workload, batch), tfjsLayersTrainer(tf, workload, batch)];
    const [myelin, layers] = (await interleavedSamplesPerSecond(trainers, RUNS)) as [number, number];
    for (const trainer of trainers) trainer.dispose();
    const row = `${target.label.padEnd(20)} batch ${String(batch).padStart(3)}, ${String(target.samples).padStart(4)} samples/epoch  Myelin ${fmt(myelin)}  tfjs-layers ${fmt(layers)}  ratio ${(myelin / layers).toFixed(2)}x`;
    console.log(`  ${row}`);
    rows.push(row);
  }
}

const torch = pytorchReference();
console.log('');
console.log('summary (samples/s, medians; ratio = Myelin / tfjs-layers on the same tfjs backend)');
for (const row of rows) console.log(`  ${row}`);
console.log(`  ${torch}`);

function fmt(samplesPerSecond: number): string {
  return `${samplesPerSecond.toFixed(0).padStart(7)} samples/s`;
}

/** PyTorch CPU on the same workload, single-threaded, or why it was left out. */
function pytorchReference(): string {
  const python = '/usr/bin/python3';
  if (!existsSync(python)) return 'PyTorch CPU: skipped (no /usr/bin/python3)';
  const script = fileURLToPath(new URL('../src/torch-mlp.py', import.meta.url));
  try {
    const output = execFileSync(python, [script, '7680', String(RUNS), BATCH_SIZES.join(',')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const report = JSON.parse(output.trim().split('\n').pop()!) as {
      torch: string;
      blas: string;
      results: Record<string, number>;
    };
    const figures = BATCH_SIZES.map((b) => `batch ${b}: ${fmt(report.results[String(b)]!)}`).join(', ');
    return `PyTorch CPU ${report.torch} (1 thread, BLAS ${report.blas}, reference only): ${figures}`;
  } catch (error) {
    const message = String((error as { stderr?: string }).stderr ?? (error as Error).message);
    if (message.includes("No module named 'torch'"))
      return 'PyTorch CPU: skipped (/usr/bin/python3 has no torch: apt-get install python3-torch libopenblas0-openmp)';
    return `PyTorch CPU: failed (${message.trim().split('\n').pop()})`;
  }
}
