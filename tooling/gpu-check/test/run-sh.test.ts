// run.sh's orchestration on a carried folder of stand-ins: a shell script packed as node.xz
// answers for Node (it prints what the real runner, CLI and bench print), so that the unpacking,
// the steps, the count check against expected-counts.txt, the summary, the NOT RUN paths and the
// exit code are checked here in a second, without a GPU, Node or a real bundle. A script stands in
// for compute-sanitizer likewise (it runs the program it is given after printing what the real
// tool prints, and reports errors where FAKE_SANITIZER_ERRORS names the tool).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { onPath, place } from '../src/assemble.js';

/** Builds the stand-in loader deb (dpkg's own tool; run.sh unpacks debs with dpkg -x). */
const DPKG_DEB = 'dpkg-deb';
const RUN_SH = fileURLToPath(new URL('../src/run.sh', import.meta.url));
const scratch = mkdtempSync(path.join(tmpdir(), 'gpu-check-run-sh-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Stands in for the carried Node: answers as the bundles would, per script. */
const FAKE_NODE = `#!/usr/bin/env bash
case "$1" in
  --version) echo v20.0.0-stand-in ;;
  */conformance.mjs)
    echo "✓ a test"
    echo "      Tests  3 passed (3)"
    echo "RESULT conformance $3: PASS 3 passed, 0 failed, 0 skipped, 0 todo, 3 tests [\${MYELIN_CUDA_NO_CACHING:-}\${MYELIN_CUDA_GEMM:-}]" ;;
  */bin.mjs)
    if [ "$2" = info ]; then echo "Backends: cuda usable"; exit 0; fi
    echo "  backend    cuda"
    echo "epoch 1/1  loss 0.69  accuracy 0.75  val_loss 0.54  val_accuracy 0.81"
    echo "  last = best (epoch 1)   0.45   0.82" ;;
  */bench.mjs)
    echo "cuda W1 784-128-10 batch 64: ratio 2.00x (target >= 1.5x: met) [args: \${*:2}]"
    echo "RESULT bench: PASS targets met 1 of 1" ;;
  *) echo "unexpected: $*"; exit 3 ;;
esac
`;

/** Stands in for compute-sanitizer: its options, then the program (the last four words). */
const FAKE_SANITIZER = `#!/usr/bin/env bash
tool=$2
echo "========= COMPUTE-SANITIZER"
"\${@: -4}"
rc=$?
case " \${FAKE_SANITIZER_ERRORS:-} " in
  *" $tool "*)
    echo "========= Invalid __global__ write of size 4 bytes"
    echo "========= ERROR SUMMARY: 1 error"
    exit 86 ;;
esac
case " \${FAKE_SANITIZER_UNSUPPORTED:-} " in
  *" $tool "*) echo "========= Error: Device not supported"; exit 1 ;;
esac
echo "========= ERROR SUMMARY: 0 errors"
exit $rc
`;

function carriedFolder(options: { addon: boolean; expected: string }): string {
  const root = mkdtempSync(path.join(scratch, 'repo-'));
  const folder = path.join(root, '.gpu-check');
  const file = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(folder, relative)), { recursive: true });
    writeFileSync(path.join(folder, relative), text);
  };
  file('run.sh', readFileSync(RUN_SH, 'utf8'));
  file('MANIFEST.txt', 'Myelin prepared GPU check\ncommit: test\nmade: test\ncuda addon: test\n');
  file('expected-counts.txt', options.expected);
  file('fashion-mnist/train-images-idx3-ubyte.gz', 'stand-in');
  if (options.addon) file('dist/native/myelin_cuda.node', 'stand-in');
  const node = path.join(root, 'node');
  writeFileSync(node, FAKE_NODE);
  chmodSync(node, 0o755);
  writeFileSync(path.join(root, 'compute-sanitizer'), FAKE_SANITIZER);
  chmodSync(path.join(root, 'compute-sanitizer'), 0o755);
  place({ from: node, to: 'node', how: 'xz' }, folder, path.join(root, 'scratch'));
  writeFileSync(path.join(root, 'dawn.node'), 'dawn stand-in');
  place(
    { from: path.join(root, 'dawn.node'), to: 'node_modules/webgpu/dist/linux-x64/dawn.node', how: 'xz' },
    folder,
    root,
  );
  return root;
}

