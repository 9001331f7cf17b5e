// `pnpm bench:cpu`: Myelin's native CPU backend against PyTorch CPU in the same run.
//
// `--activation gelu|gelu_tanh|silu` (default relu) sets the hidden activation of the MLP rows
// (W1-W3) on both sides; for an activation other than relu a third side runs Myelin with that
// activation composed from primitives (the backend's fusedActivations hidden: how it ran before
// the activation was fused), so the fused kernel's gain shows in the same run.
//
// PyTorch (Debian's python3-torch over OpenBLAS) runs the plain loop a user writes, one epoch at a
// time in a worker process; Myelin trains the same network through `fit` on `cpu`. Epochs are
// taken in turn (Myelin, PyTorch, Myelin, ...) so that both sides see the same machine, with the
// same thread count on both sides. Prints medians and the ratio against each target.
import { existsSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import {
  Adam,
  BCELoss,
  Conv2d,
  CrossEntropyLoss,
  Flatten,
  GELU,
  Generator,
  Linear,
  MaxPool2d,
  ReLU,
  SGD,
  SiLU,
  Sequential,
  Sigmoid,
  fit,
  fromHost,
  registerBackend,
  setBackend,
  type Batch,
  type Module,
  type Tensor,
} from '@myelin/core';
import { createCpuBackend, probe as probeCpu } from '@myelin/backend-cpu';
import { FASHION_MNIST_DIRECTORY, loadFashionMnist } from '@myelin/data/node';
import { median } from './timing.js';
import { TorchWorker } from './torch-worker.js';

const quick = process.argv.includes('--quick');
const ACTIVATIONS = ['relu', 'gelu', 'gelu_tanh', 'silu'] as const;
type MlpActivation = (typeof ACTIVATIONS)[number];
const activationArg = process.argv[process.argv.indexOf('--activation') + 1];
const ACTIVATION: MlpActivation = process.argv.includes('--activation')
  ? (ACTIVATIONS.find((a) => a === activationArg) ??
    (() => {
      throw new Error(`--activation must be one of ${ACTIVATIONS.join(', ')}, got ${activationArg}`);
    })())
  : 'relu';
const RUNS = quick ? 3 : 7;
const SAMPLES = quick ? 6_400 : 19_200;

interface Workload {
  id: string;
  title: string;
  threads: number;
  target: number;
  setup:
    | { workload: 'mlp'; hidden: number; batch: number; samples: number; activation: MlpActivation }
    | { workload: 'lenet'; batch: number; samples: number }
    | { workload: 'xor'; steps: number };
}

const mlp = (hidden: number, batch: number) => ({
  workload: 'mlp' as const,
  hidden,
  batch,
  samples: SAMPLES,
  activation: ACTIVATION,
});
/** The MLP's hidden activation module. */
function activationModule(activation: MlpActivation): Module {
  if (activation === 'relu') return new ReLU();
  if (activation === 'silu') return new SiLU();
  return new GELU(activation === 'gelu_tanh' ? 'tanh' : 'none');
}
const WORKLOADS: Workload[] = [
  { id: 'W1', title: '784-128-10, batch 64', threads: 1, target: 1.5, setup: mlp(128, 64) },
  { id: 'W2', title: '784-128-10, batch 256', threads: 1, target: 1.2, setup: mlp(128, 256) },
  { id: 'W2', title: '784-128-10, batch 256', threads: 2, target: 1.0, setup: mlp(128, 256) },
  { id: 'W3', title: '784-1568-10, batch 64', threads: 1, target: 1.2, setup: mlp(1568, 64) },
  {
    id: 'W4',
    title: 'XOR 2-2-1, 1001 full-batch SGD steps',
    threads: 1,
    target: 3,
    setup: { workload: 'xor', steps: 1001 },
  },
  {
    id: 'W5',
    title: 'LeNet-5 (conv 5x5x6 pad 2, pool, conv 5x5x16, pool, 400-120-84-10), batch 64',
    threads: 1,
    target: 1.0,
    setup: { workload: 'lenet', batch: 64, samples: SAMPLES / 2 },
  },
];
/** `--only W5` (repeatable) runs just the named workloads. */
const only = process.argv.flatMap((arg, i) => (process.argv[i - 1] === '--only' ? [arg] : []));

/** Myelin's side of one workload: the model, optimizer and pre-made batches, trained with `fit`. */
interface MyelinRun {
  samplesPerRun: number;
  run(): Promise<void>;
}

async function myelinRun(workload: Workload): Promise<MyelinRun> {
  const generator = new Generator(0);
  if (workload.setup.workload === 'xor') {
    const x = fromHost(new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]), [4, 2]);
    const y = fromHost(new Float32Array([0, 1, 1, 0]), [4, 1]);
    const model = new Sequential(
      new Linear(2, 2, { generator }),
      new Sigmoid(),
      new Linear(2, 1, { generator }),
      new Sigmoid(),
    );
    const optimizer = new SGD(model.parameters(), { lr: 1 });
    const loss = new BCELoss();
    const train: Batch[] = [{ x, y }];
    const epochs = workload.setup.steps;
    return { samplesPerRun: epochs * 4, run: async () => void (await fit(model, { train, loss, optimizer, epochs })) };
  }
  const { batch, samples } = workload.setup;
  const lenet = workload.setup.workload === 'lenet';
  const data = await fashionMnist(samples);
  const train: Batch[] = [];
  for (let begin = 0; begin + batch <= samples; begin += batch) {
    train.push({
      x: fromHost(data.x.subarray(begin * 784, (begin + batch) * 784), lenet ? [batch, 1, 28, 28] : [batch, 784]),
      y: fromHost(data.y.subarray(begin, begin + batch), [batch], { dtype: 'int32' }),
    });
  }
  const model: Module =
    workload.setup.workload === 'lenet'
      ? new Sequential(
          new Conv2d(1, 6, 5, { padding: 2, generator }),
          new ReLU(),
          new MaxPool2d(2),
          new Conv2d(6, 16, 5, { generator }),
          new ReLU(),
          new MaxPool2d(2),
          new Flatten(),
          new Linear(400, 120, { generator }),
          new ReLU(),
          new Linear(120, 84, { generator }),
          new ReLU(),
          new Linear(84, 10, { generator }),
        )
      : new Sequential(
          new Linear(784, workload.setup.hidden, { generator }),
          activationModule(workload.setup.activation),
          new Linear(workload.setup.hidden, 10, { generator }),
        );
  const optimizer = new Adam(model.parameters());
  const loss = new CrossEntropyLoss();
  return {
    samplesPerRun: train.length * batch,
    run: async () => void (await fit(model, { train, loss, optimizer, epochs: 1 })),
  };
}

