// The GPU benchmark of the prepared GPU check (issue 14, item 4), in one process on one GPU:
//
//   cuda    Myelin `fit` on @myelin/backend-cuda against PyTorch eager on the same GPU: the plain
//           loop of the CPU benchmark (src/torch-gpu.py, a CUDA twin of tooling/bench's
//           torch-workloads.py), softmax cross-entropy, Adam with torch's defaults, the same
//           samples on both sides, epochs taken in turn (Myelin, PyTorch, Myelin, ...) after one
//           warm-up each, medians of samples/s. float32 with TF32 off on both sides (the targets),
//           then TF32 on (reported beside, no target).
//   webgpu  Myelin `fit` on @myelin/backend-webgpu against tfjs-layers' model.fit on the same
//           tfjs-webgpu backend (Dawn over the GPU's Vulkan driver): bench:backends' trainers.
//
// Order: cuda with TF32 off (the targets), webgpu, then cuda with TF32 on (figures only). Each
// result line is printed as it is measured, so a log cut short still holds what was measured.
// Flags: --only cuda|webgpu; --quick (3 runs, not 7); --budget <s> (default 95: workloads not
// started by then are reported as skipped); --device cpu with --smoke: a few steps of
// every code path on Myelin's cpu backend and PyTorch CPU, with shrunk shapes, to prove the
// program runs on a machine without a GPU (its figures mean nothing); --smoke --torch-device cpu
// runs Myelin's cuda side (e.g. on backend-cuda's CPU emulator build, named by MYELIN_CUDA_ADDON)
// against PyTorch CPU. GPU_CHECK_PYTHON names the
// interpreter with torch (default python3). Ends with `RESULT bench: ...`; exits 1 when a target
// is not met or a part failed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import {
  Adam,
  CrossEntropyLoss,
  Generator,
  Linear,
  ReLU,
  Sequential,
  fit,
  fromHost,
  type Backend,
  type Batch,
  type Module,
} from '@myelin/core';
import {
  makeWorkload,
  myelinTrainer,
  tfjsLayersTrainer,
  interleavedSamplesPerSecond,
  type Trainer,
  type Workload,
} from '../../bench/src/backend-mlp.js';
import { median } from '../../bench/src/timing.js';

const argv = process.argv;
const flag = (name: string): string | undefined =>
  argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : undefined;
const smoke = argv.includes('--smoke');
const device = flag('device') ?? 'cuda';
if (device !== 'cuda' && !(device === 'cpu' && smoke)) throw new Error('--device cpu is only for --smoke runs');
/** PyTorch's device: the same as Myelin's, except in a smoke run (the CUDA emulator against PyTorch CPU). */
const torchDevice = smoke ? (flag('torch-device') ?? device) : device;
const RUNS = smoke ? 1 : argv.includes('--quick') ? 3 : 7;
const only = flag('only');
/** Seconds after which the remaining workloads are skipped (run.sh's step timeout is longer). */
const budgetSeconds = Number(flag('budget') ?? 95);
const deadline = performance.now() + budgetSeconds * 1000;

interface GpuWorkload {
  id: string;
  layers: number[];
  batch: number;
  /** Samples per timed epoch (a whole number of batches). */
  samples: number;
  target: number;
}

/** Issue 14's workloads; --smoke shrinks them to a couple of small steps each. */
const CUDA_WORKLOADS: GpuWorkload[] = smoke
  ? [
      { id: 'W1', layers: [784, 128, 10], batch: 64, samples: 128, target: 1.5 },
      { id: 'W2', layers: [784, 128, 10], batch: 256, samples: 512, target: 1.5 },
      { id: 'W5 (smoke shapes)', layers: [784, 64, 64, 10], batch: 64, samples: 128, target: 0.9 },
    ]
  : [
      { id: 'W1', layers: [784, 128, 10], batch: 64, samples: 19_200, target: 1.5 },
      { id: 'W2', layers: [784, 128, 10], batch: 256, samples: 76_800, target: 1.5 },
      { id: 'W5', layers: [784, 4096, 4096, 10], batch: 4096, samples: 32_768, target: 0.9 },
    ];
const WEBGPU_BATCHES = [64, 256];
const WEBGPU_SAMPLES = smoke ? 512 : 7_680;
const WEBGPU_TARGET = 1.0;

