// `pnpm gpu-check:prepare` (after turbo has built the bundles and their dependencies): assembles
// .gpu-check/ at the repository root (layout in assemble.ts), downloads the device README's
// Vulkan/GL loader debs into .gl/ when they are not there yet, writes the CLI step's
// Fashion-MNIST subset, expected-counts.txt and MANIFEST.txt, and checks that the working tree
// plus both folders fit the device tool's 64 MiB.
//   --without-cuda   assemble without the CUDA addon (checking the rest here; run.sh then reports
//                    the cuda steps as not carried)
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FASHION_MNIST_DIRECTORY } from '@myelin/data/node';
import {
  CUDA_ADDON,
  FASHION_MNIST_SUBSET,
  idxSubset,
  LOADER_DEBS,
  budgetProblem,
  carriedPath,
  folderPlan,
  mib,
  place,
  sha256,
  sizeOf,
  type PlanEntry,
} from './assemble.js';

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = path.resolve(packageDir, '../..');
const folder = path.join(repoRoot, '.gpu-check');
const glDir = path.join(repoRoot, '.gl');
const withoutCuda = process.argv.includes('--without-cuda');
/** Debian's apt, for the device README's loader debs. */
const APT_GET = '/usr/bin/apt-get';

const git = (...args: string[]): string => execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();

function log(message: string): void {
  console.log(`gpu-check prepare: ${message}`);
}

/**
 * Compressed entries (Node: strip + xz -9, ~40 s; Dawn ~15 s) are kept in a cache under this
 * package's node_modules, keyed by their source's path, size and modification time.
 */
const cacheDir = path.join(packageDir, 'node_modules', '.cache', 'gpu-check');

function cacheFile(entry: PlanEntry): string {
  const stat = statSync(entry.from);
  const key = createHash('sha256').update(`${entry.how} ${entry.from} ${stat.size} ${stat.mtimeMs}`).digest('hex');
  return path.join(cacheDir, `${key.slice(0, 16)}-${path.basename(carriedPath(entry))}`);
}

