// A PyTorch process driven one JSON line at a time (torch-workloads.py, torch-sequence.py):
// the benchmarks interleave its runs with Myelin's so that both sides see the same machine.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { torchEnvironment } from './child-process.js';

/** The PyTorch worker `script` (beside this file's source) with `threads` threads: one JSON line per command. */
export class TorchWorker {
  private readonly process: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(script: string, threads: number) {
    const path = fileURLToPath(new URL(`../src/${script}`, import.meta.url));
    this.process = spawn('/usr/bin/python3', [path, String(threads)], { env: torchEnvironment() });
    this.process.stderr.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.lines = createInterface({ input: this.process.stdout });
    this.lines.on('line', (line) => this.pending.shift()?.(line));
    this.process.on('exit', (code) => {
      const reason = `PyTorch worker exited (${code}): ${this.stderr.trim().split('\n').pop() ?? ''}`;
      for (const reject of this.pending.splice(0)) reject(JSON.stringify({ error: reason }));
    });
  }

  private next(): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) =>
      this.pending.push((line) => {
        const value = JSON.parse(line) as Record<string, unknown>;
        if (typeof value.error === 'string') reject(new Error(value.error));
        else resolve(value);
      }),
    );
  }

  /** The first line: torch's version, threads and BLAS. */
  hello(): Promise<Record<string, unknown>> {
    return this.next();
  }

  async send(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const reply = this.next();
    this.process.stdin.write(`${JSON.stringify(command)}\n`);
    return reply;
  }

  close(): void {
    this.process.stdin.end();
  }
}
