#!/usr/bin/env node
// Builds the addon with a plain compiler call per source (no node-gyp, nothing downloaded):
//   node scripts/build-native.mjs              -> dist/native/myelin_cpu.node
//   node scripts/build-native.mjs --sanitize   -> dist/native-asan/myelin_cpu.node (ASan + UBSan)
// (MYELIN_CPU_SANITIZE=1 also selects the sanitizer build.) The kernels are compiled once per
// instruction set (AVX-512, AVX2+FMA, baseline); the addon picks one at load time.
// Without a C++ compiler it prints a warning and exits 0, so the TypeScript part still builds;
// the backend then reports what to install.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { cpus } from 'node:os';
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

const packageName = '@myelin/backend-cpu';
const root = packageRoot(import.meta.url);
const sanitize = sanitizeRequested('MYELIN_CPU_SANITIZE');
const outDir = path.join(root, 'dist', sanitize ? 'native-asan' : 'native');
const objDir = path.join(root, 'build', sanitize ? 'obj-asan' : 'obj');
const started = Date.now();

const fail = skipBuildWith({
  packageName,
  outDir,
  addon: 'myelin_cpu.node',
  advice: 'the TypeScript part builds anyway; the backend reports itself unusable (install g++ and libopenblas0).',
});
const napi = checkHostToolchain(fail);

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
  `-I${napi}`,
  `-I${GLUE_INCLUDE}`,
  ...(sanitize ? SANITIZE_FLAGS : ['-O3']),
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
  'native/glue/ops-rows.cc',
  'native/glue/ops-recurrent.cc',
  'native/glue/addon.cc',
]) {
  units.push({ src, obj: `${path.basename(src, '.cc')}.o`, flags: [] });
}
// The N-API glue shared with backend-cuda (tooling/native-build).
for (const src of GLUE_SOURCES) units.push({ src, obj: `shared-${path.basename(src, '.cc')}.o`, flags: [] });

mkdirSync(objDir, { recursive: true });
mkdirSync(outDir, { recursive: true });
// Incremental: a unit is recompiled when its source, any header or this script is newer than its object.
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
const headers = readdirSync(path.join(root, 'native'), { recursive: true })
  .filter((f) => String(f).endsWith('.h'))
  .map((f) => mtime(path.join(root, 'native', String(f))));
const newestInput = Math.max(mtime(fileURLToPath(import.meta.url)), ...headers, ...glueFiles().map(mtime));
const stale = (unit) => {
  const obj = mtime(path.join(objDir, unit.obj));
  return obj === 0 || obj < newestInput || obj < mtime(path.resolve(root, unit.src));
};
const failures = await runPool(units.filter(stale), cpus().length, async (unit) => {
  const { code, stderr } = await runTool(
    CXX,
    [...base, ...unit.flags, '-c', unit.src, '-o', path.join(objDir, unit.obj)],
    root,
  );
  if (stderr.trim()) process.stderr.write(stderr);
  return code === 0;
});
if (failures.length) {
  console.error(`${packageName}: compiling ${failures.map((u) => u.src).join(', ')} failed`);
  process.exit(1);
}
const output = path.join(outDir, 'myelin_cpu.node');
const link = await runTool(
  CXX,
  [
    '-shared',
    ...(sanitize ? SANITIZE_FLAGS : []),
    '-o',
    output,
    ...units.map((u) => path.join(objDir, u.obj)),
    '-ldl',
    '-lpthread',
  ],
  root,
);
if (link.stderr.trim()) process.stderr.write(link.stderr);
if (link.code !== 0) {
  console.error(`${packageName}: linking the addon failed`);
  process.exit(1);
}
reportBuilt({ packageName, root, outDir, output, started, note: sanitize ? 'AddressSanitizer + UBSan' : '' });
