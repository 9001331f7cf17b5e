#!/usr/bin/env node
// Builds the CUDA addon for the CPU emulator (native/emulator/emulator.h), so the conformance
// suite can run this package's kernels and glue on machines without a GPU:
//   node scripts/build-emulator.mjs              -> dist/native-emu/myelin_cuda.node
//   node scripts/build-emulator.mjs --sanitize   -> dist/native-emu-asan/myelin_cuda.node (ASan + UBSan, kernels included)
//   node scripts/build-emulator.mjs --race       -> dist/native-emu-tsan/myelin_cuda.node (the race check:
//     kernels and glue under ThreadSanitizer, each __shared__ declaration rewritten to a
//     per-block mc_emu::shared_memory reference; see native/emulator/emulator.cc)
// Each variant also gets the emulator's cuBLAS stand-in (native/emulator/cublas/cublas-emu.cc,
// built with the variant's sanitizer) as cublas/libcublas.so.13 beside the addon, the name the
// addon's loader looks for (MYELIN_CUBLAS_PATH points at it), and the stand-in's contract test
// cublas/cublas-emu-selftest (run by src/emulator-cublas.test.ts).
// The same sources as the real addon, compiled by g++ instead of nvcc: each .cu file is copied
// with its launches `kernel<<<grid, block, shared, stream>>>(args)` rewritten to
// `mc_emu::launch("kernel", grid, block, shared, stream, [=] { kernel(args); })`, and
// native/emulator/ comes first on the include path, so <cuda_runtime.h> and
// <cuda_runtime_api.h> are the emulator's. No CUDA toolkit is needed. Without g++ it prints a
// warning and exits 0 (the emulated tests then report themselves skipped with the reason).
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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

const packageName = '@myelin/backend-cuda';
const root = packageRoot(import.meta.url);
const sanitize = sanitizeRequested();
const race = process.argv.includes('--race');
if (sanitize && race) throw new Error('build-emulator: --sanitize and --race are two builds; ask for one');
const variant = sanitize ? 'asan' : race ? 'tsan' : '';
const outDir = path.join(root, 'dist', variant ? `native-emu-${variant}` : 'native-emu');
const genDir = path.join(root, 'build', variant ? `emu-${variant}` : 'emu');
const started = Date.now();

const skip = skipBuildWith({
  packageName,
  outDir,
  addon: 'myelin_cuda.node',
  advice: 'the emulated conformance tests report themselves skipped with this reason.',
});
const napi = checkHostToolchain((reason) => skip(`the CPU emulator build: ${reason}`));

/** The index just past the bracket that closes the one at `open` (`(`/`)` or `<`/`>`). */
function closing(text, open, left, right) {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === left) depth++;
    else if (text[i] === right && --depth === 0) return i + 1;
  }
  throw new Error(`unbalanced '${left}' at offset ${open}`);
}

/** Rewrites every `name<<<config>>>(args)` launch as an emulator call. */
function rewriteLaunches(source, file) {
  let out = '';
  let at = 0;
  for (;;) {
    const launch = source.indexOf('<<<', at);
    if (launch < 0) return out + source.slice(at);
    // The kernel expression before `<<<`: an identifier, `::` and template arguments.
    let start = launch;
    for (;;) {
      if (source[start - 1] === '>') {
        let depth = 0;
        let i = start - 1;
        for (; i >= 0; i--) {
          if (source[i] === '>') depth++;
          else if (source[i] === '<' && --depth === 0) break;
        }
        start = i;
        continue;
      }
      if (/[\w:]/.test(source[start - 1] ?? '')) {
        start--;
        continue;
      }
      break;
    }
    const kernel = source.slice(start, launch);
    const configEnd = source.indexOf('>>>', launch);
    if (!kernel.trim() || configEnd < 0) throw new Error(`${file}: cannot read the launch at offset ${launch}`);
    const config = source.slice(launch + 3, configEnd);
    const open = source.indexOf('(', configEnd);
    if (source.slice(configEnd + 3, open).trim() !== '')
      throw new Error(`${file}: no argument list after the launch at ${launch}`);
    const close = closing(source, open, '(', ')');
    const args = source.slice(open + 1, close - 1);
    // The kernel's name for the emulator's trace: without namespace and template arguments.
    const name = kernel.replace(/<.*$/s, '').replace(/^.*::/, '').trim();
    // By value, as CUDA copies a kernel's arguments at the launch: the deferred mode
    // (MYELIN_CUDA_EMULATOR_ASYNC) runs the kernel later, after the launching frame has returned.
    out += `${source.slice(at, start)}::mc_emu::launch("${name}", ${config}, [=]() { ${kernel}(${args}); })`;
    at = close;
  }
}

