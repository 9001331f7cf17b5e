#!/usr/bin/env node
// `pnpm bench:distributed`: W2 (784-128-10, batch 256 per rank, Adam) on the native cpu backend,
// data-parallel on 2 ranks × 1 thread against 1 rank × 1 thread (target >= 1.7x the throughput)
// and 1 rank × 2 threads (target >= 1.0x). The three set-ups run in turn, round after round, so
// they see the same machine; the figures are medians over rounds of each run's epochs (the first
// epoch of each run is warm-up). Prints the all-reduce time per step and its share of the step,
// and the whole gradient sync's (reading gradients to the host, the all-reduce, the upload).
//   node scripts/bench.mjs [--rounds 3] [--epochs 6] [--steps 40]
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    epochs: { type: 'string', default: '6' },
    steps: { type: 'string', default: '40' },
  },
});
const worker = fileURLToPath(new URL('../bench/w2-worker.mjs', import.meta.url));
const common = ['--epochs', args.epochs, '--steps', args.steps];
const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
const setups = [
  { id: '1x1', label: '1 rank x 1 thread', command: process.execPath, args: [worker, '--threads', '1', ...common] },
  { id: '1x2', label: '1 rank x 2 threads', command: process.execPath, args: [worker, '--threads', '2', ...common] },
  {
    id: '2x1',
    label: '2 ranks x 1 thread',
    command: 'mpirun',
    args: [...root, '--bind-to', 'none', '-np', '2', process.execPath, worker, '--threads', '1', ...common],
  },
];
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const seen = Object.fromEntries(setups.map((s) => [s.id, []]));
let path = '';
console.log(
  `W2 784-128-10, batch 256 per rank, Adam, cpu backend; ${args.rounds} rounds x ${Number(args.epochs) - 1} timed epochs x ${args.steps} steps`,
);
console.log(
  `load average before: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
for (let round = 0; round < Number(args.rounds); round++) {
  for (const setup of setups) {
    const run = spawnSync(setup.command, setup.args, {
      encoding: 'utf8',
      env: { ...process.env, MYELIN_CPU_THREADS: undefined },
    });
    const line = run.stdout.split('\n').find((l) => l.startsWith('BENCH '));
    if (run.status !== 0 || !line) {
      console.error(`${setup.label} failed (${run.status}):\n${run.stderr.slice(-2000)}`);
      process.exit(1);
    }
    const result = JSON.parse(line.slice(6));
    seen[setup.id].push(...result.epochs);
    if (result.ranks > 1) path = result.sharedMemory ? 'MPI-3 shared-memory window' : 'MPI_Allreduce';
  }
}
const summary = Object.fromEntries(
  setups.map((s) => {
    const epochs = seen[s.id];
    return [
      s.id,
      {
        samplesPerSecond: median(epochs.map((e) => e.samplesPerSecond)),
        stepMs: median(epochs.map((e) => e.stepSeconds)) * 1000,
        allReduceMs: median(epochs.map((e) => e.allReducePerStep)) * 1000,
        syncMs: median(epochs.map((e) => e.syncPerStep)) * 1000,
      },
    ];
  }),
);
for (const s of setups) {
  const r = summary[s.id];
  const comm =
    s.id === '2x1'
      ? `; all-reduce (${path}) ${r.allReduceMs.toFixed(3)} ms/step (${((100 * r.allReduceMs) / r.stepMs).toFixed(1)}% of the step), whole gradient sync incl. host copies ${r.syncMs.toFixed(3)} ms/step (${((100 * r.syncMs) / r.stepMs).toFixed(1)}%)`
      : '';
  console.log(
    `${s.label.padEnd(20)} ${Math.round(r.samplesPerSecond).toString().padStart(7)} samples/s, ${r.stepMs.toFixed(2)} ms/step${comm}`,
  );
}
const vsOne = summary['2x1'].samplesPerSecond / summary['1x1'].samplesPerSecond;
const vsTwo = summary['2x1'].samplesPerSecond / summary['1x2'].samplesPerSecond;
console.log(
  `2 ranks x 1 thread vs 1 rank x 1 thread:  ${vsOne.toFixed(2)}x (target >= 1.7x) ${vsOne >= 1.7 ? 'MET' : 'NOT MET'}`,
);
console.log(
  `2 ranks x 1 thread vs 1 rank x 2 threads: ${vsTwo.toFixed(2)}x (target >= 1.0x) ${vsTwo >= 1.0 ? 'MET' : 'NOT MET'}`,
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (on ${process.env.MYELIN_BENCH_CORES ?? 'this'} machine; other work on it skews the ratios)`,
);
