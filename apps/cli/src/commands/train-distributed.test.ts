// `mpirun -np 2 myelin train`: data-parallel from MPI's environment, rank 0 alone prints and
// writes the run directory, and a resume must use the same number of ranks.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeMpi } from '@myelin/distributed';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../dist/bin.js', import.meta.url));
const mpirunWorks = spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0;
const usable = probeMpi().usable && mpirunWorks;
const asRoot = process.getuid?.() === 0 ? ['--allow-run-as-root'] : [];

function mpirun(ranks: number, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'mpirun',
      [...asRoot, '--oversubscribe', '--bind-to', 'none', '-np', String(ranks), process.execPath, bin, ...args],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.skipIf(!usable)('myelin train under mpirun', () => {
  it('trains on 2 ranks, prints and writes once, and resumes only on 2 ranks', async () => {
    const output = mkdtempSync(path.join(tmpdir(), 'myelin-cli-mpi-'));
    const first = await mpirun(2, [
      'train',
      '--epochs',
      '2',
      '--output',
      output,
      '--no-progress',
      '--backend',
      'cpu-reference',
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('parallel   2 MPI ranks x batch 32 = global batch 64');
    // Rank 1's stdout is silent: every line appears once.
    expect(first.stdout.match(/^epoch 1\/2 /gm)).toHaveLength(1);
    expect(first.stdout.match(/^myelin train /gm)).toHaveLength(1);
    const runs = readdirSync(output);
    expect(runs).toHaveLength(1);
    const run = path.join(output, runs[0]!);
    expect(JSON.parse(readFileSync(path.join(run, 'distributed.json'), 'utf8'))).toEqual({
      worldSize: 2,
      perRankBatch: 32,
      globalBatch: 64,
    });
    expect(readdirSync(run)).toEqual(expect.arrayContaining(['last.json', 'metrics.csv', 'loss.svg']));

    const alone = spawnSync(process.execPath, [bin, 'train', '--resume', run, '--epochs', '3', '--no-progress'], {
      encoding: 'utf8',
    });
    expect(alone.status).toBe(2);
    expect(alone.stderr).toMatch(/cannot resume .* on 1 rank: it was written by a run of 2 ranks.*mpirun -np 2/);

    const resumed = await mpirun(2, ['train', '--resume', run, '--epochs', '3', '--no-progress']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('(resuming after epoch 2)');
    expect(resumed.stdout.match(/^epoch 3\/3 /gm)).toHaveLength(1);
    expect(readFileSync(path.join(run, 'metrics.csv'), 'utf8').trim().split('\n')).toHaveLength(4);
  });
});
