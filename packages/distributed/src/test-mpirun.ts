// Test helper: runs a script under Open MPI's mpirun with the flags this kind of machine needs.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Flags for mpirun here: as root Open MPI refuses to start without --allow-run-as-root;
 * --oversubscribe lets tests start more ranks than cores; --bind-to none keeps ranks off fixed
 * cores on a shared machine. $MYELIN_MPIRUN_ARGS adds more (e.g. '--mca btl self,tcp').
 */
export function mpirunFlags(): string[] {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const extra = (process.env.MYELIN_MPIRUN_ARGS ?? '').split(/\s+/).filter(Boolean);
  return [...(root ? ['--allow-run-as-root'] : []), '--oversubscribe', '--bind-to', 'none', ...extra];
}

export function mpirunAvailable(): boolean {
  return spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).status === 0;
}

export interface MpirunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `mpirun -np <ranks> node <script> <args>`, killed after `timeoutMs`. */
export function mpirun(
  ranks: number,
  script: string,
  args: string[] = [],
  options: {
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    onLine?: (line: string) => void;
    nodeArgs?: string[];
    mpirunArgs?: string[];
  } = {},
): Promise<MpirunResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      'mpirun',
      [
        ...mpirunFlags(),
        ...(options.mpirunArgs ?? []),
        '-np',
        String(ranks),
        process.execPath,
        ...(options.nodeArgs ?? []),
        script,
        ...args,
      ],
      { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    let pending = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) options.onLine?.(line);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

/** A fresh temporary directory for a run's per-rank result files. */
export function resultDirectory(): string {
  return mkdtempSync(path.join(tmpdir(), 'myelin-distributed-'));
}

/** The `rank-<r>.json` files of a directory, parsed, ordered by rank. */
export function rankFiles<T extends { rank: number }>(directory: string): T[] {
  return readdirSync(directory)
    .filter((name) => /^rank-\d+\.json$/.test(name))
    .map((name) => JSON.parse(readFileSync(path.join(directory, name), 'utf8')) as T)
    .sort((a, b) => a.rank - b.rank);
}