/**
 * The race check build: each `__shared__ T name[dims];` becomes a reference to the running
 * block's copy (`mc_emu::shared_memory`), so that neighbouring blocks, which the race check runs
 * as unordered, do not share one static.
 */
function rewriteShared(source, file) {
  const declaration =
    /(?:alignas\((\d+)\)\s+)?__shared__\s+([A-Za-z_][\w:]*(?:<[^;<>]*>)?)\s+([A-Za-z_]\w*)\s*((?:\[[^\]]+\])*)\s*;/g;
  const out = source.replace(declaration, (_, align, type, name, dims) => {
    const key = `${name}_mc_emu_key`;
    const alignment = align ?? `alignof(${type})`;
    return (
      `static char ${key}; ${type} (&${name})${dims} = *reinterpret_cast<${type} (*)${dims}>(` +
      `::mc_emu::shared_memory(&${key}, sizeof(${type}${dims}), ${alignment}));`
    );
  });
  const left = out.indexOf('__shared__');
  if (left >= 0)
    throw new Error(
      `${file}: a __shared__ declaration the race check cannot rewrite: ${out.slice(left, out.indexOf('\n', left))}`,
    );
  return out;
}

const include = (dir) => `-I${path.join(root, dir)}`;
const flags = [
  '-std=c++17',
  '-fPIC',
  '-fvisibility=hidden',
  '-w',
  '-DNAPI_VERSION=8',
  '-DMYELIN_CUDA_EMULATOR=1',
  include('native/emulator'),
  include('native/kernels'),
  `-I${GLUE_INCLUDE}`,
  `-I${napi}`,
  ...(sanitize ? SANITIZE_FLAGS : race ? ['-DMC_EMU_RACECHECK=1', '-g', '-O1'] : ['-O1']),
];
// The race check instruments the kernels and the glue, not the scheduler (emulator.cc), whose
// bookkeeping every fiber touches and which tells ThreadSanitizer the GPU's ordering itself.
const TSAN = ['-fsanitize=thread'];

// Up to date: the library, the cuBLAS stand-in and its self-test are newer than every native
// source and this script.
const output = path.join(outDir, 'myelin_cuda.node');
const standIn = path.join(outDir, 'cublas', 'libcublas.so.13');
const standInTest = path.join(outDir, 'cublas', 'cublas-emu-selftest');
// The emulator's own check, linked against the variant's emulator.cc: the warp-synchronous check
// on the plain build (sync-selftest.cu, run by src/warp-sync-check.test.ts), the race check on
// the race build (race-selftest.cu, run by src/race-check.race.test.ts: kernels it must flag and
// kernels it must pass, their __shared__ declarations rewritten as the kernels' are).
const selftest = race ? 'race-selftest' : sanitize ? null : 'sync-selftest';
const selftestOutput = selftest && path.join(outDir, selftest);
const newest = Math.max(
  statSync(fileURLToPath(import.meta.url)).mtimeMs,
  ...readdirSync(path.join(root, 'native'), { recursive: true })
    .map((file) => path.join(root, 'native', String(file)))
    .map((file) => statSync(file))
    .filter((stat) => stat.isFile())
    .map((stat) => stat.mtimeMs),
  ...glueFiles().map((file) => statSync(file).mtimeMs),
);
if (
  [output, standIn, standInTest, ...(selftestOutput ? [selftestOutput] : [])].every(
    (file) => existsSync(file) && statSync(file).mtimeMs > newest,
  )
) {
  console.log(`@myelin/backend-cuda: ${path.relative(root, output)} is up to date`);
  process.exit(0);
}

