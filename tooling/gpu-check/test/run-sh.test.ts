// run.sh's orchestration on a carried folder of stand-ins: a shell script packed as node.xz
// answers for Node (it prints what the real runner, CLI and bench print), so that the unpacking,
// the steps, the count check against expected-counts.txt, the summary, the NOT RUN paths and the
// exit code are checked here in a second, without a GPU, Node or a real bundle.
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
    echo "      Tests  3 passed (3)"
    echo "RESULT conformance $3: PASS 3 passed, 0 failed, 0 skipped, 0 todo, 3 tests" ;;
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
      ...(unpackTo === null ? {} : { GPU_CHECK_UNPACK_TO: unpackTo }),
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
    const root = carriedFolder({ addon: true, expected: '# comment\ncuda 3\nwebgpu 4\n' });
    const { status, summary, files } = runSh(root);
    expect(files).toEqual([
      'bench.log',
      'conformance-cuda.log',
      'conformance-webgpu.log',
      'setup.log',
      'summary.txt',
      'train.log',
    ]);
    expect(summary).toContain('setup: PASS');
    expect(summary).toMatch(/conformance-cuda: PASS[^]*count: 3 tests, the number registered at prepare/);
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
    const green = runSh(carriedFolder({ addon: true, expected: 'cuda 3\nwebgpu 3\n' }));
    expect(green.status).toBe(0);
    const without = runSh(carriedFolder({ addon: false, expected: 'webgpu 3\n' }));
    expect(without.summary).toContain('conformance-cuda: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('train: NOT RUN: the CUDA addon was not carried');
    expect(without.summary).toContain('[args: --budget 90 --only webgpu]');
    expect(without.status).toBe(1);
  });

  // Never over / here: only a machine whose nvidia-smi works gets the device README's recipe.
  it.skipIf(onPath('nvidia-smi') || !onPath(DPKG_DEB))(
    'unpacks the loader debs into a folder of its own on a machine without a GPU',
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
      expect(existsSync(path.join(root, 'myelin-gpu-check/loader', marker))).toBe(true);
      expect(existsSync(path.join('/', marker))).toBe(false);
    },
  );
});