function assembleFolder(plan: PlanEntry[]): void {
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  for (const entry of plan) {
    const started = Date.now();
    const target = path.join(folder, carriedPath(entry));
    let how: string = entry.how;
    if (entry.how === 'copy') place(entry, folder, path.join(folder, '.scratch'));
    else {
      const cached = cacheFile(entry);
      if (existsSync(cached)) how = `${entry.how}, from the cache`;
      else {
        const scratch = path.join(cacheDir, 'scratch');
        place({ ...entry, to: path.basename(entry.to) }, scratch, path.join(scratch, 'stripped'));
        renameSync(path.join(scratch, carriedPath({ ...entry, to: path.basename(entry.to) })), cached);
        rmSync(scratch, { recursive: true, force: true });
      }
      mkdirSync(path.dirname(target), { recursive: true });
      copyFileSync(cached, target);
    }
    log(`${carriedPath(entry)}: ${mib(sizeOf(target))} (${how}, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }
  rmSync(path.join(folder, '.scratch'), { recursive: true, force: true });
  // The cache keeps what this folder holds, nothing older.
  const used = new Set(plan.filter((entry) => entry.how !== 'copy').map((entry) => path.basename(cacheFile(entry))));
  for (const name of readdirSync(cacheDir)) if (!used.has(name)) rmSync(path.join(cacheDir, name), { recursive: true });
}

/** The device README's recipe: the loader debs in .gl/, which .git/info/exclude ignores. */
function ensureLoaderDebs(): void {
  mkdirSync(glDir, { recursive: true });
  const exclude = git('rev-parse', '--git-path', 'info/exclude');
  const excludePath = path.resolve(repoRoot, exclude);
  const excluded = existsSync(excludePath) ? readFileSync(excludePath, 'utf8') : '';
  if (!excluded.split('\n').includes('/.gl/')) {
    mkdirSync(path.dirname(excludePath), { recursive: true });
    appendFileSync(excludePath, `${excluded === '' || excluded.endsWith('\n') ? '' : '\n'}/.gl/\n`);
  }
  const present = readdirSync(glDir);
  const missing = LOADER_DEBS.filter(
    (name) => !present.some((file) => file.startsWith(`${name}_`) && file.endsWith('.deb')),
  );
  if (missing.length === 0) {
    log(`.gl/: ${LOADER_DEBS.length} loader debs already there`);
    return;
  }
  log(`.gl/: downloading ${missing.join(' ')} (amd64, as the device README does)`);
  // Lists of their own, so that this works on any machine whose apt reaches Debian's mirrors.
  const lists = '/tmp/amd64';
  const options = ['-oAPT::Architecture=amd64', '-oAPT::Architectures=amd64', `-oDir::State::Lists=${lists}`];
  const apt = (args: string[], cwd?: string) => spawnSync(APT_GET, [...options, ...args], { cwd, encoding: 'utf8' });
  let result = existsSync(path.join(lists, 'partial')) ? apt(['download', ...missing], glDir) : undefined;
  if (result === undefined || result.status !== 0) {
    mkdirSync(path.join(lists, 'partial'), { recursive: true });
    const update = apt(['update']);
    if (update.status !== 0)
      throw new Error(`apt-get update (amd64 lists in ${lists}) failed: ${update.stderr.trim()}`);
    result = apt(['download', ...missing], glDir);
  }
  if (result.status !== 0) throw new Error(`apt-get download ${missing.join(' ')} failed: ${result.stderr.trim()}`);
}

/** What travels to the device machine: tracked and untracked-not-ignored files, and the carried folders. */
function travellingSizes(): Record<string, number> {
  const files = [
    ...git('ls-files', '-z').split('\0'),
    ...git('ls-files', '-z', '--others', '--exclude-standard').split('\0'),
  ].filter(Boolean);
  const tree = files.reduce((sum, file) => {
    const stat = statSync(path.join(repoRoot, file), { throwIfNoEntry: false });
    return sum + (stat?.isFile() ? stat.size : 0);
  }, 0);
  return { 'working tree': tree, '.gpu-check': sizeOf(folder), '.gl': sizeOf(glDir) };
}

/** The CLI step's data: the first FASHION_MNIST_SUBSET training samples, as IDX files the CLI reads. */
function writeFashionMnistSubset(): void {
  const source = FASHION_MNIST_DIRECTORY;
  const files: [string, 8 | 16][] = [
    ['train-images-idx3-ubyte.gz', 16],
    ['train-labels-idx1-ubyte.gz', 8],
  ];
  if (!files.every(([name]) => existsSync(path.join(source, name)))) {
    log(
      `fashion-mnist/: not carried (no Fashion-MNIST in ${source}: apt-get install dataset-fashion-mnist); run.sh skips the CLI step`,
    );
    return;
  }
  const target = path.join(folder, 'fashion-mnist');
  mkdirSync(target, { recursive: true });
  for (const [name, header] of files) {
    const subset = idxSubset(gunzipSync(readFileSync(path.join(source, name))), FASHION_MNIST_SUBSET, header);
    writeFileSync(path.join(target, name), gzipSync(subset, { level: 9 }));
  }
  log(`fashion-mnist/: the first ${FASHION_MNIST_SUBSET} training samples, ${mib(sizeOf(target))}`);
}

/** backend-cuda's build of its addon for the CPU emulator (no GPU needed to load it). */
const CUDA_EMULATOR_ADDON = 'packages/backend-cuda/dist/native-emu/myelin_cuda.node';

/**
 * expected-counts.txt: how many tests each conformance file (and the CUDA engine's test file)
 * registers here, counted by the carried runner itself (`--list`), so that run.sh can show the
 * GPU run left nothing out. cuda's files register their tests only where the engine opens a
 * device: here that is the emulator build.
 */
function writeExpectedCounts(): void {
  const lines = ['# backend tests-registered-here (pnpm gpu-check:prepare, conformance.mjs --list)'];
  const emulator = path.join(repoRoot, CUDA_EMULATOR_ADDON);
  const onEmulator = existsSync(emulator) ? { MYELIN_CUDA_ADDON: emulator } : `no ${CUDA_EMULATOR_ADDON}`;
  const runs: [string, NodeJS.ProcessEnv | string][] = [
    ['cuda', onEmulator],
    ['cuda-engine', onEmulator],
    ['webgpu', {}],
  ];
  for (const [backend, env] of runs) {
    if (typeof env === 'string') {
      lines.push(`# ${backend}: not counted here (${env})`);
      continue;
    }
    const listed = spawnSync(
      process.execPath,
      [path.join(packageDir, 'dist/conformance.mjs'), '--backend', backend, '--list'],
      {
        env: { ...process.env, ...env },
        encoding: 'utf8',
        maxBuffer: 2 ** 28, // the suite's name carries the probe's details into every test name
      },
    );
    const count = /^(\d+) tests registered$/m.exec(listed.stdout)?.[1];
    if (listed.status !== 0 || count === undefined)
      throw new Error(
        `counting the ${backend} conformance tests failed (${listed.error?.message ?? `exit ${listed.status}`}): ` +
          `${(listed.stderr || listed.stdout || '').slice(-2000)}`,
      );
    lines.push(`${backend} ${count}`);
    log(`${backend} conformance: ${count} tests registered here`);
  }
  writeFileSync(path.join(folder, 'expected-counts.txt'), `${lines.join('\n')}\n`);
}

