// The shared loop of `pnpm bench:transformer` and `pnpm bench:rnn`: a token classifier trained on
// Myelin's native CPU backend against the same model in PyTorch CPU (torch-sequence.py), in the
// same run. Both sides start from PyTorch's initial weights (copied in by name) and train on the
// same batches in the same order with the plain loop a user writes; runs are taken in turn
// (Myelin, PyTorch, ...) with the same thread count on both sides, and the medians of training
// steps/s are compared, with both sides' losses.
import { availableParallelism, loadavg } from 'node:os';
import {
  Adam,
  CrossEntropyLoss,
  fromHost,
  registerBackend,
  setBackend,
  tidy,
  type Module,
  type Tensor,
} from '@myelin/core';
import { createCpuBackend, probe as probeCpu } from '@myelin/backend-cpu';
import { flagValue } from './child-process.js';
import { printProfile, profiled, resetProfile } from './kernel-profile.js';
import { median } from './timing.js';
import { TorchWorker } from './torch-worker.js';

export const VOCAB = 1000;
export const CLASSES = 10;
const BATCHES = 8;

/** One row of the comparison: its model's sizes (sent to torch-sequence.py as they are). */
export interface SequenceSize {
  /** The row's name (`--only`). */
  id: string;
  /** What torch-sequence.py builds: 'transformer', 'lstm' or 'gru'. */
  model: string;
  batch: number;
  seq: number;
  /** Training steps per timed run (about half a second on one core). */
  steps: number;
  /** The row's title after its id. */
  title: string;
  [size: string]: number | string;
}

/** Batches both sides train on: labels depend on the first tokens (their sum mod classes), so the loss falls. */
function makeData(size: SequenceSize): { tokens: Int32Array; labels: Int32Array } {
  let seed = 12345;
  const random = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const tokens = new Int32Array(BATCHES * size.batch * size.seq);
  const labels = new Int32Array(BATCHES * size.batch);
  for (let row = 0; row < BATCHES * size.batch; row++) {
    let sum = 0;
    for (let t = 0; t < size.seq; t++) {
      const token = random() % VOCAB;
      tokens[row * size.seq + t] = token;
      if (t < 4) sum += token;
    }
    labels[row] = sum % CLASSES;
  }
  return { tokens, labels };
}

const base64 = (array: Int32Array): string =>
  Buffer.from(array.buffer, array.byteOffset, array.byteLength).toString('base64');

/** Myelin's model, loaded with PyTorch's initial weights, and a run of `steps` training steps. */
function myelinSide(
  model: Module & { forward(tokens: Tensor): Tensor },
  size: SequenceSize,
  data: { tokens: Int32Array; labels: Int32Array },
  weights: Record<string, { shape: number[]; data: string }>,
): { run: (steps: number) => Promise<number[]> } {
  const state: Record<string, Tensor> = {};
  for (const [name, { shape, data: text }] of Object.entries(weights)) {
    const bytes = Buffer.from(text, 'base64');
    state[name] = fromHost(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), shape);
  }
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const lossFunction = new CrossEntropyLoss();
  const batches = Array.from({ length: BATCHES }, (_, i) => ({
    x: fromHost(
      data.tokens.subarray(i * size.batch * size.seq, (i + 1) * size.batch * size.seq),
      [size.batch, size.seq],
      {
        dtype: 'int32',
      },
    ),
    y: fromHost(data.labels.subarray(i * size.batch, (i + 1) * size.batch), [size.batch], { dtype: 'int32' }),
  }));
  let next = 0;
  return {
    async run(steps: number): Promise<number[]> {
      const losses: Tensor[] = [];
      for (let step = 0; step < steps; step++) {
        const { x, y } = batches[next++ % BATCHES]!;
        losses.push(
          tidy(() => {
            optimizer.zeroGrad();
            const loss = lossFunction.forward(model.forward(x), y);
            loss.backward();
            optimizer.step();
            return loss.detach();
          }),
        );
      }
      const values: number[] = [];
      for (const loss of losses) {
        values.push(await loss.item()); // read once per run, as a user's epoch print does
        loss.dispose();
      }
      return values;
    },
  };
}

const fmt = (value: number): string => value.toFixed(value >= 100 ? 0 : 2).padStart(7);
const losses = (values: readonly number[]): string => values.map((v) => v.toFixed(4)).join(' ');

/**
 * Runs every size (or `--only ID`) at 1 and 2 threads and prints the ratios. `--quick`: 3 timed
 * runs per side and row instead of 7; `--profile`: Myelin's time per backend kernel.
 */
