#!/usr/bin/env node
// Builds the CUDA addon with plain compiler calls (no node-gyp, nothing downloaded):
//   node scripts/build-native.mjs              -> dist/native/myelin_cuda.node
//   node scripts/build-native.mjs --sanitize   -> dist/native-asan/myelin_cuda.node (host code with ASan + UBSan)
// (MYELIN_CUDA_SANITIZE=1 also selects the sanitizer build.) nvcc compiles the kernels (.cu) to
// SASS for sm_80, sm_90 and sm_100 plus compute_90 PTX (which newer GPUs JIT-compile); g++
// compiles the host glue (.cc); the addon links cudart statically, so at run time it needs only
// the driver's libcuda.so.1. Objects are cached in build/ by a hash of their inputs and flags.
// Without nvcc (or g++) it prints a warning, writes BUILD-FAILED.txt with the reason and exits
// 0, so the TypeScript part still builds; the backend then reports itself unusable with it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import {
  CXX,
  GLUE_INCLUDE,
  GLUE_SOURCES,
  SANITIZE_FLAGS,
  checkHostToolchain,
  glueFiles,
  packageRoot,
  reportBuilt,
  runPool,
  runTool,
  sanitizeRequested,
  skipBuildWith,
} from '@myelin/native-build';

const root = packageRoot(import.meta.url);
const sanitize = sanitizeRequested('MYELIN_CUDA_SANITIZE');
const outDir = path.join(root, 'dist', sanitize ? 'native-asan' : 'native');
const objDir = path.join(root, 'build', sanitize ? 'obj-asan' : 'obj');
// The kernels are compiled alike for both builds (their host stubs are not instrumented): one cache.
const kernelObjDir = path.join(root, 'build', 'obj-cu');
const cxx = CXX;
const started = Date.now();
// CI runs this on 2 shared cores: at most 2 compilers at once.
const jobs = Math.max(1, Math.min(2, Number(process.env.MYELIN_BUILD_JOBS) || availableParallelism()));

const packageName = '@myelin/backend-cuda';
const fail = skipBuildWith({
  packageName,
  outDir,
  addon: 'myelin_cuda.node',
  advice:
    'the TypeScript part builds anyway; the native engine reports itself unusable (install the CUDA 13 toolkit, nvcc, to build it).',
});

