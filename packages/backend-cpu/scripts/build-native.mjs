#!/usr/bin/env node
// Builds the addon with a plain compiler call per source (no node-gyp, nothing downloaded):
//   node scripts/build-native.mjs              -> dist/native/myelin_cpu.node
//   node scripts/build-native.mjs --sanitize   -> dist/native-asan/myelin_cpu.node (ASan + UBSan)
// (MYELIN_CPU_SANITIZE=1 also selects the sanitizer build.) The kernels are compiled once per
// instruction set (AVX-512, AVX2+FMA, baseline); the addon picks one at load time.
// Without a C++ compiler it prints a warning and exits 0, so the TypeScript part still builds;
// the backend then reports what to install.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sanitize = process.argv.includes('--sanitize') || process.env.MYELIN_CPU_SANITIZE === '1';
const outDir = path.join(root, 'dist', sanitize ? 'native-asan' : 'native');
const objDir = path.join(root, 'build', sanitize ? 'obj-asan' : 'obj');
const cxx = process.env.CXX || 'g++';
const started = Date.now();

function fail(reason) {
  // The TypeScript loader reads this file to say why the addon is missing.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'BUILD-FAILED.txt'), `${reason}\n`);
  rmSync(path.join(outDir, 'myelin_cpu.node'), { force: true });
  console.warn(`@myelin/backend-cpu: the native addon was not built: ${reason}`);
  console.warn(
    '@myelin/backend-cpu: the TypeScript part builds anyway; the backend reports itself unusable (install g++ and libopenblas0).',
  );
  process.exit(0);
}

if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`no C++ compiler ('${cxx}' did not run)`);

function napiInclude() {
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
  } catch {
    if (existsSync('/usr/include/node/node_api.h')) return '/usr/include/node';
    return fail('Node-API headers not found (install the node-api-headers devDependency or nodejs headers)');
  }
}

const x86 = process.arch === 'x64' || process.arch === 'ia32';
const isa = {
  avx512: x86 ? ['-mavx512f', '-mavx512bw', '-mavx512dq', '-mavx512vl', '-mavx2', '-mfma'] : [],
  avx2: x86 ? ['-mavx2', '-mfma'] : [],
  generic: [],
};
const base = [
  '-std=c++17',
  '-fPIC',
  '-fvisibility=hidden',
  '-ffp-contract=off',
  '-fno-math-errno', // lets sqrt vectorise (errno is never read); results are unchanged
  '-Wall',
  '-Wno-unused-function',
  '-DNAPI_VERSION=8',
  `-I${napiInclude()}`,
  ...(sanitize
    ? ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined']
    : ['-O3']),
];

const units = [];
for (const [name, flags] of Object.entries(isa)) {
  units.push({
    src: 'native/kernels/kernels-isa.cc',
    obj: `kernels-${name}.o`,
    flags: [`-DMYELIN_ISA=${name}`, ...(name === 'generic' ? ['-DMYELIN_ALL_DTYPES'] : []), ...flags],
  });
  units.push({
    src: 'native/kernels/conv-isa.cc',
    obj: `conv-${name}.o`,
    flags: [`-DMYELIN_ISA=${name}`, '-ffp-contract=fast', ...flags],
  });
  units.push({
    src: 'native/kernels/gemm-isa.cc',
    obj: `gemm-${name}.o`,
    flags: [`-DMYELIN_ISA=${name}`, '-ffp-contract=fast', ...flags],
  });
}
for (const src of [
  'native/kernels/movement.cc',
  'native/kernels/unfold.cc',
  'native/kernels/gemm.cc',
  'native/runtime/threads.cc',
  'native/runtime/memory.cc',
  'native/runtime/blas.cc',
  'native/glue/state.cc',
  'native/glue/ops-storage.cc',
  'native/glue/ops-shape.cc',
  'native/glue/ops-conv.cc',
  'native/glue/ops-linalg.cc',
  'native/glue/ops-fused.cc',
  'native/glue/addon.cc',
]) {
  units.push({ src, obj: `${path.basename(src, '.cc')}.o`, flags: [] });
}

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(cxx, args, { cwd: root, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
    child.on('error', (error) => resolve({ code: 1, stderr: String(error) }));
  });
}

mkdirSync(objDir, { recursive: true });
mkdirSync(outDir, { recursive: true });
// Incremental: a unit is recompiled when its source, any header or this script is newer than its object.
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const headers = readdirSync(path.join(root, 'native'), { recursive: true })
  .filter((f) => String(f).endsWith('.h'))
  .map((f) => mtime(path.join(root, 'native', String(f))));
const newestInput = Math.max(mtime(fileURLToPath(import.meta.url)), ...headers);
const stale = (unit) => {
  const obj = mtime(path.join(objDir, unit.obj));
  return obj === 0 || obj < newestInput || obj < mtime(path.join(root, unit.src));
};
const queue = units.filter(stale);
const failures = [];
async function worker() {
  for (let unit = queue.shift(); unit; unit = queue.shift()) {
    const { code, stderr } = await run([...base, ...unit.flags, '-c', unit.src, '-o', path.join(objDir, unit.obj)]);
    if (stderr.trim()) process.stderr.write(stderr);
    if (code !== 0) failures.push(unit.src);
  }
}
await Promise.all(Array.from({ length: Math.max(1, cpus().length) }, worker));
if (failures.length) {
  console.error(`@myelin/backend-cpu: compiling ${failures.join(', ')} failed`);
  process.exit(1);
}
const output = path.join(outDir, 'myelin_cpu.node');
const link = await run([
  '-shared',
  ...(sanitize ? ['-fsanitize=address,undefined'] : []),
  '-o',
  output,
  ...units.map((u) => path.join(objDir, u.obj)),
  '-ldl',
  '-lpthread',
]);
if (link.stderr.trim()) process.stderr.write(link.stderr);
if (link.code !== 0) {
  console.error('@myelin/backend-cpu: linking the addon failed');
  process.exit(1);
}
rmSync(path.join(outDir, 'BUILD-FAILED.txt'), { force: true });
console.log(
  `@myelin/backend-cpu: built ${path.relative(root, output)}${sanitize ? ' (AddressSanitizer + UBSan)' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
