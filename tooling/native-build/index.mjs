// What the build and sanitizer scripts of Myelin's Node addons share (backend-cpu,
// backend-cuda, distributed): plain compiler calls, no node-gyp, nothing downloaded.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The C++ compiler the scripts use: $CXX, else g++. */
export const CXX = process.env.CXX || 'g++';

/**
 * The N-API glue the addons share (include/myelin/glue.h, op-checks.h, native-types.h): its include
 * directory (pass it as -I to every compile, kernels included) and its sources (compile them
 * into the addon with the glue's flags).
 */
export const GLUE_INCLUDE = fileURLToPath(new URL('./include', import.meta.url));
export const GLUE_SOURCES = Object.freeze(
  ['glue.cc', 'op-checks.cc'].map((file) => fileURLToPath(new URL(`./src/${file}`, import.meta.url))),
);

/** The shared glue's headers and sources (absolute paths), for the scripts' up-to-date checks. */
export function glueFiles() {
  return [
    ...readdirSync(path.join(GLUE_INCLUDE, 'myelin')).map((file) => path.join(GLUE_INCLUDE, 'myelin', file)),
    ...GLUE_SOURCES,
  ].sort();
}

/** Compile flags of the AddressSanitizer + UndefinedBehaviorSanitizer builds (pass them to the link too). */
export const SANITIZE_FLAGS = Object.freeze([
  '-O1',
  '-g',
  '-fsanitize=address,undefined',
  '-fno-omit-frame-pointer',
  '-fno-sanitize-recover=undefined',
]);

/** Whether `compiler` runs. */
export function compilerRuns(compiler = CXX) {
  return spawnSync(compiler, ['--version'], { stdio: 'ignore' }).status === 0;
}

/** The package a build script belongs to: the folder above the script's own (pass `import.meta.url`). */
export function packageRoot(scriptUrl) {
  return path.resolve(path.dirname(fileURLToPath(scriptUrl)), '..');
}

/** Whether the sanitizer build is asked for: `--sanitize` on the command line, or `variable`=1. */
export function sanitizeRequested(variable) {
  return process.argv.includes('--sanitize') || (variable !== undefined && process.env[variable] === '1');
}

/**
 * Ends a build that cannot be made here (a missing compiler, headers or library) without
 * failing the workspace build: removes the addon, writes `BUILD-FAILED.txt` beside it (the
 * package's loader reads it to say why), prints the reason and what to do, exits 0.
 */
export function skipBuild({ packageName, outDir, addon, reason, advice }) {
  mkdirSync(outDir, { recursive: true });
  writeFileSync(path.join(outDir, 'BUILD-FAILED.txt'), `${reason}\n`);
  rmSync(path.join(outDir, addon), { force: true });
  console.warn(`${packageName}: WARNING: the native addon was not built: ${reason}`);
  if (advice) console.warn(`${packageName}: ${advice}`);
  process.exit(0);
}

/** A build script's `fail(reason)`: skipBuild with the rest of its options fixed. */
export function skipBuildWith(options) {
  return (reason) => skipBuild({ ...options, reason });
}

/**
 * What every addon build needs on the host: a C++ compiler that runs and the Node-API headers.
 * Returns the headers' directory, or ends the build through `fail` naming what is missing.
 */
export function checkHostToolchain(fail) {
  if (!compilerRuns()) fail(`no C++ compiler ('${CXX}' did not run)`);
  return (
    nodeApiInclude() ??
    fail('Node-API headers not found (install the node-api-headers devDependency or nodejs headers)')
  );
}

/** A finished build: clears an old BUILD-FAILED.txt and prints what was built, in how long. */
export function reportBuilt({ packageName, root, outDir, output, started, note }) {
  rmSync(path.join(outDir, 'BUILD-FAILED.txt'), { force: true });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`${packageName}: built ${path.relative(root, output)}${note ? ` (${note})` : ''} in ${seconds} s`);
}

/** The Node-API headers' directory (the node-api-headers package, else Node's own), or null. */
export function nodeApiInclude() {
  try {
    const require = createRequire(import.meta.url);
    return path.join(path.dirname(require.resolve('node-api-headers/package.json')), 'include');
  } catch {
    return existsSync('/usr/include/node/node_api.h') ? '/usr/include/node' : null;
  }
}

/** Runs a compiler; resolves with its exit code and what it printed on stderr. */
export function runTool(tool, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(tool, args, { cwd, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stderr }));
    child.on('error', (error) => resolve({ code: 1, stderr: String(error) }));
  });
}

/**
 * Runs `task(item)` for every item, `jobs` at a time (CI has 2 shared cores); resolves with the
 * items whose task returned false.
 */
export async function runPool(items, jobs, task) {
  const queue = [...items];
  const failed = [];
  const worker = async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) if (!(await task(item))) failed.push(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, jobs) }, worker));
  return failed;
}

/**
 * The environment that runs Node with an ASan + UBSan build of an addon: gcc's libasan (and
 * libubsan) preloaded, since Node is not instrumented, and leak detection off (Node, Open MPI
 * and the CUDA driver keep allocations until exit). `{ env }` to merge into process.env, or
 * `{ error }` naming what is missing.
 */
export function asanEnvironment(extra = {}) {
  const lib = (name) => spawnSync(CXX, [`-print-file-name=${name}`], { encoding: 'utf8' }).stdout?.trim() ?? '';
  const asan = lib('libasan.so');
  const ubsan = lib('libubsan.so');
  if (!path.isAbsolute(asan) || !existsSync(asan))
    return { error: `${CXX} does not know libasan.so (got '${asan}'); install g++ (it ships libasan)` };
  return {
    env: {
      LD_PRELOAD: [asan, path.isAbsolute(ubsan) && existsSync(ubsan) ? ubsan : ''].filter(Boolean).join(' '),
      ASAN_OPTIONS:
        process.env.ASAN_OPTIONS ?? `detect_leaks=0:abort_on_error=1:halt_on_error=1${extra.asanOptions ?? ''}`,
      UBSAN_OPTIONS: process.env.UBSAN_OPTIONS ?? 'print_stacktrace=1:halt_on_error=1',
    },
  };
}

/**
 * The environment that runs Node with a ThreadSanitizer build of an addon (a race check): gcc's
 * libtsan preloaded, since Node is not instrumented, and the first report ends the process with
 * exit code 66. `{ env }` to merge into process.env, or `{ error }` naming what is missing.
 */
export function tsanEnvironment() {
  const tsan = spawnSync(CXX, ['-print-file-name=libtsan.so'], { encoding: 'utf8' }).stdout?.trim() ?? '';
  if (!path.isAbsolute(tsan) || !existsSync(tsan))
    return { error: `${CXX} does not know libtsan.so (got '${tsan}'); install g++ (its libgcc-dev ships libtsan)` };
  return {
    env: {
      LD_PRELOAD: tsan,
      TSAN_OPTIONS:
        process.env.TSAN_OPTIONS ??
        'halt_on_error=1:exitcode=66:report_signal_unsafe=0:ignore_noninstrumented_modules=1',
    },
  };
}