const results: string[] = [];
let targetsMet = 0;
let targetsMissed = 0;
let failures = 0;

function fmt(samplesPerSecond: number): string {
  return `${samplesPerSecond.toFixed(0).padStart(9)} samples/s`;
}

function verdict(ratio: number, target: number | null): string {
  if (smoke) return '(smoke run: no target)';
  if (target === null) return '(reported beside the targets, no target)';
  const met = ratio >= target;
  if (met) targetsMet++;
  else targetsMissed++;
  return `(target >= ${target}x: ${met ? 'met' : 'NOT met'})`;
}

function record(text: string): void {
  console.log(text);
  results.push(text);
}

/** The PyTorch worker (torch-gpu.py), one JSON line per command. */
class TorchWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(torchDevice: string) {
    const script = fileURLToPath(new URL('./torch-gpu.py', import.meta.url));
    this.child = spawn(process.env.GPU_CHECK_PYTHON ?? 'python3', [script, torchDevice], {
      env: { ...process.env, PYTHONUNBUFFERED: '1' },
    });
    this.child.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      // Replies are JSON objects; anything else a library prints to stdout is passed through.
      if (line.startsWith('{')) this.waiting.shift()?.(line);
      else console.log(`[python] ${line}`);
    });
    const fail = (why: string) => {
      for (const reject of this.waiting.splice(0)) reject(JSON.stringify({ error: why }));
    };
    this.child.on('error', (error) =>
      fail(`could not start ${process.env.GPU_CHECK_PYTHON ?? 'python3'}: ${error.message}`),
    );
    this.child.on('exit', (code) =>
      fail(`the PyTorch worker exited (${code}): ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`),
    );
  }

  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) =>
      this.waiting.push((line) => {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (typeof value.error === 'string') reject(new Error(value.error));
        else resolve(value);
      }),
    );
  }

  send(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.next();
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    return reply;
  }

  close(): void {
    this.child.stdin.end();
  }
}

/**
 * Myelin's side, as the CPU benchmark trains it: Sequential of Linear/ReLU, CrossEntropyLoss,
 * Adam with its defaults (torch's), one `fit` epoch over batches made beforehand on the device.
 */
function fitTrainer(backend: Backend, workload: Workload, layers: readonly number[], batch: number): Trainer {
  const generator = new Generator(7);
  const modules: Module[] = [];
  for (let i = 0; i + 1 < layers.length; i++) {
    modules.push(new Linear(layers[i]!, layers[i + 1]!, { backend, generator }));
    if (i + 2 < layers.length) modules.push(new ReLU());
  }
  const model = new Sequential(...modules);
  const optimizer = new Adam(model.parameters());
  const loss = new CrossEntropyLoss();
  const lastParameter = model.parameters().at(-1)!;
  const inputs = layers[0]!;
  const train: Batch[] = [];
  for (let begin = 0; begin + batch <= workload.samples; begin += batch) {
    train.push({
      x: fromHost(workload.inputs.subarray(begin * inputs, (begin + batch) * inputs), [batch, inputs], { backend }),
      y: fromHost(workload.labels.subarray(begin, begin + batch), [batch], { backend, dtype: 'int32' }),
    });
  }
  return {
    samplesPerEpoch: train.length * batch,
    epoch: async () => {
      await fit(model, { train, loss, optimizer, epochs: 1 });
      // fit returns once it has read the last loss; the last backward and optimizer step may still
      // be queued on the GPU. Reading the last-updated parameter (10 floats) waits for them, as
      // PyTorch's side synchronises before it stops its clock.
      await lastParameter.data();
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
      for (const b of train) for (const t of [b.x, b.y]) t.dispose();
    },
  };
}

/** The samples as files for the PyTorch worker (float32 inputs, int32 labels). */
function writeSamples(workload: Workload, tag: string): { inputs: string; labels: string } {
  const base = path.join(tmpdir(), `myelin-gpu-check-${process.pid}-${tag}`);
  writeFileSync(`${base}.f32`, workload.inputs);
  writeFileSync(`${base}.i32`, workload.labels);
  return { inputs: `${base}.f32`, labels: `${base}.i32` };
}

/** Does the created backend say whether TF32 is on? (printed beside the TF32 figures) */
function tf32Report(backend: Backend): string {
  const own = backend as unknown as { tf32?: unknown; details?: Record<string, unknown>; options?: { tf32?: unknown } };
  const value = own.tf32 ?? own.details?.tf32 ?? own.options?.tf32;
  return value === undefined ? 'the backend does not report a tf32 setting' : `backend reports tf32=${String(value)}`;
}

