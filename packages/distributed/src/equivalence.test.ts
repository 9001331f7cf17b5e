// Data-parallel training is the same computation as one process with the global batch:
// 2 ranks × batch 32 against 1 rank × batch 64, 50 Adam steps over the same samples.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probeMpi } from './probe.js';
import { mpirun, mpirunAvailable, rankFiles, resultDirectory } from './test-mpirun.js';

const fixture = fileURLToPath(new URL('../test/fixtures/train.mjs', import.meta.url));
const usable = probeMpi().usable && mpirunAvailable();

interface Run {
  rank: number;
  size: number;
  parameters: Record<string, number[]>;
  logs: { loss: number; accuracy: number }[];
  sharedMemory: boolean;
  stats: { steps: number; allReduces: number; allReduceSeconds: number };
}

function single(args: string[]): Run {
  const out = resultDirectory();
  const child = spawnSync(process.execPath, [fixture, ...args, '--out', out], { encoding: 'utf8' });
  expect(child.status, child.stderr).toBe(0);
  return rankFiles<Run>(out)[0]!;
}

/** Largest |a - b| over every parameter, and the largest |b|. */
function difference(a: Run, b: Run): { absolute: number; scale: number } {
  let absolute = 0;
  let scale = 0;
  for (const [name, values] of Object.entries(b.parameters)) {
    const other = a.parameters[name]!;
    expect(other).toHaveLength(values.length);
    values.forEach((v, i) => {
      absolute = Math.max(absolute, Math.abs(v - other[i]!));
      scale = Math.max(scale, Math.abs(v));
    });
  }
  return { absolute, scale };
}

describe.skipIf(!usable)('DistributedDataParallel equivalence (mpirun -np 2)', () => {
  const cases = [
    { backend: 'cpu-reference', dtype: 'float64', tolerance: 1e-10 },
    { backend: 'cpu', dtype: 'float32', tolerance: 1e-5 },
  ];
  for (const { backend, dtype, tolerance } of cases) {
    it(`2 ranks x batch 32 = 1 rank x batch 64 after 50 Adam steps (${backend}, ${dtype}, ${tolerance} relative)`, async () => {
      const common = ['--backend', backend, '--dtype', dtype, '--epochs', '5', '--samples', '640'];
      const reference = single([...common, '--batch', '64']);
      const out = resultDirectory();
      const run = await mpirun(2, fixture, [...common, '--batch', '32', '--out', out]);
      expect(run.code, run.stderr).toBe(0);
      const [rank0, rank1] = rankFiles<Run>(out);
      expect([rank0!.size, rank1!.size]).toEqual([2, 2]);
      // One machine: the gradients are averaged through the shared-memory window.
      expect(rank0!.sharedMemory).toBe(process.env.MYELIN_MPI_SHARED_MEMORY !== '0');
      // 640 samples / 64 per global step × 5 epochs = 50 steps, one bucketed all-reduce each.
      expect(rank0!.stats.steps).toBe(50);
      expect(rank0!.stats.allReduces).toBe(50);
      // The replicas are identical, bit for bit, and so are the global logs they report.
      expect(rank1!.parameters).toEqual(rank0!.parameters);
      expect(rank1!.logs).toEqual(rank0!.logs);
      const { absolute, scale } = difference(rank0!, reference);
      expect(absolute / scale).toBeLessThan(tolerance);
      // The epoch loss and accuracy are the global ones: those of the one-process run.
      rank0!.logs.forEach((logs, epoch) => {
        expect(logs.loss).toBeCloseTo(reference.logs[epoch]!.loss, dtype === 'float64' ? 10 : 4);
        expect(logs.accuracy).toBeCloseTo(reference.logs[epoch]!.accuracy, dtype === 'float64' ? 10 : 4);
      });
      expect(reference.logs[4]!.loss).toBeLessThan(reference.logs[0]!.loss);
      console.log(
        `${backend} ${dtype}: max |difference| ${absolute.toExponential(2)} (relative ${(absolute / scale).toExponential(2)})`,
      );
    });
  }
});
