// One benchmark run of W2 (784-128-10, batch 256 per rank, Adam, cross-entropy) on the native
// cpu backend through DataLoader + DistributedSampler + distributedFit; launched by
// scripts/bench.mjs alone (one rank) or under mpirun. Rank 0 prints one `BENCH {...}` line.
//   node w2-worker.mjs --threads 1 --epochs 6 --steps 40
import { parseArgs } from 'node:util';
import {
  Adam,
  CrossEntropyLoss,
  Generator,
  Linear,
  ReLU,
  Sequential,
  manualSeed,
  registerBackend,
  setBackend,
} from '@myelin/core';
import { createCpuBackend } from '@myelin/backend-cpu';
import { DataLoader, DistributedSampler, TensorDataset } from '@myelin/data';
import { DistributedDataParallel, LocalCommunicator, detectLaunch, distributedFit, initMpi } from '../dist/index.js';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '6' },
    steps: { type: 'string', default: '40' },
    batch: { type: 'string', default: '256' },
  },
});
const threads = Number(args.threads);
const batch = Number(args.batch);
const steps = Number(args.steps);
registerBackend('cpu', () => createCpuBackend({ threads }));
setBackend('cpu');
const comm = detectLaunch() ? initMpi() : new LocalCommunicator();

// Fashion-MNIST-shaped data (784 features in [0, 1), 10 classes): the speed does not depend on the values.
const samples = steps * batch * comm.size;
const generator = new Generator(5);
const x = new Float32Array(generator.uniform(samples * 784));
const y = new Int32Array(generator.integers(samples, 0, 10));
const dataset = new TensorDataset({ data: x, shape: [samples, 784] }, { data: y, shape: [samples] });
const sampler = new DistributedSampler(samples, { rank: comm.rank, worldSize: comm.size, seed: 1 });
const loader = new DataLoader(dataset, { batchSize: batch, sampler });

manualSeed(1);
const model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
const ddp = new DistributedDataParallel(model, comm);
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const epochs = [];
let mark = { allReduce: 0, sync: 0, steps: 0 };
await distributedFit(ddp, {
  train: loader,
  loss: new CrossEntropyLoss(),
  optimizer,
  epochs: Number(args.epochs),
  callbacks: [
    {
      onEpochBegin: () => {
        comm.barrier();
        mark = {
          allReduce: ddp.stats.allReduceSeconds,
          sync: ddp.stats.syncSeconds,
          steps: ddp.stats.steps,
          started: performance.now(),
        };
      },
      onEpochEnd: () => {
        comm.barrier();
        const seconds = (performance.now() - mark.started) / 1000;
        epochs.push({
          seconds,
          samplesPerSecond: (steps * batch * comm.size) / seconds,
          allReducePerStep: (ddp.stats.allReduceSeconds - mark.allReduce) / Math.max(1, ddp.stats.steps - mark.steps),
          syncPerStep: (ddp.stats.syncSeconds - mark.sync) / Math.max(1, ddp.stats.steps - mark.steps),
          stepSeconds: seconds / steps,
        });
      },
    },
  ],
});
if (process.env.BENCH_DEBUG)
  console.error(
    comm.rank,
    JSON.stringify(epochs.map((e) => [e.seconds.toFixed(3), (e.allReducePerStep * 1000).toFixed(2)])),
  );
const sharedMemory = comm.sharedMemory ?? false;
if (comm.rank === 0)
  console.log(`BENCH ${JSON.stringify({ ranks: comm.size, threads, sharedMemory, epochs: epochs.slice(1) })}`);
comm.finalize();
