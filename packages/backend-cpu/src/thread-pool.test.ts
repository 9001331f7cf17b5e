// The worker pool resized many times in a row (each backend made with another thread count
// resizes it), with work after each resize: a worker thread that started only after its pool was
// already being stopped waited forever for a job, and the next resize hung joining it (every
// time, within 400 resizes, before the fix). In a child process, so that a hang fails this test
// after its timeout instead of blocking the test runner.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const script = `
const { createCpuBackend } = await import(process.env.MYELIN_TEST_ENTRY);
for (let i = 0; i < 400; i++) {
  const b = createCpuBackend({ threads: 2 + (i % 3) });
  const x = b.fill([1, 192, 192], 1, 'float32');
  const y = b.matmul(x, x, false, false);
  const sum = b.reduce('sum', y, [0, 1, 2], false);
  const value = b.readSync(sum)[0]; // synchronous: no pause for new worker threads to start
  if (value !== 192 ** 3) throw new Error('resize ' + i + ': sum ' + value + ', expected ' + 192 ** 3);
  for (const h of [x, y, sum]) b.dispose(h);
}
console.log('ok');
`;

it('resizes its thread pool 400 times, with work between, and never hangs', () => {
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, MYELIN_TEST_ENTRY: entry },
  });
  expect(result.signal, `the child was stopped (a hang?): ${result.stderr}`).toBeNull();
  expect(result.stderr).toBe('');
  expect(result.stdout.trim()).toBe('ok');
  expect(result.status).toBe(0);
});