function findNvcc() {
  const candidates = [
    process.env.NVCC,
    process.env.CUDA_HOME && path.join(process.env.CUDA_HOME, 'bin', 'nvcc'),
    process.env.CUDA_PATH && path.join(process.env.CUDA_PATH, 'bin', 'nvcc'),
    '/usr/local/cuda/bin/nvcc',
  ].filter(Boolean);
  for (const candidate of candidates) if (existsSync(candidate)) return candidate;
  const which = spawnSync('sh', ['-c', 'command -v nvcc'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : null;
}

const nvcc = findNvcc();
if (nvcc === null) fail('nvcc was not found (set NVCC or CUDA_HOME, or install the CUDA toolkit in /usr/local/cuda)');
const napi = checkHostToolchain(fail);
const nvccVersion = spawnSync(nvcc, ['--version'], { encoding: 'utf8' });
if (nvccVersion.status !== 0) fail(`${nvcc} did not run`);
const release = /release (\d+)\.(\d+)/.exec(nvccVersion.stdout);
if (release === null || Number(release[1]) < 13) {
  fail(
    `${nvcc} is CUDA ${release ? `${release[1]}.${release[2]}` : 'of an unknown version'}; the addon needs CUDA 13 or newer`,
  );
}
const cudaRoot = path.resolve(path.dirname(nvcc), '..');
const cudaInclude = path.join(cudaRoot, 'include');
const cudart = [
  path.join(cudaRoot, 'lib64', 'libcudart_static.a'),
  path.join(cudaRoot, 'targets', 'x86_64-linux', 'lib', 'libcudart_static.a'),
  path.join(cudaRoot, 'targets', 'sbsa-linux', 'lib', 'libcudart_static.a'),
].find((file) => existsSync(file));
if (cudart === undefined) fail(`libcudart_static.a was not found under ${cudaRoot}`);

const hostFlags = [
  '-std=c++17',
  '-fPIC',
  '-fvisibility=hidden',
  '-Wall',
  '-Wno-unused-function',
  '-DNAPI_VERSION=8',
  `-I${napi}`,
  `-I${cudaInclude}`,
  `-I${GLUE_INCLUDE}`,
  ...(sanitize ? SANITIZE_FLAGS : ['-O2']),
];
const gencode = [
  '-gencode=arch=compute_80,code=sm_80',
  '-gencode=arch=compute_90,code=sm_90',
  '-gencode=arch=compute_100,code=sm_100',
  '-gencode=arch=compute_90,code=compute_90',
];
// --fmad=false: a*b+c stays two roundings (the elementwise and optimizer kernels match
// backend-cpu's and cpu-reference's results); the GEMM uses explicit fma().
// The kernels' host stubs are not instrumented (only the .cc glue is, in the sanitizer build).
// ptxas fails the build on a register spill or any local memory (a stack frame): each costs
// memory traffic per element that no test here can see (the emulator has no timing); every
// kernel fits in registers for each architecture.
const deviceFlags = [
  '-std=c++17',
  '-O3',
  '--fmad=false',
  '-Xptxas=--warn-on-spills,--warn-on-local-memory-usage,--warning-as-error',
  '-Xcompiler',
  '-fPIC,-fvisibility=hidden',
  `-I${GLUE_INCLUDE}`,
  ...gencode,
];

// The exception: sin, cos and tan (trig.cu) keep CUDA's Payne-Hanek table for huge arguments in a
// stack frame that the usual arguments never touch; spills still fail the build there.
const trigFlags = deviceFlags.map((flag) =>
  flag.startsWith('-Xptxas=') ? '-Xptxas=--warn-on-spills,--warning-as-error' : flag,
);

const units = [
  ...['elementwise', 'reduce', 'rows', 'nn', 'gemm', 'sort'].map((name) => ({
    src: `native/kernels/${name}.cu`,
    tool: nvcc,
    flags: deviceFlags,
  })),
  { src: 'native/kernels/trig.cu', tool: nvcc, flags: trigFlags },
  ...[
    'native/runtime/allocator.cc',
    'native/runtime/cublas.cc',
    'native/runtime/device.cc',
    'native/glue/state.cc',
    'native/glue/ops-storage.cc',
    'native/glue/ops-shape.cc',
    'native/glue/ops-linalg.cc',
    'native/glue/ops-conv.cc',
    'native/glue/ops-rows.cc',
    'native/glue/addon.cc',
    // The N-API glue shared with backend-cpu (tooling/native-build).
    ...GLUE_SOURCES,
  ].map((src) => ({ src, tool: cxx, flags: hostFlags })),
];

// Every kernel and glue source must be built: the link does not resolve the addon's symbols
// (Node's are only there at load), so a missing unit would link and then kill the process at its
// first call (sort.cu was missed once: the emulator build, which lists the directories, had it).
for (const dir of ['kernels', 'runtime', 'glue']) {
  const missing = readdirSync(path.join(root, 'native', dir))
    .filter((f) => f.endsWith('.cu') || f.endsWith('.cc'))
    .map((f) => `native/${dir}/${f}`)
    .filter((src) => !units.some((unit) => unit.src === src));
  if (missing.length > 0) {
    console.error(
      `build-native: ${missing.join(', ')} not in the build's list of units; add them to scripts/build-native.mjs`,
    );
    process.exit(1);
  }
}

// Content-hash cache: an object is reused when its source, every header, the flags and the
// compiler are unchanged.
const headerText = readdirSync(path.join(root, 'native'), { recursive: true })
  .map(String)
  // native/emulator/ belongs to the emulator build (scripts/build-emulator.mjs), not this one.
  .filter((f) => (f.endsWith('.h') || f.endsWith('.cuh')) && !f.startsWith('emulator/'))
  .sort()
  .map((f) => `${f}\n${readFileSync(path.join(root, 'native', f), 'utf8')}`)
  .concat(glueFiles().map((f) => `${path.basename(f)}\n${readFileSync(f, 'utf8')}`))
  .join('\n');
const cxxVersion = spawnSync(cxx, ['--version'], { encoding: 'utf8' }).stdout ?? '';
for (const unit of units) {
  const hash = createHash('sha256')
    .update(readFileSync(path.resolve(root, unit.src)))
    .update(headerText)
    .update(unit.flags.join(' '))
    .update(unit.tool === nvcc ? nvccVersion.stdout : cxxVersion)
    .digest('hex')
    .slice(0, 16);
  unit.base = path.basename(unit.src).replace(/\.(cu|cc)$/, (m) => (m === '.cu' ? '-cu' : ''));
  if (GLUE_SOURCES.includes(unit.src)) unit.base = `shared-${unit.base}`;
  unit.obj = path.join(unit.tool === nvcc ? kernelObjDir : objDir, `${unit.base}-${hash}.o`);
}

mkdirSync(objDir, { recursive: true });
mkdirSync(kernelObjDir, { recursive: true });
mkdirSync(outDir, { recursive: true });
// Slowest first (the kernels), so the two jobs finish together.
const failures = await runPool(
  units.filter((unit) => !existsSync(unit.obj)),
  jobs,
  async (unit) => {
    const { code, stderr } = await runTool(unit.tool, [...unit.flags, '-c', unit.src, '-o', unit.obj], root);
    if (stderr.trim()) process.stderr.write(stderr);
    return code === 0;
  },
);
if (failures.length) {
  console.error(`${packageName}: compiling ${failures.map((u) => u.src).join(', ')} failed`);
  process.exit(1);
}
// Objects of earlier inputs are removed (the cache keeps one per unit).
const current = new Set(units.map((u) => u.obj));
for (const dir of [objDir, kernelObjDir]) {
  for (const file of readdirSync(dir))
    if (!current.has(path.join(dir, file))) rmSync(path.join(dir, file), { force: true });
}

const output = path.join(outDir, 'myelin_cuda.node');
const link = await runTool(
  cxx,
  [
    '-shared',
    // libstdc++ stays dynamic: linked in statically it would need glibc 2.36 (arc4random), which
    // Ubuntu 22.04 GPU servers lack; cudart_static needs glibc 2.34.
    ...(sanitize ? ['-fsanitize=address,undefined'] : []),
    '-o',
    output,
    ...units.map((u) => u.obj),
    cudart,
    '-ldl',
    '-lrt',
    '-lpthread',
  ],
  root,
);
if (link.stderr.trim()) process.stderr.write(link.stderr);
if (link.code !== 0) {
  console.error('@myelin/backend-cuda: linking the addon failed');
  process.exit(1);
}
reportBuilt({
  packageName,
  root,
  outDir,
  output,
  started,
  note: sanitize ? 'host code with AddressSanitizer + UBSan' : '',
});