interface CudaSide {
  createBackend: (tf32: boolean) => Promise<Backend>;
  torch: TorchWorker;
  /** Each workload's samples, made once for both TF32 settings, and their files for PyTorch. */
  samples: Map<string, { data: Workload; files: { inputs: string; labels: string } }>;
}
let cudaSide: Promise<CudaSide> | undefined;

async function startCudaSide(): Promise<CudaSide> {
  let createBackend: CudaSide['createBackend'];
  if (device === 'cuda') {
    const cuda = await import('@myelin/backend-cuda');
    const probe = await cuda.probe();
    console.log(`Myelin cuda probe: ${JSON.stringify(probe)}`);
    if (probe.usable) record(`cuda engine: ${probe.summary ?? JSON.stringify(probe.details ?? {})}`);
    if (!probe.usable) throw new Error(`@myelin/backend-cuda is not usable: ${probe.reason ?? 'no reason given'}`);
    // TF32 is an engine option (issue 14: off by default, on by an option), passed as `tf32`;
    // tf32Report() prints whether the backend reports the setting back.
    type CudaOptions = Parameters<typeof cuda.createCudaBackend>[0];
    createBackend = (tf32) => cuda.createCudaBackend((tf32 ? { tf32 } : {}) as CudaOptions);
  } else {
    const cpu = await import('@myelin/backend-cpu');
    createBackend = async () => cpu.createCpuBackend({ threads: 1 });
  }
  const torch = new TorchWorker(torchDevice);
  const about = await torch.next();
  console.log(`PyTorch: ${JSON.stringify(about)}`);
  record(`cuda anchor: PyTorch ${String(about.torch)} on ${String(about.gpu ?? about.device)}`);
  return { createBackend, torch, samples: new Map() };
}

async function closeCudaSide(): Promise<void> {
  const side = await cudaSide?.catch(() => undefined);
  if (side === undefined) return;
  side.torch.close();
  for (const { files } of side.samples.values()) for (const file of Object.values(files)) rmSync(file, { force: true });
}

/** A workload past the time budget is reported as skipped (and fails the run), not started. */
function pastBudget(title: string): boolean {
  if (performance.now() < deadline) return false;
  failures++;
  record(`${title}: SKIPPED: past the benchmark's ${budgetSeconds} s budget`);
  return true;
}