async function writeManifest(plan: PlanEntry[]): Promise<void> {
  const lines = [
    'Myelin prepared GPU check: the carried folder (made by `pnpm gpu-check:prepare`)',
    `commit: ${git('rev-parse', 'HEAD')}${git('status', '--porcelain', '--untracked-files=no') ? ' (with uncommitted changes)' : ''}`,
    `made: ${new Date().toISOString()} with node ${process.version} (${process.platform}-${process.arch})`,
    `cuda addon: ${withoutCuda ? `NOT CARRIED (--without-cuda; ${CUDA_ADDON})` : `${CUDA_ADDON}, sha256 ${await sha256(path.join(repoRoot, CUDA_ADDON))}`}`,
    '',
    ...plan.map((entry) => {
      const carried = path.join(folder, carriedPath(entry));
      return `${carriedPath(entry).padEnd(50)} ${mib(sizeOf(carried)).padStart(10)}  <- ${path.relative(repoRoot, entry.from).startsWith('..') ? entry.from : path.relative(repoRoot, entry.from)} (${entry.how})`;
    }),
    ...readdirSync(glDir).map(
      (name) => `${`../.gl/${name}`.padEnd(50)} ${mib(sizeOf(path.join(glDir, name))).padStart(10)}`,
    ),
  ];
  writeFileSync(path.join(folder, 'MANIFEST.txt'), `${lines.join('\n')}\n`);
}

async function main(): Promise<number> {
  let plan: PlanEntry[];
  try {
    plan = folderPlan({
      repoRoot,
      nodeBinary: process.execPath,
      webgpuPackage: path.dirname(
        createRequire(path.join(repoRoot, 'packages/backend-webgpu/package.json')).resolve('webgpu/package.json'),
      ),
      distDir: path.join(packageDir, 'dist'),
      srcDir: path.join(packageDir, 'src'),
      withoutCuda,
    });
  } catch (error) {
    console.error((error as Error).message);
    return 1;
  }
  assembleFolder(plan);
  ensureLoaderDebs();
  writeFashionMnistSubset();
  writeExpectedCounts();
  await writeManifest(plan);
  const sizes = travellingSizes();
  const problem = budgetProblem(sizes);
  log(
    `travels: ${Object.entries(sizes)
      .map(([name, bytes]) => `${name} ${mib(bytes)}`)
      .join(', ')}`,
  );
  if (problem !== null) {
    console.error(`gpu-check prepare: ${problem}`);
    return 1;
  }
  if (withoutCuda) log(`assembled WITHOUT the CUDA addon (${CUDA_ADDON}): not for the GPU run`);
  log('ready. On the GPU machine (device tool `run`, carry [".gpu-check", ".gl"]): bash .gpu-check/run.sh');
  return 0;
}

process.exitCode = await main();