export async function compareWithTorch(
  name: string,
  sizes: readonly SequenceSize[],
  makeModel: (size: SequenceSize) => Module & { forward(tokens: Tensor): Tensor },
): Promise<void> {
  const rounds = process.argv.includes('--quick') ? 3 : 7;
  const profile = process.argv.includes('--profile');
  const cpu = await probeCpu();
  if (!cpu.usable) throw new Error(`${name} needs @myelin/backend-cpu: ${cpu.reason ?? 'not usable'}`);
  const only = flagValue('only');
  console.log(`Myelin cpu: ${JSON.stringify(cpu.details ?? {})}`);
  console.log(
    `Machine: ${availableParallelism()} cores, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  console.log(
    `${rounds} timed runs per side and row, taken in turn after one warm-up each; medians of training steps/s ` +
      '(forward + backward + Adam step)\n',
  );
  const summary: string[] = [];
  for (const size of sizes) {
    if (only !== undefined && only !== size.id) continue;
    for (const threads of [1, 2]) {
      const backendName = `${name}-${threads}`;
      registerBackend(backendName, () =>
        profile ? profiled(createCpuBackend({ threads })) : createCpuBackend({ threads }),
      );
      setBackend(backendName);
      const torch = new TorchWorker('torch-sequence.py', threads);
      const about = await torch.hello();
      if (summary.length === 0) console.log(`PyTorch: ${JSON.stringify(about)}\n`);
      const data = makeData(size);
      const reply = await torch.send({
        cmd: 'setup',
        ...size,
        vocab: VOCAB,
        classes: CLASSES,
        tokens: base64(data.tokens),
        labels: base64(data.labels),
      });
      const myelin = myelinSide(
        makeModel(size),
        size,
        data,
        reply.state as Record<string, { shape: number[]; data: string }>,
      );
      // The first steps from the same weights on the same batches: both sides should train alike.
      const firstOurs = await myelin.run(3);
      const firstTheirs = (await torch.send({ cmd: 'run', steps: 3 })).losses as number[];
      const ours: number[] = [];
      const theirs: number[] = [];
      const oursCpu: number[] = [];
      const theirsCpu: number[] = [];
      let lastOurs: number[] = [];
      let lastTheirs: number[] = [];
      if (profile) resetProfile();
      for (let round = -1; round < rounds; round++) {
        const start = process.hrtime.bigint();
        const cpuStart = process.cpuUsage();
        lastOurs = await myelin.run(size.steps);
        const seconds = Number(process.hrtime.bigint() - start) / 1e9;
        const cpuUsed = process.cpuUsage(cpuStart);
        const torchRun = await torch.send({ cmd: 'run', steps: size.steps });
        lastTheirs = torchRun.losses as number[];
        if (round < 0) {
          if (profile) resetProfile();
          continue; // warm-up
        }
        ours.push(size.steps / seconds);
        theirs.push(size.steps / (torchRun.seconds as number));
        oursCpu.push(size.steps / ((cpuUsed.user + cpuUsed.system) / 1e6));
        theirsCpu.push(size.steps / (torchRun.cpuSeconds as number));
      }
      torch.close();
      const [a, b] = [median(ours), median(theirs)];
      const title = `${size.id} ${size.title}, ${threads} thread${threads > 1 ? 's' : ''}`;
      // More runnable threads than cores (this run's own included) skew the ratio: PyTorch's OpenMP
      // threads wait on each other when descheduled. Say so on the line itself.
      const load = loadavg()[0]!;
      const busy =
        load > availableParallelism() + 0.5 ? `  [busy machine: load ${load.toFixed(1)}, not a fair ratio]` : '';
      const line =
        `${title}: Myelin ${fmt(a)} steps/s  PyTorch ${fmt(b)} steps/s  ratio ${(a / b).toFixed(2)}x ` +
        `(per CPU second ${(median(oursCpu) / median(theirsCpu)).toFixed(2)}x)${busy}`;
      console.log(line);
      console.log(
        `  first 3 losses from the same weights: Myelin ${losses(firstOurs)}  PyTorch ${losses(firstTheirs)}`,
      );
      console.log(
        `  loss after ${3 + (rounds + 1) * size.steps} steps: Myelin ${lastOurs.at(-1)!.toFixed(4)}  PyTorch ${lastTheirs.at(-1)!.toFixed(4)}`,
      );
      if (profile) printProfile(rounds * size.steps);
      summary.push(line);
    }
  }
  summary.push(
    `(machine load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${availableParallelism()} cores)`,
  );
  console.log('\nsummary');
  for (const line of summary) console.log(`  ${line}`);
}
