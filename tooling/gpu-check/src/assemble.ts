// What goes into the carried folder (.gpu-check/ at the repository root) and how, as data that
// prepare.ts executes and the tests check. The layout is what the bundles resolve at run time:
//
//   .gpu-check/run.sh                          the one command on the GPU machine
//   .gpu-check/node.xz                         process.execPath, stripped, xz -9 (run.sh unpacks it)
//   .gpu-check/dist/conformance.mjs            the standalone conformance runner (esbuild bundle)
//   .gpu-check/dist/bench.mjs                  the benchmark (esbuild bundle)
//   .gpu-check/dist/torch-gpu.py               PyTorch's side, found beside bench.mjs
//   .gpu-check/dist/native/myelin_cuda.node    the CUDA addon (also named by MYELIN_CUDA_ADDON)
//   .gpu-check/node_modules/webgpu/...         the `webgpu` package, external to the bundles, which
//                                              `import('webgpu')` from dist/ finds by Node's lookup;
//                                              its dawn.node carried xz-compressed, unpacked in place
//   .gpu-check/MANIFEST.txt                    what was carried, from which commit
//   .gpu-check/expected-counts.txt             the tests each conformance file registers here
//   .gpu-check/cli/, .gpu-check/configs/       the `myelin` CLI bundle and its presets
//   .gpu-check/fashion-mnist/                  the first FASHION_MNIST_SUBSET training samples
// Files of PACK_FROM_BYTES or more (the bundles, the addon) travel as <name>.xz; run.sh unpacks
// them in place and removes them again at its end, and unpacks node.xz to a scratch folder.
// Debian's Vulkan loader and GL dispatch debs go to .gl/ beside it (the device README's folder).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** The CUDA addon, relative to the repository root. */
export const CUDA_ADDON = 'packages/backend-cuda/dist/native/myelin_cuda.node';

/** The device README's Vulkan/EGL loader packages (Debian, amd64), downloaded into .gl/. */
export const LOADER_DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];

/** The device tool's limit on the working tree plus carried paths. */
export const TREE_LIMIT_BYTES = 64 * 2 ** 20;

export type How = 'copy' | 'xz' | 'strip-xz';

export interface PlanEntry {
  /** Absolute source path. */
  from: string;
  /** Destination relative to the carried folder (for 'xz' and 'strip-xz' without the .xz suffix). */
  to: string;
  how: How;
}

export interface PlanInputs {
  repoRoot: string;
  /** The Node binary to carry (process.execPath). */
  nodeBinary: string;
  /** The directory of the `webgpu` npm package (resolved from backend-webgpu). */
  webgpuPackage: string;
  /** This package's dist/ (bundles) and src/ (run.sh, torch-gpu.py). */
  distDir: string;
  srcDir: string;
  /** Assemble without the CUDA addon (for checking the rest here before the engine exists). */
  withoutCuda?: boolean;
  platform?: string;
  arch?: string;
}

/** The entries to carry; throws one error listing every missing input (the CUDA addon by name). */
export function folderPlan(inputs: PlanInputs): PlanEntry[] {
  const { repoRoot, distDir, srcDir } = inputs;
  const platformDir = `${inputs.platform ?? process.platform}-${inputs.arch ?? process.arch}`;
  const plan: PlanEntry[] = [
    { from: path.join(srcDir, 'run.sh'), to: 'run.sh', how: 'copy' },
    { from: inputs.nodeBinary, to: 'node', how: 'strip-xz' },
    { from: path.join(distDir, 'conformance.mjs'), to: 'dist/conformance.mjs', how: 'copy' },
    { from: path.join(distDir, 'bench.mjs'), to: 'dist/bench.mjs', how: 'copy' },
    { from: path.join(distDir, 'torch-gpu.py'), to: 'dist/torch-gpu.py', how: 'copy' },
    // The CLI with its backends as packages, and its presets (see esbuild.config.mjs).
    { from: path.join(distDir, 'cli'), to: 'cli', how: 'copy' },
    { from: path.join(distDir, 'configs'), to: 'configs', how: 'copy' },
    {
      from: path.join(inputs.webgpuPackage, 'package.json'),
      to: 'node_modules/webgpu/package.json',
      how: 'copy',
    },
    { from: path.join(inputs.webgpuPackage, 'index.js'), to: 'node_modules/webgpu/index.js', how: 'copy' },
    {
      from: path.join(inputs.webgpuPackage, 'dist', platformDir, 'dawn.node'),
      to: `node_modules/webgpu/dist/${platformDir}/dawn.node`,
      how: 'xz',
    },
  ];
  if (!inputs.withoutCuda)
    plan.push({ from: path.join(repoRoot, CUDA_ADDON), to: 'dist/native/myelin_cuda.node', how: 'copy' });

  const problems = plan
    .filter((entry) => !existsSync(entry.from))
    .map((entry) => {
      const shown = path.relative(repoRoot, entry.from);
      if (shown === CUDA_ADDON)
        return (
          `${CUDA_ADDON} is missing: the native CUDA engine is not built. Build it with ` +
          '`pnpm --filter @myelin/backend-cuda build` (needs nvcc), then run `pnpm gpu-check:prepare` again ' +
          '(`--without-cuda` assembles the rest, for checking the folder here only).'
        );
      if (entry.from.startsWith(distDir))
        return `${shown} is missing: build the bundles (pnpm --filter @myelin/gpu-check build)`;
      return `${shown} is missing`;
    });
  if (problems.length > 0) throw new Error(`gpu-check prepare cannot assemble the folder:\n  ${problems.join('\n  ')}`);
  return plan.flatMap(packed);
}

