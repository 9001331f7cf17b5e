#!/usr/bin/env node
// Builds the MPI addon with one plain compiler call (no node-gyp, nothing downloaded):
//   node scripts/build-native.mjs              -> dist/native/myelin_mpi.node
//   node scripts/build-native.mjs --sanitize   -> dist/native-asan/myelin_mpi.node (ASan + UBSan)
// (MYELIN_MPI_SANITIZE=1 also selects the sanitizer build.) Compile and link flags come from
// Open MPI's wrapper (`mpicxx --showme:compile` / `--showme:link`), else from Debian's paths.
// Without a C++ compiler or Open MPI's headers it prints a warning and exits 0, so the
// TypeScript part still builds; the package then reports what to install.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CXX,
  SANITIZE_FLAGS,
  checkHostToolchain,
  packageRoot,
  reportBuilt,
  sanitizeRequested,
  skipBuildWith,
} from '@myelin/native-build';

const packageName = '@myelin/distributed';
const root = packageRoot(import.meta.url);
const sanitize = sanitizeRequested('MYELIN_MPI_SANITIZE');
const outDir = path.join(root, 'dist', sanitize ? 'native-asan' : 'native');
const output = path.join(outDir, 'myelin_mpi.node');
const source = path.join(root, 'native', 'mpi-addon.cc');
const started = Date.now();
const INSTALL = 'apt-get install openmpi-bin libopenmpi-dev (or ./setup)';

const skip = skipBuildWith({
  packageName,
  outDir,
  addon: 'myelin_mpi.node',
  advice: `the TypeScript part builds anyway; distributed training needs ${INSTALL}`,
});
const napi = checkHostToolchain(skip);

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
  `-I${napi}`,
  ...mpi.compile,
  ...(sanitize ? SANITIZE_FLAGS : ['-O3']), // -O3: the shared-memory all-reduce's sum loops are vectorised
  source,
  '-o',
  output,
  ...mpi.link,
  '-ldl',
];
const result = spawnSync(CXX, args, { cwd: root, encoding: 'utf8' });
if (result.stderr.trim()) process.stderr.write(result.stderr);
if (result.status !== 0) {
  // Headers present but the compile or link failed: that is a bug here, not a missing package.
  console.error(`${packageName}: compiling the MPI addon failed: ${CXX} ${args.join(' ')}`);
  process.exit(1);
}
reportBuilt({ packageName, root, outDir, output, started, note: sanitize ? 'AddressSanitizer + UBSan' : '' });
