// MYELIN_CPU_NO_CACHING=1 (read when the addon loads, hence child processes): each tensor gets
// exactly its bytes from the system and gives them back at its release, so that AddressSanitizer
// (test:asan's exact pass) sees an access one element past a tensor's end and a use after release.
// The default keeps the pool: size classes, reuse.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const script = `
const { createCpuBackend, probeSync } = await import(process.env.MYELIN_TEST_ENTRY);
const b = createCpuBackend({ threads: 1 });
const start = b.stats();
const x = b.fromData(new Float32Array([1, 2, 3]), [3], 'float32');
const y = b.binary('mul', x, x);
const view = b.reshape(y, [1, 3]);
const live = b.stats();
const values = Array.from(b.readSync(view));
for (const h of [x, y, view]) b.dispose(h);
const end = b.stats();
console.log(JSON.stringify({ memory: probeSync().details.memory, start, live, end, values }));
`;

function run(env: Record<string, string>) {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, MYELIN_CPU_NO_CACHING: '', MYELIN_TEST_ENTRY: entry, ...env },
  });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  return JSON.parse(result.stdout) as {
    memory: string;
    start: Record<string, number>;
    live: Record<string, number>;
    end: Record<string, number>;
    values: number[];
  };
}

describe('the buffer pool and MYELIN_CPU_NO_CACHING', () => {
  it('by default pools: a 12-byte tensor takes a 64-byte block, kept after its release', () => {
    const { memory, start, live, end, values } = run({});
    expect(memory).toMatch(/^pooled/);
    expect(values).toEqual([1, 4, 9]);
    expect(live.liveBytes! - start.liveBytes!).toBe(128); // two blocks of the smallest class
    expect(end.systemFrees! - start.systemFrees!).toBe(0);
    expect(end.pooledBuffers! - start.pooledBuffers!).toBe(2);
  });

  it('with MYELIN_CPU_NO_CACHING=1 each tensor has exactly its bytes, returned at its release', () => {
    const { memory, start, live, end, values } = run({ MYELIN_CPU_NO_CACHING: '1' });
    expect(memory).toMatch(/^exact/);
    expect(values).toEqual([1, 4, 9]);
    expect(live.liveBytes! - start.liveBytes!).toBe(24); // 3 float32 twice; the view shares y's
    expect(end.systemFrees! - start.systemFrees!).toBe(2);
    expect(end.pooledBuffers).toBe(0);
    expect(end.liveBytes).toBe(start.liveBytes);
  });
});