/** Files from this size on travel xz-compressed (bundles and addons shrink 5 to 10 times). */
export const PACK_FROM_BYTES = 256 * 1024;

/**
 * A folder entry becomes one entry per file; a file of PACK_FROM_BYTES or more that is copied
 * travels xz-compressed instead (run.sh unpacks every `.xz` in place, and removes it again).
 */
function packed(entry: PlanEntry): PlanEntry[] {
  const stat = statSync(entry.from);
  if (stat.isDirectory())
    return readdirSync(entry.from)
      .sort()
      .flatMap((name) => packed({ ...entry, from: path.join(entry.from, name), to: `${entry.to}/${name}` }));
  return [entry.how === 'copy' && stat.size >= PACK_FROM_BYTES ? { ...entry, how: 'xz' } : entry];
}

/** The path a plan entry has in the carried folder (compressed entries end in .xz). */
export function carriedPath(entry: PlanEntry): string {
  return entry.how === 'copy' ? entry.to : `${entry.to}.xz`;
}

/** Runs a program to its end; with `output`, its stdout (a compressed file, tens of MB) goes there. */
function run(command: string, args: string[], options: { output?: string } = {}): void {
  const result = spawnSync(command, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 2 ** 30 });
  if (result.error) throw new Error(`${command} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr.toString().trim()}`);
  if (options.output !== undefined) writeFileSync(options.output, result.stdout);
}

/** Whether a program is on PATH. */
export function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${program}`], { stdio: 'ignore' }).status === 0;
}

/** `xz -9` (one thread), or Python's lzma module at the same preset where xz is not installed. */
function compressXz(from: string, to: string): void {
  if (onPath('xz')) run('xz', ['-9', '-T1', '-c', from], { output: to });
  else run('python3', ['-c', PYTHON_XZ, from, to]);
}

const PYTHON_XZ =
  'import lzma, shutil, sys; shutil.copyfileobj(open(sys.argv[1], "rb"), lzma.open(sys.argv[2], "wb", preset=9))';

/** Executes one entry into `folder`; `scratch` holds the stripped copy of a binary. */
export function place(entry: PlanEntry, folder: string, scratch: string): void {
  const target = path.join(folder, carriedPath(entry));
  mkdirSync(path.dirname(target), { recursive: true });
  switch (entry.how) {
    case 'copy':
      copyFileSync(entry.from, target);
      return;
    case 'xz':
      compressXz(entry.from, target);
      return;
    case 'strip-xz': {
      mkdirSync(scratch, { recursive: true });
      const stripped = path.join(scratch, path.basename(entry.to));
      run('strip', ['-o', stripped, entry.from]);
      compressXz(stripped, target);
      return;
    }
  }
}

/** How many Fashion-MNIST training samples the CLI step carries (its 60,000 do not fit: 26 MiB). */
export const FASHION_MNIST_SUBSET = 12_000;

/**
 * The first `count` records of an (uncompressed) IDX file, its header's count set to match:
 * `headerBytes` 16 for images (magic, count, rows, columns), 8 for labels (magic, count).
 */
export function idxSubset(idx: Buffer, count: number, headerBytes: 8 | 16): Buffer {
  const total = idx.readUInt32BE(4);
  if (count > total) throw new Error(`an IDX file of ${total} records has no ${count} to take`);
  const recordBytes = (idx.length - headerBytes) / total;
  const subset = Buffer.from(idx.subarray(0, headerBytes + count * recordBytes));
  subset.writeUInt32BE(count, 4);
  return subset;
}

/** Bytes of a file or, recursively, a folder (symbolic links not followed). */
export function sizeOf(target: string): number {
  const stat = statSync(target, { throwIfNoEntry: false });
  if (stat === undefined) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(target).reduce((sum, name) => sum + sizeOf(path.join(target, name)), 0);
}

/** Null when the tree and the carried paths fit the device tool's limit, else why not. */
export function budgetProblem(sizes: Record<string, number>, limit = TREE_LIMIT_BYTES): string | null {
  const total = Object.values(sizes).reduce((a, b) => a + b, 0);
  if (total <= limit) return null;
  const parts = Object.entries(sizes)
    .map(([name, bytes]) => `${name} ${mib(bytes)}`)
    .join(', ');
  return `${mib(total)} would travel (${parts}), over the device tool's ${mib(limit)}`;
}

export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** SHA-256 of a file, hex (for the manifest). */
export async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
