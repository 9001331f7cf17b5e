// The carried folder's plan and placement on small stand-ins (no 22 MB archives): what is missing
// is named, compressed entries unpack to their source, and the bundles' run-time lookups (the
// `webgpu` package, torch-gpu.py, the CUDA addon) resolve inside the assembled folder.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CUDA_ADDON,
  budgetProblem,
  carriedPath,
  folderPlan,
  idxSubset,
  onPath,
  place,
  sizeOf,
  type PlanInputs,
} from '../src/assemble.js';

/** Unpacks as the device machine's run.sh does: xz, else Python's lzma module. */
const PYTHON_UNXZ = 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), sys.stdout.buffer)';
const XZ = 'xz';
const unxz = (file: string) =>
  onPath(XZ) ? spawnSync(XZ, ['-dc', file]) : spawnSync('python3', ['-c', PYTHON_UNXZ, file]);

const scratch = mkdtempSync(path.join(tmpdir(), 'gpu-check-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A fake repository with every input of the plan, the CUDA addon optional. */
function fakeInputs(withAddon: boolean): PlanInputs {
  const root = mkdtempSync(path.join(scratch, 'repo-'));
  const file = (relative: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    writeFileSync(path.join(root, relative), text);
  };
  file('tooling/gpu-check/src/run.sh', '#!/usr/bin/env bash\n');
  file('tooling/gpu-check/dist/torch-gpu.py', 'import torch\n');
  file('tooling/gpu-check/dist/conformance.mjs', 'export {};\n');
  file('tooling/gpu-check/dist/bench.mjs', `export {};\n${'// a bundle\n'.repeat(30_000)}`); // over PACK_FROM_BYTES
  file('tooling/gpu-check/dist/cli/dist/bin.mjs', 'export {};\n');
  file('tooling/gpu-check/dist/cli/node_modules/@myelin/backend-cuda/package.json', '{}\n');
  file('tooling/gpu-check/dist/configs/fashion-mnist.json', '{}\n');
  file('webgpu/package.json', JSON.stringify({ name: 'webgpu', main: 'index.js', type: 'module' }));
  file('webgpu/index.js', 'export const create = null;\n');
  file('webgpu/dist/linux-x64/dawn.node', 'dawn '.repeat(1000));
  if (withAddon) file(CUDA_ADDON, 'addon');
  return {
    repoRoot: root,
    nodeBinary: '/bin/true', // a small ELF file stands in for node: strip and xz run for real
    webgpuPackage: path.join(root, 'webgpu'),
    distDir: path.join(root, 'tooling/gpu-check/dist'),
    srcDir: path.join(root, 'tooling/gpu-check/src'),
    platform: 'linux',
    arch: 'x64',
  };
}

describe('gpu-check folder assembly', () => {
  it('fails naming the CUDA addon and how to build it when the engine is not built', () => {
    expect(() => folderPlan(fakeInputs(false))).toThrow(
      `${CUDA_ADDON} is missing: the native CUDA engine is not built. Build it with \`pnpm --filter @myelin/backend-cuda build\``,
    );
    const plan = folderPlan({ ...fakeInputs(false), withoutCuda: true });
    expect(plan.map((entry) => entry.to)).not.toContain('dist/native/myelin_cuda.node');
  });

  it('names every missing input at once', () => {
    const inputs = fakeInputs(true);
    rmSync(path.join(inputs.distDir, 'bench.mjs'));
    rmSync(path.join(inputs.webgpuPackage, 'dist/linux-x64/dawn.node'));
    expect(() => folderPlan(inputs)).toThrow(
      /bench\.mjs is missing: build the bundles[^]*webgpu\/dist\/linux-x64\/dawn\.node is missing/,
    );
  });

  it('places every entry where the bundles look for it; xz entries unpack to their source', () => {
    const inputs = fakeInputs(true);
    const plan = folderPlan(inputs);
    const folder = path.join(inputs.repoRoot, '.gpu-check');
    for (const entry of plan) place(entry, folder, path.join(folder, '.scratch'));
    for (const entry of plan) expect(sizeOf(path.join(folder, carriedPath(entry)))).toBeGreaterThan(0);

    // Big files travel compressed; a folder becomes its files.
    expect(plan.filter((entry) => entry.how !== 'copy').map(carriedPath)).toEqual([
      'node.xz',
      'dist/bench.mjs.xz',
      'node_modules/webgpu/dist/linux-x64/dawn.node.xz',
    ]);
    expect(plan.map((entry) => entry.to)).toContain('cli/node_modules/@myelin/backend-cuda/package.json');
    const bench = plan.find((entry) => entry.to === 'dist/bench.mjs')!;
    expect(unxz(path.join(folder, carriedPath(bench))).stdout.toString()).toBe(readFileSync(bench.from, 'utf8'));
    const dawn = plan.find((entry) => entry.to.endsWith('dawn.node'))!;
    const unpacked = unxz(path.join(folder, carriedPath(dawn)));
    expect(unpacked.stdout.toString()).toBe(readFileSync(dawn.from, 'utf8'));
    const node = unxz(path.join(folder, 'node.xz'));
    expect(node.status).toBe(0);
    expect(node.stdout.subarray(0, 4).toString('latin1')).toBe('\x7fELF');

    // Node's lookup from the bundle: `import('webgpu')`, and the files beside the bundle.
    const benchBundle = path.join(folder, 'dist/bench.mjs');
    expect(createRequire(benchBundle).resolve('webgpu/package.json')).toBe(
      path.join(folder, 'node_modules/webgpu/package.json'),
    );
    expect(sizeOf(new URL('./torch-gpu.py', `file://${benchBundle}`).pathname)).toBeGreaterThan(0);
    expect(sizeOf(path.join(folder, 'dist/native/myelin_cuda.node'))).toBe(5);
    // The CLI reads its presets at ../../configs from its bundle, as from apps/cli/src/config/.
    const cli = path.join(folder, 'cli/dist/bin.mjs');
    expect(sizeOf(new URL('../../configs/fashion-mnist.json', `file://${cli}`).pathname)).toBeGreaterThan(0);
    expect(createRequire(cli).resolve('@myelin/backend-cuda/package.json')).toBe(
      path.join(folder, 'cli/node_modules/@myelin/backend-cuda/package.json'),
    );
  });

  it('takes the first records of an IDX file and sets its count', () => {
    const images = Buffer.alloc(16 + 3 * 4);
    images.writeUInt32BE(0x803, 0);
    images.writeUInt32BE(3, 4);
    images.writeUInt32BE(2, 8);
    images.writeUInt32BE(2, 12);
    images.set([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3], 16);
    const two = idxSubset(images, 2, 16);
    expect(two.readUInt32BE(4)).toBe(2);
    expect([...two.subarray(16)]).toEqual([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(images.readUInt32BE(4)).toBe(3);
    const labels = Buffer.from([0, 0, 8, 1, 0, 0, 0, 3, 7, 8, 9]);
    expect([...idxSubset(labels, 1, 8)]).toEqual([0, 0, 8, 1, 0, 0, 0, 1, 7]);
    expect(() => idxSubset(labels, 4, 8)).toThrow('an IDX file of 3 records has no 4 to take');
  });

  it('says when the working tree and the carried folders would pass the device limit', () => {
    expect(budgetProblem({ tree: 3 * 2 ** 20, '.gpu-check': 40 * 2 ** 20 })).toBeNull();
    expect(budgetProblem({ tree: 3 * 2 ** 20, '.gpu-check': 62 * 2 ** 20 })).toBe(
      "65.0 MiB would travel (tree 3.0 MiB, .gpu-check 62.0 MiB), over the device tool's 64.0 MiB",
    );
  });
});
