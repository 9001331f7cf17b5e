// A rank killed mid-epoch: mpirun ends the whole job quickly, says which rank was lost, and the
// last checkpoint (written by rank 0 alone, atomically) resumes on the same world size only.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registerBackend, setBackend } from '@myelin/core';
import { loadCheckpoint } from '@myelin/core/node';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { probeMpi } from './probe.js';
import { mpirun, mpirunAvailable, rankFiles, resultDirectory } from './test-mpirun.js';

const fixture = fileURLToPath(new URL('../test/fixtures/train.mjs', import.meta.url));
const usable = probeMpi().usable && mpirunAvailable();

/** Whether `pid` still runs (a zombie waiting for its parent to reap it does not) after up to `ms`. */
async function runningAfter(pid: number, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    let state: string;
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0] ?? '';
    } catch {
      return false;
    }
    if (state === 'Z' || state === 'X') return false;
    if (performance.now() > deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe.skipIf(!usable)('faults (mpirun -np 2)', () => {
  it('a rank killed mid-epoch ends the job within 30 s, naming the rank; the last checkpoint resumes', async () => {
    const checkpoints = mkdtempSync(path.join(tmpdir(), 'myelin-fault-'));
    const pids = new Map<number, number>();
    let checkpointed = 0;
    let killedAt = 0;
    let killedDuring = '';
    const args = ['--epochs', '40', '--batch', '32', '--slow-ms', '15', '--checkpoints', checkpoints];
    const run = await mpirun(2, fixture, args, {
      timeoutMs: 90_000,
      onLine(line) {
        const pid = /^PID rank (\d+) (\d+)/.exec(line);
        if (pid) pids.set(Number(pid[1]), Number(pid[2]));
        const saved = /^CHECKPOINT epoch (\d+)/.exec(line);
        if (saved) checkpointed = Number(saved[1]);
        // In the middle of the epoch after the second checkpoint: kill rank 1 outright.
        const batch = /^BATCH epoch (\d+) batch (\d+)/.exec(line);
        if (batch && killedAt === 0 && checkpointed >= 2 && Number(batch[2]) === 4) {
          killedAt = performance.now();
          killedDuring = line;
          process.kill(pids.get(1)!, 'SIGKILL');
        }
      },
    });
    expect(killedAt, `never killed: ${run.stdout.slice(-500)} ${run.stderr.slice(-2000)}`).toBeGreaterThan(0);
    const secondsToEnd = (performance.now() - killedAt) / 1000;
    console.log(
      `killed rank 1 at "${killedDuring}"; the job ended ${secondsToEnd.toFixed(2)} s later (exit ${run.code})`,
    );
    console.log(run.stderr.trim().split('\n').slice(-6).join('\n'));
    expect(run.signal).toBeNull(); // mpirun ended by itself, not by our timeout
    expect(run.code).not.toBe(0);
    expect(secondsToEnd).toBeLessThan(30);
    expect(`${run.stdout}\n${run.stderr}`).toMatch(/process rank 1 with PID \d+ on node \S+ exited on signal 9/);
    // Rank 0 was killed by mpirun too: nothing left running.
    expect(pids.size).toBe(2);
    for (const pid of pids.values())
      expect(await runningAfter(pid, 5_000), `rank process ${pid} still runs`).toBe(false);

    // The last checkpoint is intact: it loads, and a run on 2 ranks resumes from it to the end.
    registerBackend('cpu-reference', () => createCpuReferenceBackend());
    setBackend('cpu-reference');
    const checkpoint = await loadCheckpoint(checkpoints, 'last');
    expect(checkpoint.epoch).toBeGreaterThanOrEqual(2);
    expect(checkpoint.extra).toEqual({ distributed: { worldSize: 2, perRankBatch: 32 } });
    const out = resultDirectory();
    const resumeArgs = [
      '--epochs',
      String(checkpoint.epoch + 1),
      '--batch',
      '32',
      '--checkpoints',
      checkpoints,
      '--resume',
    ];
    const resumed = await mpirun(2, fixture, [...resumeArgs, '--out', out]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(rankFiles<{ rank: number; logs: unknown[] }>(out).map((r) => r.logs.length)).toEqual([1, 1]);
    expect((await loadCheckpoint(checkpoints, 'last')).epoch).toBe(checkpoint.epoch + 1);

    // One process cannot resume a 2-rank run: the error says so and how to resume.
    const alone = spawnSync(process.execPath, [fixture, ...resumeArgs], { encoding: 'utf8' });
    expect(alone.status).not.toBe(0);
    expect(alone.stderr).toMatch(
      /DistributedError: cannot resume .* on 1 rank: it was written by a run of 2 ranks.*mpirun -np 2/,
    );
  });
});
