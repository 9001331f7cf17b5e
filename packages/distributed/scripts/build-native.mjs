#!/usr/bin/env node
// Builds the MPI addon with one plain compiler call (no node-gyp, nothing downloaded):
//   node scripts/build-native.mjs              -> dist/native/myelin_mpi.node
//   node scripts/build-native.mjs --sanitize   -> dist/native-asan/myelin_mpi.node (ASan + UBSan)
// (MYELIN_MPI_SANITIZE=1 also selects the sanitizer build.) Compile and link flags come from
// Open MPI's wrapper (`mpicxx --showme:compile` / `--showme:link`), else from Debian's paths.
// Without a C++ compiler or Open MPI's headers it prints a warning and exits 0, so the
// TypeScript part still builds; the package then reports what to install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sanitize = process.argv.includes('--sanitize') || process.env.MYELIN_MPI_SANITIZE === '1';
const outDir = path.join(root, 'dist', sanitize ? 'native-asan' : 'native');
const output = path.join(outDir, 'myelin_mpi.node');
const source = path.join(root, 'native', 'mpi-addon.cc');
const cxx = process.env.CXX || 'g++';
const started = Date.now();
const INSTALL = 'apt-get install openmpi-bin libopenmpi-dev (or ./setup)';

function skip(reason) {
  // The TypeScript loader reads this file to say why the addon is missing.
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'BUILD-FAILED.txt'), `${reason}\n`);
  rmSync(output, { force: true });
  console.warn(`@myelin/distributed: WARNING: the MPI addon was not built: ${reason}`);
  console.warn(`@myelin/distributed: the TypeScript part builds anyway; distributed training needs ${INSTALL}`);
  process.exit(0);
}

if (spawnSync(cxx, ['--version'], { stdio: 'ignore' }).status !== 0) skip(`no C++ compiler ('${cxx}' did not run)`);

function napiInclude() {
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
  } catch {
    if (existsSync('/usr/include/node/node_api.h')) return '/usr/include/node';
    return skip('Node-API headers not found (install the node-api-headers devDependency or nodejs headers)');
  }
}

/** Open MPI's flags: from its compiler wrapper when present, else Debian's multiarch paths. */
function mpiFlags() {
  const wrapper = (what) => {
    const result = spawnSync('mpicxx', [`--showme:${what}`], { encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim().split(/\s+/).filter(Boolean) : null;
  };
  const compile = wrapper('compile');
  const link = wrapper('link');
  if (compile && link) {
    const include = compile.filter((f) => f.startsWith('-I')).map((f) => f.slice(2));
    if (!include.some((dir) => existsSync(path.join(dir, 'mpi.h'))))
      skip(`mpicxx names no directory holding mpi.h (${compile.join(' ')}); ${INSTALL}`);
    // The C API is all we use: drop the deprecated C++ bindings library.
    return { compile, link: link.filter((f) => f !== '-lmpi_cxx') };
  }
  const dir = '/usr/lib/x86_64-linux-gnu/openmpi';
  if (existsSync(path.join(dir, 'include', 'mpi.h')))
    return { compile: [`-I${dir}/include`], link: [`-L${dir}/lib`, '-lmpi'] };
  return skip(`Open MPI's headers (mpi.h) and mpicxx were not found; ${INSTALL}`);
}

const mpi = mpiFlags();
const mtime = (file) => (existsSync(file) ? statSync(file).mtimeMs : 0);
if (mtime(output) > Math.max(mtime(source), mtime(fileURLToPath(import.meta.url)))) {
  console.log(`@myelin/distributed: ${path.relative(root, output)} is up to date`);
  process.exit(0);
}
mkdirSync(outDir, { recursive: true });
const args = [
  '-std=c++17',
  '-shared',
  '-fPIC',
  '-fvisibility=hidden',
  '-Wall',
  '-DNAPI_VERSION=8',
  // The C API only: mpi.h would otherwise pull in the deprecated C++ bindings (libmpi_cxx).
  '-DOMPI_SKIP_MPICXX=1',
  '-DMPICH_SKIP_MPICXX=1',
  `-I${napiInclude()}`,
  ...mpi.compile,
  ...(sanitize
    ? ['-O1', '-g', '-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=undefined']
    : ['-O3']), // -O3: the shared-memory all-reduce's sum loops are vectorised
  source,
  '-o',
  output,
  ...mpi.link,
  '-ldl',
];
const result = spawnSync(cxx, args, { cwd: root, encoding: 'utf8' });
if (result.stderr.trim()) process.stderr.write(result.stderr);
if (result.status !== 0) {
  // Headers present but the compile or link failed: that is a bug here, not a missing package.
  console.error(`@myelin/distributed: compiling the MPI addon failed: ${cxx} ${args.join(' ')}`);
  process.exit(1);
}
rmSync(path.join(outDir, 'BUILD-FAILED.txt'), { force: true });
console.log(
  `@myelin/distributed: built ${path.relative(root, output)}${sanitize ? ' (AddressSanitizer + UBSan)' : ''} in ${((Date.now() - started) / 1000).toFixed(1)} s`,
);
