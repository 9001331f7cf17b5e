#!/usr/bin/env node
// `pnpm bench:distributed`: W2 (784-128-10, batch 256 per rank, Adam) on the native cpu backend,
// data-parallel on 2 ranks × 1 thread against 1 rank × 1 thread (target >= 1.7x the throughput)
// and 1 rank × 2 threads (target >= 1.0x). The set-ups run in turn, round after round, so they
// see the same machine; the figures are medians over rounds of each run's epochs (the first epoch
// of each run is warm-up). Prints the all-reduce time per step and its share of the step, and the
// whole gradient sync's (reading gradients to the host, the all-reduce, the upload).
// Two anchors measured in the same rounds:
// - the machine's ceiling: two independent 1-thread processes at once, no communication at all
//   (their summed throughput bounds what any 2-process set-up can reach on these cores);
// - PyTorch: the same model, loop and batch on 1 process × 1 thread and under
//   DistributedDataParallel over Gloo on 2 processes × 1 thread (Debian's python3-torch; skipped,
//   with the reason, where it is not installed).
//   node scripts/bench.mjs [--rounds 3] [--epochs 6] [--steps 40]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
const torchScript = fileURLToPath(new URL('../bench/torch-ddp.py', import.meta.url));
const common = ['--epochs', args.epochs, '--steps', args.steps];
const root = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];
const nodeEnv = { ...process.env, MYELIN_CPU_THREADS: undefined };
const myelin = (threads) => ({ command: process.execPath, args: [worker, '--threads', String(threads), ...common] });

