// Where the native engine looks for cuBLAS, in order. The addon dlopens each candidate until one
// loads (native/runtime/cublas.cc); cuBLAS is optional, and without it a built-in GEMM runs.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** What the search reads from the machine (injectable for tests). */
export interface CublasSearchEnvironment {
  env: Record<string, string | undefined>;
  home: string;
  /** The entries of a directory ([] when it does not exist). */
  list(dir: string): string[];
  /** Whether a file exists. */
  exists(file: string): boolean;
  /** Python's own sys.path ([] without a python3), asked only when no pip folder was found otherwise. */
  pythonPath(): string[];
}

const nodeEnvironment = (): CublasSearchEnvironment => ({
  env: process.env,
  home: homedir(),
  list: (dir) => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  },
  exists: existsSync,
  pythonPath: () => {
    if (process.env.MYELIN_CUBLAS_PYTHON === '0') return [];
    const python = process.env.MYELIN_CUBLAS_PYTHON || 'python3';
    const result = spawnSync(python, ['-c', 'import sys; print("\\n".join(sys.path))'], {
      encoding: 'utf8',
      timeout: 5000,
    });
    return result.status === 0 ? result.stdout.split('\n').filter((line) => line.startsWith('/')) : [];
  },
});

/** The library names, newest first: cuBLAS 13 (CUDA 13), then 12 (which a CUDA 13 driver also runs). */
export const CUBLAS_SONAMES = ['libcublas.so.13', 'libcublas.so.12'] as const;

/** Python's site-packages and dist-packages directories that pip's nvidia wheels install into. */
export function pythonPackageDirs(environment: CublasSearchEnvironment = nodeEnvironment()): string[] {
  const { env, home, list } = environment;
  const prefixes = [
    env.VIRTUAL_ENV,
    env.CONDA_PREFIX,
    path.join(home, '.local'),
    '/usr/local',
    '/usr',
    '/opt/conda',
  ].filter((p): p is string => typeof p === 'string' && p !== '');
  const dirs: string[] = [];
  for (const prefix of prefixes) {
    const lib = path.join(prefix, 'lib');
    const pythons = list(lib)
      .filter((name) => /^python3(\.\d+)?$/.test(name))
      .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
    for (const python of pythons) {
      for (const kind of ['site-packages', 'dist-packages']) dirs.push(path.join(lib, python, kind));
    }
  }
  // PYTHONPATH entries are searched too (a `pip install --target` folder).
  for (const entry of (env.PYTHONPATH ?? '').split(':')) if (entry) dirs.push(entry);
  return [...new Set(dirs)];
}

/** pip's cuBLAS files under one Python package directory, newest first. */
function pipCandidates(dir: string): string[] {
  return [
    path.join(dir, 'nvidia', 'cu13', 'lib', 'libcublas.so.13'),
    path.join(dir, 'nvidia', 'cublas', 'lib', 'libcublas.so.13'),
    path.join(dir, 'nvidia', 'cublas', 'lib', 'libcublas.so.12'),
  ];
}

/**
 * The candidates, in the order they are tried: $MYELIN_CUBLAS_PATH (a file, or a folder holding
 * libcublas.so.13/.12), then the loader's own search (LD_LIBRARY_PATH, ldconfig) by soname, then
 * pip's nvidia/cu13/lib and nvidia/cublas/lib folders under each Python package directory; when
 * none of those files exists, under the directories of python3's own sys.path (a virtualenv
 * elsewhere; MYELIN_CUBLAS_PYTHON names another interpreter, or 0 to not ask).
 */
export function cublasCandidates(environment: CublasSearchEnvironment = nodeEnvironment()): string[] {
  const out: string[] = [];
  const configured = environment.env.MYELIN_CUBLAS_PATH;
  if (configured) {
    if (/\.so(\.\d+)*$/.test(configured)) out.push(configured);
    else for (const soname of CUBLAS_SONAMES) out.push(path.join(configured, soname));
  }
  out.push(...CUBLAS_SONAMES);
  const pip = pythonPackageDirs(environment).flatMap(pipCandidates);
  out.push(...pip);
  if (!pip.some((file) => environment.exists(file))) {
    out.push(...environment.pythonPath().flatMap(pipCandidates));
  }
  return [...new Set(out)];
}
