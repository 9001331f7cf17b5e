// Test helper: run the CLI's main() in this process (no node start-up per case: ~20x faster
// than spawning dist/bin.js), with stdout and stderr captured. Use test-cli.ts's spawning
// helpers where a real process matters (signals, kills, exit handlers).
import { main } from './cli.js';
import type { CliResult } from './test-cli.js';

let queue: Promise<unknown> = Promise.resolve();

/** Runs `myelin ...args` in `cwd` in-process; calls are serialised (they share process.stdout and the cwd). */
export function runInProcess(args: readonly string[], cwd: string): Promise<CliResult> {
  const result = queue.then(() => runNow(args, cwd));
  queue = result.catch(() => undefined);
  return result;
}

async function runNow(args: readonly string[], cwd: string): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const writeOut = process.stdout.write.bind(process.stdout);
  const writeErr = process.stderr.write.bind(process.stderr);
  const warn = console.warn;
  const previous = process.cwd();
  process.stdout.write = ((chunk: string | Uint8Array) => (
    (stdout += String(chunk)),
    true
  )) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => (
    (stderr += String(chunk)),
    true
  )) as typeof process.stderr.write;
  console.warn = (...values: unknown[]) => void (stderr += `${values.map(String).join(' ')}\n`);
  process.chdir(cwd);
  try {
    const code = await main(['node', 'myelin', ...args]);
    return { code, signal: null, stdout, stderr };
  } finally {
    process.chdir(previous);
    process.stdout.write = writeOut;
    process.stderr.write = writeErr;
    console.warn = warn;
  }
}
