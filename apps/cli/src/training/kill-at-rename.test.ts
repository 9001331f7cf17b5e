// A checkpoint is one commit: whatever rename a SIGKILL lands on, the run resumes from the old
// checkpoint or the new one, never neither. strace's fault injection kills the CLI at its N-th
// rename, for every N of a short run (strace is a test prerequisite: tooling/setup/system-packages.txt).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, removeDirectory, runCli, temporaryDirectory, type CliResult } from '../test-cli.js';

const STRACE = '/usr/bin/strace';
if (!existsSync(STRACE)) throw new Error(`${STRACE} is missing: install strace (tooling/setup/system-packages.txt)`);
const probe = spawnSync(STRACE, ['-f', '-qq', '-o', '/dev/null', 'true'], { encoding: 'utf8' });
if (probe.status !== 0)
  throw new Error(
    `strace cannot trace here (a container needs ptrace, e.g. --cap-add SYS_PTRACE): ${probe.stderr.trim()}`,
  );

const cwd = temporaryDirectory('kill');
afterAll(() => removeDirectory(cwd));

const TRAIN = ['train', '--preset', 'xor', '--checkpoint-every', '1', '--no-progress'];
const runs = path.join(cwd, 'runs');
const bytes = (run: string, file: string): Buffer => readFileSync(path.join(runs, run, file));
// libuv's fs calls on one thread, so strace's per-thread call counter counts every rename of the process.
const env = { ...process.env, UV_THREADPOOL_SIZE: '1' };

/** `node dist/bin.js ...args` under strace; kills it with SIGKILL at rename `killAt`, or logs the renames to `log`. */
function traced(
  args: readonly string[],
  options: { killAt: number; syscall: string } | { log: string },
): Promise<CliResult> {
  const strace = ['-f', '-qq', '-e', 'trace=rename,renameat,renameat2'];
  if ('log' in options) strace.push('-o', options.log);
  else strace.push('-o', '/dev/null', '-e', `inject=${options.syscall}:signal=SIGKILL:when=${options.killAt}`);
  const child = spawn(STRACE, [...strace, process.execPath, BIN, ...args], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The renames of a traced run, and the syscall node makes them with (rename on x86-64, renameat2 elsewhere). */
function renamesIn(log: string): { count: number; syscall: string } {
  const calls = readFileSync(log, 'utf8')
    .split('\n')
    .map((line) => /^\d+\s+(rename\w*)\(/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  const syscalls = [...new Set(calls)];
  if (syscalls.length !== 1)
    throw new Error(`expected one rename syscall in ${log}, got ${syscalls.join(', ') || 'none'}`);
  return { count: calls.length, syscall: syscalls[0]! };
}

async function inPool<T>(items: readonly T[], size: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: size }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
    }),
  );
}

/** The bytes of a checkpoint's tensor file that its manifest names: staged while that exists, else the final name. */
function committed(run: string, checkpoint: string, part: 'model' | 'optimizer'): Buffer {
  const info = (
    JSON.parse(bytes(run, `${checkpoint}.json`).toString('utf8')) as Record<string, { file: Record<string, string> }>
  )[part]!.file;
  const staged = info.staged !== undefined && existsSync(path.join(runs, run, info.staged));
  return bytes(run, staged ? info.staged! : info.name!);
}

/** The resume trained to epoch 3 (or found the kill came after epoch 3's commit) with the straight run's weights. */
function expectResumedToTheEnd(run: string, result: CliResult): void {
  if (result.code === 2 && /already finished 3 of 3 epochs/.test(result.stderr)) {
    for (const [checkpoint, part] of [
      ['last', 'model'],
      ['last', 'optimizer'],
      ['best', 'model'],
    ] as const)
      expect(
        committed(run, checkpoint, part).equals(committed('straight', checkpoint, part)),
        `${run}: ${checkpoint} ${part}`,
      ).toBe(true);
    return;
  }
  expect(result.stderr, `${run}: ${result.stdout}`).toBe('');
  expect(result.code, run).toBe(0);
  for (const file of ['last.safetensors', 'last.optimizer.safetensors', 'best.safetensors'])
    expect(bytes(run, file).equals(bytes('straight', file)), `${run}: ${file}`).toBe(true);
  expect(
    readdirSync(path.join(runs, run)).filter((f) => f.endsWith('.tmp')),
    run,
  ).toEqual([]);
}

describe('a SIGKILL at any rename of a run', () => {
  beforeAll(async () => {
    for (const [name, epochs] of [
      ['base', '1'],
      ['straight', '3'],
    ] as const) {
      const result = await runCli([...TRAIN, '--epochs', epochs, '--name', name], cwd);
      expect(result.code, result.stderr).toBe(0);
    }
  });

  it('leaves a run that resumes from the old or the new checkpoint, to the same weights', async () => {
    // A run resumed from epoch 1 to 3 saves 'best' and 'last' twice each over existing checkpoints.
    cpSync(path.join(runs, 'base'), path.join(runs, 'counted'), { recursive: true });
    const log = path.join(cwd, 'renames.log');
    const counted = await traced(['train', '--resume', 'runs/counted', '--epochs', '3', '--no-progress'], { log });
    expectResumedToTheEnd('counted', counted);
    const { count, syscall } = renamesIn(log);
    expect(count).toBeGreaterThanOrEqual(12); // config, metrics, 2 x 3 per checkpoint save, plots

    const killAt = Array.from({ length: count }, (_, i) => i + 1);
    await inPool(killAt, 2, async (n) => {
      const run = `killed-${n}`;
      cpSync(path.join(runs, 'base'), path.join(runs, run), { recursive: true });
      const args = ['train', '--resume', `runs/${run}`, '--epochs', '3', '--no-progress'];
      const killed = await traced(args, { killAt: n, syscall });
      expect(killed.code === 137 || killed.signal === 'SIGKILL', `${run}: ${killed.stderr}`).toBe(true);
      expectResumedToTheEnd(run, await runCli(args, cwd));
    });
  }, 120_000);

  it('in a new run: resumes whenever a last checkpoint was committed, and says none was otherwise', async () => {
    const log = path.join(cwd, 'fresh.log');
    // One epoch: the first saves of 'best' and 'last' into an empty run directory.
    expect((await traced([...TRAIN, '--epochs', '1', '--name', 'fresh'], { log })).code).toBe(0);
    const { count, syscall } = renamesIn(log);
    const killAt = Array.from({ length: count }, (_, i) => i + 1);
    await inPool(killAt, 2, async (n) => {
      const run = `fresh-${n}`;
      const killed = await traced([...TRAIN, '--epochs', '1', '--name', run], { killAt: n, syscall });
      expect(killed.code === 137 || killed.signal === 'SIGKILL', `${run}: ${killed.stderr}`).toBe(true);
      const committed = existsSync(path.join(runs, run, 'last.json'));
      const resumed = await runCli(['train', '--resume', `runs/${run}`, '--epochs', '3', '--no-progress'], cwd);
      if (committed) expectResumedToTheEnd(run, resumed);
      else {
        expect(resumed.code, `${run}: ${resumed.stderr}`).toBe(2);
        expect(resumed.stderr).toMatch(
          /allowed: a run directory with a 'last' checkpoint|allowed: a run directory made by myelin train/,
        );
      }
    });
  }, 120_000);
});
