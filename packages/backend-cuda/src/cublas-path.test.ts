import { describe, expect, it } from 'vitest';
import { cublasCandidates, type CublasSearchEnvironment } from './index.js';

/** A machine with the given directories (name -> entries). */
function machine(
  env: Record<string, string>,
  dirs: Record<string, string[]> = {},
  files: string[] = [],
  pythonPath: string[] = [],
): CublasSearchEnvironment {
  return {
    env,
    home: '/home/u',
    list: (dir) => dirs[dir] ?? [],
    exists: (file) => files.includes(file),
    pythonPath: () => pythonPath,
  };
}

describe('where cuBLAS is looked for', () => {
  it('MYELIN_CUBLAS_PATH first, then the loader path by soname (13, then 12), then pip folders', () => {
    const candidates = cublasCandidates(
      machine(
        { MYELIN_CUBLAS_PATH: '/opt/cublas/libcublas.so.13' },
        { '/usr/local/lib': ['python3.12', 'python3.10', 'pkgconfig'], '/home/u/.local/lib': ['python3.11'] },
      ),
    );
    expect(candidates.slice(0, 3)).toEqual(['/opt/cublas/libcublas.so.13', 'libcublas.so.13', 'libcublas.so.12']);
    const pip = candidates.slice(3);
    // ~/.local before /usr/local; newer Pythons first; site-packages before dist-packages; cu13 before cublas.
    expect(pip.slice(0, 3)).toEqual([
      '/home/u/.local/lib/python3.11/site-packages/nvidia/cu13/lib/libcublas.so.13',
      '/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.13',
      '/home/u/.local/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12',
    ]);
    expect(pip).toContain('/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13');
    expect(pip.indexOf('/usr/local/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13')).toBeLessThan(
      pip.indexOf('/usr/local/lib/python3.10/site-packages/nvidia/cu13/lib/libcublas.so.13'),
    );
    expect(pip.some((p) => p.includes('pkgconfig'))).toBe(false);
  });

  it('a MYELIN_CUBLAS_PATH folder stands for its libcublas.so.13 and .so.12; a virtualenv is searched first among pip folders', () => {
    const candidates = cublasCandidates(
      machine(
        { MYELIN_CUBLAS_PATH: '/opt/cuda/lib64', VIRTUAL_ENV: '/venv' },
        { '/venv/lib': ['python3.12'], '/usr/lib': ['python3'] },
      ),
    );
    expect(candidates.slice(0, 4)).toEqual([
      '/opt/cuda/lib64/libcublas.so.13',
      '/opt/cuda/lib64/libcublas.so.12',
      'libcublas.so.13',
      'libcublas.so.12',
    ]);
    expect(candidates[4]).toBe('/venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13');
    expect(candidates).toContain('/usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12');
  });

  it('without any Python, only the sonames', () => {
    expect(cublasCandidates(machine({}))).toEqual(['libcublas.so.13', 'libcublas.so.12']);
  });

  it("asks python3's sys.path only when no pip file was found in the usual places", () => {
    const venv = ['/srv/env/lib/python3.12/site-packages'];
    const asked = cublasCandidates(machine({}, {}, [], venv));
    expect(asked).toEqual([
      'libcublas.so.13',
      'libcublas.so.12',
      '/srv/env/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13',
      '/srv/env/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.13',
      '/srv/env/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12',
    ]);
    const found = '/usr/local/lib/python3.12/dist-packages/nvidia/cu13/lib/libcublas.so.13';
    const notAsked = cublasCandidates(machine({}, { '/usr/local/lib': ['python3.12'] }, [found], venv));
    expect(notAsked).toContain(found);
    expect(notAsked.some((p) => p.startsWith('/srv/env'))).toBe(false);
  });
});