// Debian's python3-torch links the generic libblas.so.3: point it at OpenBLAS's OpenMP build, as
// the other PyTorch anchors of the benchmarks do.
const PYTHON = '/usr/bin/python3';
const openmp = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
const torchEnv = {
  ...process.env,
  OMP_NUM_THREADS: '1',
  ...(existsSync(openmp) ? { LD_LIBRARY_PATH: [openmp, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') } : {}),
};
const torchCheck = spawnSync(PYTHON, ['-c', 'import torch.distributed as d; assert d.is_available()'], {
  encoding: 'utf8',
  env: torchEnv,
});
const torchMissing =
  torchCheck.status === 0
    ? null
    : `${PYTHON} cannot import torch.distributed (${(torchCheck.stderr || torchCheck.error?.message || '').trim().split('\n').pop()}); install python3-torch (./setup does)`;
let port = 29500 + (process.pid % 1000);
const torch = (ranks) => {
  const script = [torchScript, '--threads', '1', ...common];
  if (ranks === 1) return [{ command: PYTHON, args: script, env: torchEnv }];
  const master = { MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port++), WORLD_SIZE: String(ranks) };
  return Array.from({ length: ranks }, (_, rank) => ({
    command: PYTHON,
    args: script,
    env: { ...torchEnv, ...master, RANK: String(rank) },
  }));
};

/**
 * Each set-up is one or more processes started together; `combine` turns the BENCH lines of its
 * processes into per-epoch figures.
 */
const setups = [
  { id: '1x1', label: '1 rank x 1 thread', processes: () => [myelin(1)] },
  { id: '1x2', label: '1 rank x 2 threads', processes: () => [myelin(2)] },
  {
    id: '2x1',
    label: '2 ranks x 1 thread',
    processes: () => [
      {
        command: 'mpirun',
        args: [...root, '--bind-to', 'none', '-np', '2', process.execPath, worker, '--threads', '1', ...common],
      },
    ],
  },
  {
    id: 'ceiling',
    label: '2 x (1 rank x 1 thread) at once, no communication',
    processes: () => [myelin(1), myelin(1)],
    combine: 'sum',
  },
  ...(torchMissing
    ? []
    : [
        { id: 'torch1x1', label: 'PyTorch 1 process x 1 thread', processes: () => torch(1) },
        { id: 'torch2x1', label: 'PyTorch DDP (Gloo) 2 x 1 thread', processes: () => torch(2) },
      ]),
];

function run({ command, args: argv, env = nodeEnv }) {
  return new Promise((resolve) => {
    const child = spawn(command, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (error) => resolve({ status: -1, stdout, stderr: String(error) }));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

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
if (torchMissing) console.log(`PyTorch anchor skipped: ${torchMissing}`);
for (let round = 0; round < Number(args.rounds); round++) {
  for (const setup of setups) {
    const runs = await Promise.all(setup.processes().map(run));
    const results = [];
    for (const result of runs) {
      const line = result.stdout.split('\n').find((l) => l.startsWith('BENCH '));
      if (result.status !== 0) {
        console.error(`${setup.label} failed (${result.status}):\n${result.stderr.slice(-2000)}`);
        process.exit(1);
      }
      if (line) results.push(JSON.parse(line.slice(6)));
    }
    if (results.length === 0) {
      console.error(`${setup.label}: no BENCH line in its output`);
      process.exit(1);
    }
    const [first] = results;
    if (first.ranks > 1 && first.sharedMemory !== undefined)
      path = first.sharedMemory ? 'MPI-3 shared-memory window' : 'MPI_Allreduce';
    if (setup.combine === 'sum') {
      // Epoch k of each process ran at the same time (same work, started together): add them up.
      const epochs = first.epochs.map((epoch, k) => ({
        ...epoch,
        samplesPerSecond: results.reduce((total, r) => total + (r.epochs[k]?.samplesPerSecond ?? 0), 0),
      }));
      seen[setup.id].push(...epochs);
    } else seen[setup.id].push(...first.epochs);
  }
}
const summary = Object.fromEntries(
  setups.map((s) => {
    const epochs = seen[s.id];
    const stepMs = epochs.every((e) => e.stepSeconds !== undefined)
      ? median(epochs.map((e) => e.stepSeconds)) * 1000
      : null;
    return [
      s.id,
      {
        samplesPerSecond: median(epochs.map((e) => e.samplesPerSecond)),
        stepMs,
        allReduceMs: median(epochs.map((e) => e.allReducePerStep ?? 0)) * 1000,
        syncMs: median(epochs.map((e) => e.syncPerStep ?? 0)) * 1000,
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
  const step = r.stepMs === null || s.id === 'ceiling' ? '' : `, ${r.stepMs.toFixed(2)} ms/step`;
  console.log(`${s.label.padEnd(50)} ${Math.round(r.samplesPerSecond).toString().padStart(7)} samples/s${step}${comm}`);
}
const ratio = (a, b) => summary[a].samplesPerSecond / summary[b].samplesPerSecond;
const vsOne = ratio('2x1', '1x1');
const vsTwo = ratio('2x1', '1x2');
console.log(
  `\n2 ranks x 1 thread vs 1 rank x 1 thread:  ${vsOne.toFixed(2)}x (target >= 1.7x) ${vsOne >= 1.7 ? 'MET' : 'NOT MET'}`,
);
console.log(
  `2 ranks x 1 thread vs 1 rank x 2 threads: ${vsTwo.toFixed(2)}x (target >= 1.0x) ${vsTwo >= 1.0 ? 'MET' : 'NOT MET'}`,
);
console.log(
  `the machine's ceiling (2 independent processes vs 1): ${ratio('ceiling', '1x1').toFixed(2)}x; 2 ranks reach ${((100 * summary['2x1'].samplesPerSecond) / summary.ceiling.samplesPerSecond).toFixed(0)}% of it`,
);
if (!torchMissing)
  console.log(
    `PyTorch DDP (Gloo) 2 x 1 thread vs PyTorch 1 x 1 thread: ${ratio('torch2x1', 'torch1x1').toFixed(2)}x; Myelin 2 ranks vs PyTorch DDP 2 ranks: ${ratio('2x1', 'torch2x1').toFixed(2)}x`,
  );
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (on ${process.env.MYELIN_BENCH_CORES ?? 'this'} machine; other work on it skews the ratios)`,
);