async function cudaBench(tf32: boolean): Promise<void> {
  const side = await (cudaSide ??= startCudaSide());
  const backend = await side.createBackend(tf32);
  console.log(`\nTF32 ${tf32 ? 'on' : 'off'}: Myelin backend '${backend.name}' (${tf32Report(backend)})`);
  for (const w of CUDA_WORKLOADS) {
    const title = `cuda ${w.id} ${w.layers.join('-')} batch ${w.batch}, ${w.samples} samples/epoch, TF32 ${tf32 ? 'on ' : 'off'}`;
    if (pastBudget(title)) continue;
    try {
      let made = side.samples.get(w.id);
      if (made === undefined) {
        const data = makeWorkload(w.samples);
        made = { data, files: writeSamples(data, w.id.replace(/\W+/g, '')) };
        side.samples.set(w.id, made);
      }
      const { data, files } = made;
      const setup = await side.torch.send({
        cmd: 'setup',
        layers: w.layers,
        batch: w.batch,
        samples: w.samples,
        tf32,
        ...files,
      });
      const myelin = fitTrainer(backend, data, w.layers, w.batch);
      const ours: number[] = [];
      const theirs: number[] = [];
      let runs = RUNS;
      // Warm-up pairs of epochs until 2,000 steps or 2 s have passed (at least one pair): V8's
      // optimizing tiers take over a thousand steps to settle on Myelin's side (host-cost: one
      // 200-step warm-up epoch left medians near three times the settled host time), and
      // PyTorch gets as many epochs. The launch-bound workloads warm up in a fraction of a second.
      const stepsPerEpoch = myelin.samplesPerEpoch / w.batch;
      let warmSteps = 0;
      let warmSeconds = 0;
      for (let run = -1; run < runs; run++) {
        const start = process.hrtime.bigint();
        await myelin.epoch();
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const reply = await side.torch.send({ cmd: 'run' });
        if (run < 0) {
          warmSteps += stepsPerEpoch;
          warmSeconds += seconds + (reply.seconds as number);
          if (!smoke && warmSteps < 2000 && warmSeconds < 2) run--;
          // A slow pair of warm-up epochs (a slow engine): 3 timed runs, so that the step ends in time.
          else if (seconds + (reply.seconds as number) > 2) runs = Math.min(RUNS, 3);
          continue;
        }
        ours.push(myelin.samplesPerEpoch / seconds);
        theirs.push(myelin.samplesPerEpoch / (reply.seconds as number));
      }
      myelin.dispose();
      const [a, b] = [median(ours), median(theirs)];
      record(
        `${title}: Myelin ${fmt(a)}  PyTorch ${fmt(b)}  ratio ${(a / b).toFixed(2)}x ` +
          `${verdict(a / b, tf32 ? null : w.target)}  [median of ${runs}; torch ${String(setup.tf32)}]`,
      );
    } catch (error) {
      failures++;
      record(`${title}: FAILED ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

async function webgpuBench(): Promise<void> {
  const { createWebGpuBackend } = await import('@myelin/backend-webgpu');
  const backend = await createWebGpuBackend();
  console.log(
    `\nMyelin webgpu adapter: ${JSON.stringify(backend.adapter)}; tfjs backend for tfjs-layers: ${tf.getBackend()}`,
  );
  if (tf.getBackend() !== 'webgpu') throw new Error(`tfjs-layers would run on '${tf.getBackend()}', not webgpu`);
  const workload = makeWorkload(WEBGPU_SAMPLES);
  for (const batch of WEBGPU_BATCHES) {
    const id = batch === 64 ? 'W1' : 'W2';
    const title = `webgpu ${id} 784-128-10 batch ${batch}, ${WEBGPU_SAMPLES} samples/epoch`;
    if (pastBudget(title)) continue;
    try {
      const trainers = [myelinTrainer(backend, workload, batch), tfjsLayersTrainer(tf, workload, batch)];
      const [myelin, layers] = (await interleavedSamplesPerSecond(trainers, RUNS)) as [number, number];
      for (const trainer of trainers) trainer.dispose();
      record(
        `${title}: Myelin ${fmt(myelin)}  tfjs-layers ${fmt(layers)}  ratio ${(myelin / layers).toFixed(2)}x ` +
          `${verdict(myelin / layers, WEBGPU_TARGET)}  [median of ${RUNS}]`,
      );
    } catch (error) {
      failures++;
      record(`${title}: FAILED ${(error as Error).message.split('\n')[0]}`);
    }
  }
}

console.log(
  `Myelin GPU benchmark${smoke ? ' (SMOKE RUN: shrunk shapes, one run, figures mean nothing)' : ''}: ` +
    `median of ${RUNS} one-epoch runs per side (3 where a warm-up pair takes over 2 s), taken in turn after ` +
    `warm-up epochs (cuda: until 2,000 steps or 2 s; webgpu: one); node ${process.version}; budget ${budgetSeconds} s`,
);
// The targets first (cuda with TF32 off, then webgpu), the TF32-on figures last.
const parts: [string, 'cuda' | 'webgpu', () => Promise<void>][] = [
  ['cuda (TF32 off)', 'cuda', () => cudaBench(false)],
  ['webgpu', 'webgpu', webgpuBench],
  ['cuda (TF32 on)', 'cuda', () => cudaBench(true)],
];
for (const [part, kind, run] of parts) {
  if (only !== undefined && only !== kind) continue;
  try {
    await run();
  } catch (error) {
    failures++;
    const message = (error as Error).message;
    if (message.includes('\n')) console.log(message); // the whole of a multi-line reason (what was tried)
    record(`${part}: FAILED ${message.split('\n')[0]}`);
  }
}
await closeCudaSide();
console.log('\nsummary (samples/s, medians)');
for (const line of results) console.log(`  ${line}`);
const ok = failures === 0 && targetsMissed === 0;
console.log(
  `RESULT bench: ${ok ? 'PASS' : 'FAIL'} targets met ${targetsMet} of ${targetsMet + targetsMissed}` +
    (failures ? `, ${failures} FAILED or skipped` : ''),
);
process.stdout.write('', () => process.exit(ok ? 0 : 1));
