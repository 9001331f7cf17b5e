// Where a training step spends its time, per backend kernel: a wrapper that times every call of
// a synchronous backend (cpu's kernels finish before they return) and a table of the totals.
import type { Backend } from '@myelin/core';

const totals = new Map<string, { calls: number; nanoseconds: bigint }>();

function timed<F extends (...args: never[]) => unknown>(name: string, kernel: F): F {
  return function (this: unknown, ...args: Parameters<F>) {
    const start = process.hrtime.bigint();
    try {
      return kernel.apply(this, args);
    } finally {
      const entry = totals.get(name) ?? { calls: 0, nanoseconds: 0n };
      entry.calls++;
      entry.nanoseconds += process.hrtime.bigint() - start;
      totals.set(name, entry);
    }
  } as F;
}

/** `backend` with every kernel (fused ones as `fused.name`) timed into the profile. */
export function profiled<B extends Backend>(backend: B): B {
  const wrapped: Record<string, unknown> = { ...(backend as object) };
  for (const [name, value] of Object.entries(backend))
    if (typeof value === 'function' && name !== 'liveHandles') wrapped[name] = timed(name, value as () => unknown);
  if (backend.fused !== undefined) {
    const fused: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(backend.fused))
      fused[name] = typeof value === 'function' ? timed(`fused.${name}`, value as () => unknown) : value;
    wrapped['fused'] = fused;
  }
  return wrapped as B;
}

/** Forgets what was timed so far (after a warm-up). */
export function resetProfile(): void {
  totals.clear();
}

/** Prints the kernels by time per step over `steps` steps, the largest first. */
export function printProfile(steps: number): void {
  const rows = [...totals.entries()].sort((a, b) => Number(b[1].nanoseconds - a[1].nanoseconds));
  const all = rows.reduce((sum, [, entry]) => sum + Number(entry.nanoseconds), 0);
  console.log(`  kernels: ${(all / 1e6 / steps).toFixed(2)} ms per step in all`);
  for (const [name, entry] of rows.slice(0, 25)) {
    const ms = Number(entry.nanoseconds) / 1e6 / steps;
    console.log(
      `    ${name.padEnd(28)} ${ms.toFixed(3).padStart(8)} ms/step ${(entry.calls / steps).toFixed(0).padStart(5)} calls/step ${((100 * Number(entry.nanoseconds)) / all).toFixed(1).padStart(5)}%`,
    );
  }
}
