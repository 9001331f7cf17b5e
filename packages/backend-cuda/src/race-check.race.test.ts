// The race check checked: native/emulator/race-selftest.cu, built by
// `build-emulator.mjs --race` with ThreadSanitizer, runs kernels with the races CUDA code gets
// wrong (a missing __syncthreads, shared memory overwritten while another thread reads it, two
// blocks adding into one element without an atomic) and the same kernels written correctly.
// The check must report each race and pass the correct kernels with the right results. Runs
// under test:race (vitest.config.ts leaves *.race.test.ts out of the plain run), beside the
// conformance suite on the same build.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const selftest = fileURLToPath(new URL('../dist/native-emu-tsan/race-selftest', import.meta.url));

function run(which: string) {
  // The executable links libtsan itself; its own options, not the ones Node runs under.
  const env = { ...process.env, LD_PRELOAD: '', TSAN_OPTIONS: 'halt_on_error=1:exitcode=66' };
  const result = spawnSync(selftest, [which], { encoding: 'utf8', env });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

if (existsSync(selftest)) {
  describe('the race check (ThreadSanitizer over the CPU emulator)', () => {
    it('passes correct kernels (barriers, warp shuffles, atomics across blocks) with the right results', () => {
      const { code, out, err } = run('clean');
      expect(err).not.toContain('ThreadSanitizer');
      expect(out.trim()).toBe('ok clean');
      expect(code).toBe(0);
    });
    it.each([
      ['missing-barrier', 'block_sums', 'a tree reduction without __syncthreads between its steps'],
      ['early-reuse', 'tile_sums', 'a shared tile overwritten before every thread has read it'],
      ['neighbour-blocks', 'grand_total', 'two blocks adding into one element without an atomic'],
    ])('reports %s in %s (%s)', (which, kernel) => {
      const { code, err } = run(which);
      expect(err).toContain('WARNING: ThreadSanitizer: data race');
      expect(err).toContain(`${kernel} `);
      expect(code).toBe(66);
    });
    it('rejects an unknown case', () => {
      expect(run('no-such-case').code).toBe(2);
    });
  });
} else {
  describe('the race check', () => {
    it.skip('(skipped: dist/native-emu-tsan/race-selftest is not built; `pnpm --filter @myelin/backend-cuda test:race` builds and runs it)', () => {});
  });
}
