// The emulator's warp-synchronous check, checked: native/emulator/sync-selftest.cu, built with the
// plain emulator build, runs warp shuffles whose masks are right and two that CUDA leaves
// undefined (a lane named in the mask has exited; a lane named does not exist in a block of 48
// threads). The emulator must pass the first with the right sums and abort each of the others
// naming the call and the lanes, as compute-sanitizer's synccheck would on a GPU. The conformance
// runs (src/emulator.test.ts) pass this check on every kernel of the suite.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const selftest = fileURLToPath(new URL('../dist/native-emu/sync-selftest', import.meta.url));

function run(which: string) {
  const result = spawnSync(selftest, [which], { encoding: 'utf8' });
  return { code: result.status, signal: result.signal, out: result.stdout, err: result.stderr };
}

if (existsSync(selftest)) {
  describe("the emulator's warp-synchronous check", () => {
    it('passes shuffles whose masks name exactly the lanes that reach them, with the right sums', () => {
      const { code, out, err } = run('clean');
      expect(err).toBe('');
      expect(out.trim()).toBe('ok clean');
      expect(code).toBe(0);
    });
    it('aborts a full-mask shuffle after half the warp has returned, naming those lanes', () => {
      const { signal, err } = run('exited-lane');
      expect(err).toContain('names lanes 0xffff0000 of warp 0, which exited without reaching it');
      expect(signal).toBe('SIGABRT');
    });
    it('aborts a full-mask shuffle in a warp of 16 threads, naming the lane the block lacks', () => {
      const { signal, err } = run('missing-lane');
      expect(err).toContain(
        '__shfl_xor_sync in block (0, 0, 0), thread 32, names lane 16 (mask 0xffffffff), which the block does not have',
      );
      expect(signal).toBe('SIGABRT');
    });
    it('rejects an unknown case', () => {
      expect(run('no-such-case').code).toBe(2);
    });
  });
} else {
  describe("the emulator's warp-synchronous check", () => {
    it.skip('(skipped: dist/native-emu/sync-selftest is not built; see dist/native-emu/BUILD-FAILED.txt, or run `pnpm --filter @myelin/backend-cuda build:emulator`)', () => {});
  });
}