let cached: { x: Float32Array; y: Int32Array } | undefined;
async function fashionMnist(samples: number): Promise<{ x: Float32Array; y: Int32Array }> {
  if (cached === undefined) {
    const train = await loadFashionMnist();
    const pixels = train.x.data as Uint8Array;
    const x = new Float32Array(pixels.length);
    for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! / 255;
    cached = { x, y: Int32Array.from(train.y.data as ArrayLike<number>) };
  }
  return { x: cached.x.subarray(0, samples * 784), y: cached.y.subarray(0, samples) };
}

function fmt(value: number, unit: string): string {
  return `${value.toFixed(value >= 100 ? 0 : 2).padStart(8)} ${unit}`;
}

async function main(): Promise<void> {
  const cpu = await probeCpu();
  if (!cpu.usable) throw new Error(`bench:cpu needs @myelin/backend-cpu: ${cpu.reason ?? 'not usable'}`);
  if (!existsSync(`${FASHION_MNIST_DIRECTORY}/train-images-idx3-ubyte.gz`))
    throw new Error(`bench:cpu needs Fashion-MNIST in ${FASHION_MNIST_DIRECTORY}: run ./setup`);
  console.log(`Myelin cpu: ${JSON.stringify(cpu.details ?? {})}`);
  console.log(
    'Note: backend-cpu flushes denormal floats to zero while its kernels run (flushDenormals, default true, as TensorFlow); PyTorch does not.',
  );
  console.log(
    `Machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(`${RUNS} timed runs per side, taken in turn after one warm-up each; medians of samples/s\n`);

  const summary: string[] = [];
  for (const workload of WORKLOADS) {
    if (only.length > 0 && !only.includes(workload.id)) continue;
    const name = `cpu-bench-${workload.threads}`;
    registerBackend(name, () => createCpuBackend({ threads: workload.threads }));
    setBackend(name);
    const torch = new TorchWorker('torch-workloads.py', workload.threads);
    const about = await torch.hello();
    if (summary.length === 0) console.log(`PyTorch: ${JSON.stringify(about)}\n`);
    await torch.send({ cmd: 'setup', ...workload.setup });
    const myelin = await myelinRun(workload);
    // The activation composed (fusedActivations hidden): the code path before it was fused.
    const composedSide = workload.setup.workload === 'mlp' && workload.setup.activation !== 'relu';
    let composed: MyelinRun | undefined;
    if (composedSide) {
      registerBackend(`${name}-composed`, () => {
        const backend = createCpuBackend({ threads: workload.threads });
        return new Proxy(backend, {
          get: (target, key) => (key === 'fusedActivations' ? undefined : Reflect.get(target, key)),
        });
      });
      setBackend(`${name}-composed`);
      composed = await myelinRun(workload);
      setBackend(name);
    }
    const before: number[] = [];
    const ours: number[] = [];
    const theirs: number[] = [];
    const oursCpu: number[] = [];
    const theirsCpu: number[] = [];
    for (let run = -1; run < RUNS; run++) {
      const start = process.hrtime.bigint();
      const cpuStart = process.cpuUsage();
      await myelin.run();
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const cpu = process.cpuUsage(cpuStart);
      const reply = await torch.send({ cmd: 'run' });
      let composedSeconds = 0;
      if (composed !== undefined) {
        const composedStart = process.hrtime.bigint();
        await composed.run();
        composedSeconds = Number(process.hrtime.bigint() - composedStart) / 1e9;
      }
      if (run < 0) continue; // warm-up
      if (composed !== undefined) before.push(composed.samplesPerRun / composedSeconds);
      ours.push(myelin.samplesPerRun / seconds);
      theirs.push(myelin.samplesPerRun / (reply.seconds as number));
      oursCpu.push(myelin.samplesPerRun / ((cpu.user + cpu.system) / 1e6));
      theirsCpu.push(myelin.samplesPerRun / (reply.cpuSeconds as number));
    }
    torch.close();
    const [a, b] = [median(ours), median(theirs)];
    const ratio = a / b;
    // CPU time (each process, all its threads: Node's GC threads on our side, OpenMP's on
    // PyTorch's): a second view where other load on the machine makes wall time noisy.
    const cpuRatio = median(oursCpu) / median(theirsCpu);
    const activation = workload.setup.workload === 'mlp' ? `, ${workload.setup.activation}` : '';
    const composedNote =
      before.length > 0
        ? `; Myelin with ${ACTIVATION} composed (before fusing) ${fmt(median(before), 'samples/s')}, fused ${(a / median(before)).toFixed(2)}x that`
        : '';
    const line =
      `${workload.id} ${workload.title}${activation}, ${workload.threads} thread${workload.threads > 1 ? 's' : ''}: ` +
      `Myelin ${fmt(a, 'samples/s')}  PyTorch ${fmt(b, 'samples/s')}  ratio ${ratio.toFixed(2)}x ` +
      `(target >= ${workload.target}x: ${ratio >= workload.target ? 'met' : 'NOT met'}; per CPU second ${cpuRatio.toFixed(2)}x${composedNote})`;
    console.log(line);
    summary.push(line);
  }
  if (only.length === 0) {
    await gemmComparison(summary);
    await memoryCheck(summary);
  }
  summary.push(
    `(machine load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores)`,
  );
  console.log('\nsummary');
  for (const line of summary) console.log(`  ${line}`);
}

/** The built-in GEMM against OpenBLAS through the same backend contract, one thread each. */
async function gemmComparison(summary: string[]): Promise<void> {
  const shapes: [string, number, number, number, boolean, boolean][] = [
    ['1024x1024x1024', 1024, 1024, 1024, false, false],
    ['W1 forward 64x784 @ 784x128', 64, 784, 128, false, true],
    ['W1 weight grad 128x64 @ 64x784', 128, 64, 784, true, false],
    ['W1 input grad 64x128 @ 128x784', 64, 128, 784, false, false],
    ['W1 output layer 64x128 @ 128x10', 64, 128, 10, false, true],
    ['W1 output weight grad 10x64 @ 64x128', 10, 64, 128, true, false],
    ['W3 forward 64x784 @ 784x1568', 64, 784, 1568, false, true],
  ];
  const openblas = createCpuBackend({ threads: 1 });
  const builtin = createCpuBackend({ threads: 1, gemm: 'builtin' });
  const generator = new Generator(1);
  console.log('');
  for (const [label, m, k, n, transposeA, transposeB] of shapes) {
    const flops = 2 * m * n * k;
    const repeats = Math.max(3, Math.ceil(2e9 / flops));
    const rates = [openblas, builtin].map((backend) => {
      const a = backend.fromData(generator.uniform(m * k), transposeA ? [1, k, m] : [1, m, k], 'float32');
      const b = backend.fromData(generator.uniform(k * n), transposeB ? [1, n, k] : [1, k, n], 'float32');
      const times: number[] = [];
      for (let run = -1; run < RUNS; run++) {
        const start = process.hrtime.bigint();
        for (let i = 0; i < repeats; i++) backend.dispose(backend.matmul(a, b, transposeA, transposeB));
        if (run >= 0) times.push(Number(process.hrtime.bigint() - start) / 1e9 / repeats);
      }
      backend.dispose(a);
      backend.dispose(b);
      return flops / median(times) / 1e9;
    });
    const ratio = rates[1]! / rates[0]!;
    const line =
      `GEMM ${label}: built-in ${fmt(rates[1]!, 'GFLOP/s')}  OpenBLAS ${fmt(rates[0]!, 'GFLOP/s')}  ` +
      `ratio ${ratio.toFixed(2)}x (target >= 0.7x: ${ratio >= 0.7 ? 'met' : 'NOT met'})`;
    console.log(line);
    summary.push(line);
  }
}

/** RSS after 10,000 W1 steps against RSS after 1,000: a steady step must not grow memory. */
async function memoryCheck(summary: string[]): Promise<void> {
  registerBackend('cpu-bench-memory', () => createCpuBackend({ threads: 1 }));
  setBackend('cpu-bench-memory');
  const batchSize = 64;
  const data = await fashionMnist(batchSize * 100);
  const train: Batch[] = Array.from({ length: 100 }, (_, i) => ({
    x: fromHost(data.x.subarray(i * batchSize * 784, (i + 1) * batchSize * 784), [batchSize, 784]) as Tensor,
    y: fromHost(data.y.subarray(i * batchSize, (i + 1) * batchSize), [batchSize], { dtype: 'int32' }) as Tensor,
  }));
  const generator = new Generator(2);
  const model = new Sequential(new Linear(784, 128, { generator }), new ReLU(), new Linear(128, 10, { generator }));
  const optimizer = new Adam(model.parameters());
  const loss = new CrossEntropyLoss();
  await fit(model, { train, loss, optimizer, epochs: 10 }); // 1,000 steps
  global.gc?.();
  const after1k = process.memoryUsage().rss;
  await fit(model, { train, loss, optimizer, epochs: 90 }); // 10,000 steps in all
  global.gc?.();
  const after10k = process.memoryUsage().rss;
  const growth = after10k / after1k - 1;
  const line =
    `Memory: RSS ${(after1k / 2 ** 20).toFixed(1)} MiB after 1,000 W1 steps, ${(after10k / 2 ** 20).toFixed(1)} MiB ` +
    `after 10,000 (${(growth * 100).toFixed(1)}%; target within 5%: ${Math.abs(growth) <= 0.05 ? 'met' : 'NOT met'})`;
  console.log(`\n${line}`);
  summary.push(line);
}

await main();