function runSh(
  root: string,
  /** GPU_CHECK_UNPACK_TO; null leaves it unset. */
  unpackTo: string | null = path.join(root, 'loader'),
  env: Record<string, string> = {},
): { status: number | null; summary: string; files: string[] } {
  const out = path.join(root, 'out');
  const result = spawnSync('bash', ['.gpu-check/run.sh'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      ...process.env,
      OUT: out,
      TMPDIR: root,
      GPU_CHECK_WEBGPU_ADAPTER: 'opengles',
      GPU_CHECK_SANITIZER: path.join(root, 'compute-sanitizer'),
      ...(unpackTo === null ? {} : { GPU_CHECK_UNPACK_TO: unpackTo }),
      ...env,
    },
  });
  return {
    status: result.status,
    summary: existsSync(path.join(out, 'summary.txt'))
      ? readFileSync(path.join(out, 'summary.txt'), 'utf8')
      : result.stderr,
    files: existsSync(out) ? readdirSync(out).sort() : [],
  };
}

describe('run.sh on stand-ins', () => {
  it('runs every step, checks the counts against prepare, and fails on a count that differs', () => {
    const root = carriedFolder({ addon: true, expected: '# comment\ncuda 3\ncuda-engine 3\nwebgpu 4\n' });
    const { status, summary, files } = runSh(root);
    expect(files).toEqual([
      'bench.log',
      'conformance-cuda.log',
      'conformance-webgpu.log',
      'engine-cuda.log',
      'sanitize.log',
      'setup.log',
      'summary.txt',
      'train.log',
    ]);
    expect(summary).toContain('setup: PASS');
    expect(summary).toMatch(/conformance-cuda: PASS[^]*count: 3 tests, the number registered at prepare/);
    expect(summary).toMatch(/engine-cuda: PASS[^]*count: 3 tests, the number registered at prepare/);
    // Each tool over the cuda suite, with exact allocations and the built-in GEMM; only the
    // tools' RESULT lines reach the summary.
    expect(summary).toMatch(
      /sanitize: PASS[^]*RESULT sanitize memcheck: PASS no error over the whole cuda conformance suite \(1 tests\)/,
    );
    expect(summary).toContain('RESULT sanitize racecheck: PASS');
    expect(summary).toContain('RESULT sanitize initcheck: PASS');
    expect(summary).toContain('RESULT sanitize synccheck: PASS');
    expect(summary).not.toContain(
      'RESULT conformance cuda: PASS 3 passed, 0 failed, 0 skipped, 0 todo, 3 tests [1builtin]',
    );
    expect(readFileSync(path.join(root, 'out/sanitize.log'), 'utf8')).toContain('3 tests [1builtin]');
    expect(summary).toMatch(/conformance-webgpu: PASS[^]*FAIL count: 3 tests here, 4 registered at prepare/);
    expect(summary).toContain('train: PASS');
    expect(summary).toContain('    last = best (epoch 1)   0.45   0.82');
    expect(summary).toContain('bench: PASS');
    expect(summary).toContain('    cuda W1 784-128-10 batch 64: ratio 2.00x (target >= 1.5x: met) [args: --budget 90]');
    expect(status).toBe(1); // the webgpu count
    // Dawn, unpacked in the carried folder for the run, is gone again.
    expect(existsSync(path.join(root, '.gpu-check/node_modules/webgpu/dist/linux-x64/dawn.node'))).toBe(false);
    expect(existsSync(path.join(root, '.gpu-check/node_modules/webgpu/dist/linux-x64/dawn.node.xz'))).toBe(true);
  });

  it('passes when everything passes; without the addon the cuda steps are NOT RUN and the bench is webgpu only', () => {
    const green = runSh(carriedFolder({ addon: true, expected: 'cuda 3\ncuda-engine 3\nwebgpu 3\n' }));
    expect(green.status).toBe(0);
    const without = runSh(carriedFolder({ addon: false, expected: 'webgpu 3\n' }));
    expect(without.summary).toContain('conformance-cuda: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('engine-cuda: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('sanitize: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('train: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('[args: --budget 90 --only webgpu]');
    expect(without.status).toBe(1);
  });

  it('fails on a sanitizer error; a tool that cannot run on the GPU is UNAVAILABLE, not a failure', () => {
    const expected = 'cuda 3\ncuda-engine 3\nwebgpu 3\n';
    const found = runSh(carriedFolder({ addon: true, expected }), undefined, { FAKE_SANITIZER_ERRORS: 'racecheck' });
    expect(found.summary).toMatch(/sanitize: FAIL \(exit 1\)[^]*RESULT sanitize racecheck: FAIL errors reported/);
    expect(found.summary).toContain('RESULT sanitize memcheck: PASS');
    expect(found.status).toBe(1);
    const gvisor = runSh(carriedFolder({ addon: true, expected }), undefined, {
      FAKE_SANITIZER_UNSUPPORTED: 'memcheck racecheck initcheck synccheck',
    });
    expect(gvisor.summary).toMatch(/sanitize: PASS[^]*RESULT sanitize memcheck: UNAVAILABLE/);
    expect(gvisor.status).toBe(0);
    const missing = runSh(carriedFolder({ addon: true, expected }), undefined, {
      GPU_CHECK_SANITIZER: '',
      PATH: '/usr/bin:/bin',
    });
    if (!onPath('compute-sanitizer') && !existsSync('/usr/local/cuda/bin/compute-sanitizer'))
      expect(missing.summary).toContain('RESULT sanitize: UNAVAILABLE no compute-sanitizer');
  });

  // Never over / here: only a machine whose nvidia-smi works gets the device README's recipe.
  it.skipIf(onPath('nvidia-smi') || !onPath(DPKG_DEB))(
    'unpacks the loader debs into a folder of its own on a machine without a GPU (left packed where a loader is installed)',
    () => {
      const root = carriedFolder({ addon: true, expected: 'cuda 3\nwebgpu 3\n' });
      const marker = 'usr/lib/x86_64-linux-gnu/myelin-gpu-check-test-marker.txt';
      const tree = path.join(root, 'deb');
      mkdirSync(path.join(tree, 'DEBIAN'), { recursive: true });
      mkdirSync(path.dirname(path.join(tree, marker)), { recursive: true });
      writeFileSync(path.join(tree, marker), 'marker\n');
      writeFileSync(
        path.join(tree, 'DEBIAN/control'),
        'Package: gpu-check-test\nVersion: 1\nArchitecture: all\nMaintainer: test <test@example.invalid>\nDescription: test\n',
      );
      mkdirSync(path.join(root, '.gl'));
      const built = spawnSync(DPKG_DEB, ['--build', tree, path.join(root, '.gl/test.deb')], { encoding: 'utf8' });
      expect(built.status, built.stderr).toBe(0);
      const { status } = runSh(root, null);
      expect(status).toBe(0);
      // A machine with the Vulkan loader installed (a desktop, or here after a Debian package
      // pulled it in) keeps its own: the carried debs are then left packed.
      const installed = spawnSync('ldconfig', ['-p'], { encoding: 'utf8' }).stdout.includes('libvulkan.so.1');
      const setupLog = readFileSync(path.join(root, 'out/setup.log'), 'utf8');
      if (installed) expect(setupLog).toContain('libvulkan.so.1 is installed: the carried debs are not unpacked');
      else expect(setupLog).toMatch(/unpacked test\.deb into .*myelin-gpu-check\/loader/);
      expect(existsSync(path.join(root, 'myelin-gpu-check/loader', marker))).toBe(!installed);
      expect(existsSync(path.join('/', marker))).toBe(false);
    },
  );
});
