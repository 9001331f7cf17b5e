import { describe, expect, it } from 'vitest';
import { BACKEND_PACKAGES, loadBackendDescriptor } from './packages.js';

const notFound = (specifier: string) =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from /somewhere`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

describe('loadBackendDescriptor', () => {
  it('lists every backend package once, including the native ones that may be absent', () => {
    expect(new Set(BACKEND_PACKAGES).size).toBe(BACKEND_PACKAGES.length);
    expect(BACKEND_PACKAGES).toContain('@myelin/backend-cpu');
    expect(BACKEND_PACKAGES).not.toContain('@myelin/backend-tfjs'); // a building block, not a backend
  });

  it('reports a missing package as not installed', async () => {
    const loaded = await loadBackendDescriptor('@myelin/backend-cpu', async (s) => {
      throw notFound(s);
    });
    expect(loaded).toEqual({
      packageName: '@myelin/backend-cpu',
      name: 'cpu',
      installed: false,
      problem: '@myelin/backend-cpu is not installed',
    });
  });

  it('reports a package without a descriptor', async () => {
    const loaded = await loadBackendDescriptor('@myelin/backend-x', async () => ({ registerXBackend() {} }));
    expect(loaded).toMatchObject({
      installed: true,
      problem: '@myelin/backend-x exports no backend descriptor (got undefined)',
    });
  });

  it('returns the descriptor a package exports', async () => {
    const descriptor = { name: 'x', priority: 1, probe() {}, create() {}, register() {} };
    expect(await loadBackendDescriptor('@myelin/backend-x', async () => ({ descriptor }))).toEqual({ descriptor });
  });
});
