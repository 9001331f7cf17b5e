#!/usr/bin/env node
// The host's own cost of a training step on the cuda engine, measured without a GPU: `fit` on
// the CPU emulator build with its kernels skipped (MYELIN_CUDA_EMULATOR_SKIP_KERNELS: every launch
// returns at once, device memory zeroed), so what is timed is JavaScript, autograd, Node-API, the
// glue and the caching allocator. A second process, with the emulator's trace on (a line written
// per launch, which would inflate the times), counts the launches. On a GPU each launch adds a
// few microseconds of host time (cudaLaunchKernel) and the kernels overlap with the host, so a
// launch-bound step (W1, W2 of the GPU benchmark) costs about this plus launches x that.
//   pnpm --filter @myelin/backend-cuda host-cost [--rounds 7] [--steps 200]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    steps: { type: 'string', default: '200' },
    // Internal: the launch-counting process.
    'count-launches': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const steps = Number(values.steps);
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(steps) || steps < 20)
  throw new Error(
    `host-cost: --rounds must be a positive integer and --steps at least 20, got ${values.rounds} and ${values.steps}`,
  );

const script = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(script), '..');
const addon = path.join(root, 'dist/native-emu/myelin_cuda.node');
if (!existsSync(addon)) {
  console.error(
    'host-cost: dist/native-emu/myelin_cuda.node is missing: run `pnpm --filter @myelin/backend-cuda build` first',
  );
  process.exit(1);
}
const trace = values['count-launches'];
process.env.MYELIN_CUDA_ADDON = addon;
process.env.MYELIN_CUDA_EMULATOR_SKIP_KERNELS = '1';
if (trace) process.env.MYELIN_CUDA_EMULATOR_TRACE = trace;
const { createCudaBackend } = await import('../dist/index.js');
const { Adam, CrossEntropyLoss, Linear, ReLU, Sequential, fit, fromHost, manualSeed, registerBackend, setBackend } =
  await import('@myelin/core');

const backend = await createCudaBackend({ name: 'cuda-host-cost' });
registerBackend('cuda-host-cost', () => backend);
setBackend('cuda-host-cost');
const launches = () =>
  readFileSync(trace, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('launch ')).length;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const workloads = [
  ['W1 784-128-10 ReLU, Adam, batch 64', 64],
  ['W2 784-128-10 ReLU, Adam, batch 256', 256],
];

/** Each workload after a warm-up: `measureRound` runs its rounds of one epoch each. */
async function eachWorkload(measureRound) {
  const results = [];
  for (const [name, batch] of workloads) {
    manualSeed(0);
    const model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
    const batches = Array.from({ length: steps }, (_, b) => ({
      x: fromHost(new Float32Array(batch * 784).fill(0.5), [batch, 784]),
      y: fromHost(
        Int32Array.from({ length: batch }, (_, i) => (i + b) % 10),
        [batch],
      ),
    }));
    const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
    const options = { train: batches, loss: new CrossEntropyLoss(), optimizer, epochs: 1, disposeBatches: false };
    // Warm-up: the caches, and V8's optimizing tiers, which take over a thousand steps to settle
    // (seven rounds after a one-epoch warm-up gave medians near three times the settled ones).
    for (let w = 0; w < Math.ceil(2000 / steps); w++) await fit(model, options);
    results.push({ name, value: median(await measureRound(() => fit(model, options))) });
    for (const b of batches) {
      b.x.dispose();
      b.y.dispose();
    }
  }
  return results;
}

if (trace) {
  const counts = await eachWorkload(async (epoch) => {
    const before = launches();
    await epoch();
    return [(launches() - before) / steps];
  });
  console.log(JSON.stringify(counts));
  process.exit(0);
}

const directory = mkdtempSync(path.join(tmpdir(), 'myelin-host-cost-'));
const traceFile = path.join(directory, 'trace.txt');
writeFileSync(traceFile, '');
const counting = spawnSync(process.execPath, [script, '--steps', String(steps), '--count-launches', traceFile], {
  encoding: 'utf8',
});
rmSync(directory, { recursive: true, force: true });
if (counting.status !== 0) {
  console.error(`host-cost: counting the launches failed: ${counting.stderr}`);
  process.exit(1);
}
const perStep = JSON.parse(counting.stdout.trim().split('\n').at(-1));

console.log(
  `host cost of a fit step on the cuda engine (CPU emulator, kernels skipped), ${rounds} rounds of ${steps} steps, medians`,
);
const times = await eachWorkload(async (epoch) => {
  const micros = [];
  for (let r = 0; r < rounds; r++) {
    const started = performance.now();
    await epoch();
    micros.push(((performance.now() - started) * 1000) / steps);
  }
  return micros;
});
times.forEach(({ name, value }, i) =>
  console.log(`${name}: ${value.toFixed(1)} µs/step of host time, ${perStep[i].value.toFixed(1)} launches/step`),
);
