// What the benchmarks that drive other programs share: running one to its end, reading a
// `--name value` flag, and the environment Debian's PyTorch needs for the anchor runs.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The value after `--name` on the command line, if given. */
export function flagValue(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

/** Runs `command` to its end; resolves with its stdout, rejects with its output when it fails. */
export function runToEnd(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${err || out}`)),
    );
  });
}

/**
 * The environment for Debian's python3-torch: it links the generic libblas.so.3, so point it at
 * OpenBLAS's OpenMP build, the variant the issues name (the pthread one oversubscribes cores
 * when torch runs threads).
 */
export function torchEnvironment(): NodeJS.ProcessEnv {
  const openmp = '/usr/lib/x86_64-linux-gnu/openblas-openmp';
  return existsSync(openmp)
    ? { ...process.env, LD_LIBRARY_PATH: [openmp, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') }
    : process.env;
}