mkdirSync(genDir, { recursive: true });
/** Writes the emulator's C++ for the .cu file `dir/file` (launches rewritten; race build: __shared__ too); returns its path. */
function emulated(dir, file) {
  const original = path.join(root, 'native', dir, file);
  const generated = path.join(genDir, file.replace(/\.cu$/, '.emu.cc'));
  const launches = rewriteLaunches(readFileSync(original, 'utf8'), file);
  writeFileSync(generated, `#line 1 "${original}"\n${race ? rewriteShared(launches, file) : launches}`);
  return generated;
}
const sources = readdirSync(path.join(root, 'native', 'kernels'))
  .filter((f) => f.endsWith('.cu'))
  .sort()
  .map((file) => emulated('kernels', file));
for (const dir of ['runtime', 'glue', 'emulator'])
  for (const file of readdirSync(path.join(root, 'native', dir))
    .filter((f) => f.endsWith('.cc'))
    .sort())
    sources.push(path.join(root, 'native', dir, file));
sources.push(...GLUE_SOURCES);

mkdirSync(outDir, { recursive: true });
// Two compilers at a time (CI has 2 shared cores), then one link. A compile error is a bug in
// the sources, not a missing tool: it fails the build.
const objects = sources.map((source, i) => path.join(genDir, `${i}-${path.basename(source).replace(/\.cc$/, '')}.o`));
const compiled = async (args) => {
  const { code, stderr } = await runTool(CXX, args, root);
  if (code !== 0) console.error(stderr.slice(-6000));
  return code === 0;
};
// The cuBLAS stand-in is its own library (Node loads the addon RTLD_LOCAL: the stand-in reaches
// the emulator's streams only through the pointer the addon's loader hands it), with the
// variant's sanitizer, so that its reads and writes of device memory are checked as the kernels' are.
const standInSource = path.join(root, 'native', 'emulator', 'cublas', 'cublas-emu.cc');
const standInFlags = [
  '-std=c++17',
  '-Wall',
  '-Wextra',
  ...(sanitize ? SANITIZE_FLAGS : race ? [...TSAN, '-g', '-O1'] : ['-O2']),
];
mkdirSync(path.dirname(standIn), { recursive: true });
const jobs = [
  ...sources.map((source, i) => () => {
    const instrumented = race && path.basename(source) !== 'emulator.cc';
    return compiled([...flags, ...(instrumented ? TSAN : []), '-c', source, '-o', objects[i]]);
  }),
  () =>
    compiled([
      ...standInFlags,
      '-fPIC',
      '-fvisibility=hidden',
      '-shared',
      '-Wl,-soname,libcublas.so.13',
      '-o',
      standIn,
      standInSource,
      '-lpthread',
    ]),
  () =>
    compiled([
      ...standInFlags,
      '-o',
      standInTest,
      path.join(root, 'native', 'emulator', 'cublas', 'cublas-emu-selftest.cc'),
      '-ldl',
    ]),
];
const failed = await runPool(jobs, 2, (job) => job());
const link = [...flags, ...(race ? TSAN : []), '-shared', '-o', output, ...objects, '-ldl', '-lpthread'];
if (failed.length > 0 || !(await compiled(link))) {
  console.error(`${packageName}: the emulator build failed`);
  process.exit(1);
}
if (selftest) {
  const generated = emulated('emulator', `${selftest}.cu`);
  const emulatorObject = objects[sources.findIndex((file) => path.basename(file) === 'emulator.cc')];
  if (
    !(await compiled([...flags, ...(race ? TSAN : []), '-o', selftestOutput, generated, emulatorObject, '-lpthread']))
  ) {
    console.error(`${packageName}: ${selftest} did not build`);
    process.exit(1);
  }
}
reportBuilt({
  packageName,
  root,
  outDir,
  output,
  started,
  note: `CPU emulator${sanitize ? ', ASan + UBSan' : race ? ', race check (ThreadSanitizer)' : ''}`,
});
