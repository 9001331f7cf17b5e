// The native engine without a GPU: the addon builds and loads, the no-driver path gives the typed
// error, and every argument check that runs before a device call holds. (With a GPU, the
// conformance suite in conformance.test.ts covers the kernels.)
import { ArgumentError, BackendError, DisposedTensorError, ShapeError } from '@myelin/core/backend';
import { describe, expect, it } from 'vitest';
import {
  CudaDriverMissingError,
  CudaDriverTooOldError,
  CudaNoDeviceError,
  CudaUnavailableError,
  NATIVE_ADDON_PATH,
  addonPath,
  createCudaBackend,
  probe,
} from './index.js';
import { unavailableError } from './errors.js';
import { loadAddon } from './native.js';

const loaded = loadAddon();
const addon = loaded.addon;
const noDriver = addon !== undefined && addon.driverInfo().driverVersion === 0;

describe('the native addon', () => {
  it('is at the exported path (MYELIN_CUDA_ADDON overrides it)', () => {
    expect(NATIVE_ADDON_PATH).toMatch(/dist\/native\/myelin_cuda\.node$/);
    if (!process.env.MYELIN_CUDA_ADDON) expect(addonPath()).toMatch(/myelin_cuda\.node$/);
  });

  it.runIf(addon === undefined)(`is missing, and probe says why (${loaded.error ?? ''})`, async () => {
    const result = await probe();
    expect(result.usable).toBe(false);
    expect(result.reason).toContain('native addon');
    expect(result.details?.code).toBe('addon-missing');
  });

  it.runIf(addon !== undefined)('loads without a GPU and reports the CUDA runtime it links (13.x)', () => {
    const info = addon!.driverInfo();
    expect(info.runtimeVersion).toBeGreaterThanOrEqual(13000);
    expect(info.requiredDriverVersion).toBe(13000);
  });
});

describe.runIf(noDriver)('without an NVIDIA driver (this machine)', () => {
  it('createCudaBackend() throws CudaDriverMissingError naming libcuda.so.1 and the driver to install', async () => {
    const error = await createCudaBackend().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CudaDriverMissingError);
    expect(error).toBeInstanceOf(CudaUnavailableError);
    expect(error).toBeInstanceOf(BackendError);
    const e = error as CudaDriverMissingError;
    expect(e.code).toBe('no-driver');
    expect(e.message).toContain('libcuda.so.1');
    expect(e.message).toContain('driver 580 or newer');
    expect(e.message).toContain('nvidia-smi');
    expect(e.steps.join(' ')).toContain('--gpus all');
  });

  it('probe() reports unusable with that reason, and which addon and driver it saw', async () => {
    const result = await probe();
    expect(result.usable).toBe(false);
    expect(result.reason).toContain('no NVIDIA driver was found: libcuda.so.1 could not be loaded');
    expect(result.details).toMatchObject({
      engine: 'native',
      code: 'no-driver',
      driver: 'none (libcuda.so.1 not found)',
    });
    expect(result.details?.addon).toBe(addonPath());
  });

  it('init() reports the code without throwing, for any device index', () => {
    const init = addon!.init(3, [], false);
    expect(init).toMatchObject({ ok: false, code: 'no-driver', driverVersion: 0 });
  });

  it('an op with valid arguments says no GPU is open (a BackendError, not a crash)', () => {
    expect(() => addon!.fromData(new Float32Array(4), [2, 2], 0)).toThrow(BackendError);
    expect(() => addon!.fromData(new Float32Array(4), [2, 2], 0)).toThrow(/no GPU is open/);
    expect(() => addon!.fill([3], 1, 0)).toThrow(/no GPU is open/);
  });
});

describe.runIf(addon !== undefined)('the driver checks', () => {
  it('a driver older than CUDA 13 is refused naming the version found, the one needed and the driver to install', () => {
    const old = addon!.classifyDriver(12040);
    expect(old.code).toBe('driver-too-old');
    expect(old.message).toContain('supports CUDA 12.4 (cudaDriverGetVersion = 12040');
    expect(old.message).toContain('needs a driver for CUDA 13.0 or newer');
    expect(old.message).toContain('driver 580 or newer');
    expect(addon!.classifyDriver(0).code).toBe('no-driver');
    expect(addon!.classifyDriver(13000)).toEqual({ code: '', message: '' });
    expect(addon!.classifyDriver(13020).code).toBe('');
  });

  it("init's codes become the typed errors, with the versions and the steps to fix", () => {
    const tooOld = unavailableError('driver-too-old', 'old', 12040, 13000);
    expect(tooOld).toBeInstanceOf(CudaDriverTooOldError);
    expect(tooOld).toMatchObject({
      code: 'driver-too-old',
      driverVersion: 12040,
      requiredVersion: 13000,
      reason: 'old',
    });
    expect(tooOld.steps[0]).toContain('driver 580 or newer');
    expect(unavailableError('no-device', 'none', 13000, 13000)).toBeInstanceOf(CudaNoDeviceError);
    expect(unavailableError('no-driver', 'x', 0, 13000)).toBeInstanceOf(CudaDriverMissingError);
    const gpu = unavailableError('unsupported-gpu', 'sm_75', 13000, 13000);
    expect(gpu).toBeInstanceOf(CudaUnavailableError);
    expect(gpu.code).toBe('unsupported-gpu');
    expect(unavailableError('something-new', 'y', 13000, 13000).code).toBe('cuda-error');
  });
});

describe.runIf(addon !== undefined)('argument checks before any device call', () => {
  it('fromData: the value count must match the shape; dimensions and dtype codes are checked', () => {
    expect(() => addon!.fromData(new Float32Array(3), [2, 2], 0)).toThrow(ShapeError);
    expect(() => addon!.fromData(new Float32Array(3), [2, 2], 0)).toThrow(
      'fromData got 3 values for shape [2,2]: expected 4',
    );
    expect(() => addon!.fromData(new Float32Array(2), [-1, -2], 0)).toThrow(ShapeError);
    expect(() => addon!.fromData(new Float32Array(2), [1.5, 2], 0)).toThrow(ShapeError);
    expect(() => addon!.fromData(new Float32Array(4), [2, 2], 9)).toThrow(ArgumentError);
    expect(() => addon!.fromData([1, 2] as unknown as Float32Array, [2], 0)).toThrow(ArgumentError);
    expect(() => addon!.fromData(new BigInt64Array(2) as unknown as Float32Array, [2], 0)).toThrow(/BigInt/);
  });

  it('fill: a shape too large for memory addressing is refused, not allocated', () => {
    expect(() => addon!.fill([2 ** 30, 2 ** 30], 0, 0)).toThrow(ShapeError);
    expect(() => addon!.fill(new Array(17).fill(1), 0, 0)).toThrow(/rank 17 is above the limit of 16/);
    // Empty, but its strides (products of the other dimensions) would overflow int64.
    expect(() => addon!.fill([0, 2 ** 40, 2 ** 40], 0, 0)).toThrow(ShapeError);
    expect(() => addon!.fill([0, 2 ** 40, 2 ** 40], 0, 0)).toThrow(/non-zero dimensions multiply to more than 2\^50/);
  });

  it('handles that were never created are DisposedTensorErrors in every kind of entry', () => {
    expect(() => addon!.unary(0, 7)).toThrow(DisposedTensorError);
    expect(() => addon!.binary(0, 0, 1)).toThrow(DisposedTensorError);
    expect(() => addon!.matmul(0, 1, false, false)).toThrow(DisposedTensorError);
    expect(() => addon!.concat([0, 1], 0)).toThrow(DisposedTensorError);
    expect(() =>
      addon!.adamUpdateMany(
        new Int32Array([0, 1, 2, 3]),
        new Int32Array(3),
        1,
        0,
        0.9,
        0.1,
        0.999,
        0.001,
        0.001,
        1,
        1e-8,
      ),
    ).toThrow(DisposedTensorError);
    expect(() => addon!.release(-1)).toThrow(DisposedTensorError);
  });

  it('a handle, axis or code must be exactly a 32-bit integer (0.5 is not handle 0)', () => {
    expect(() => addon!.unary(0, 0.5)).toThrow(ArgumentError);
    expect(() => addon!.unary(0, 0.5)).toThrow('argument 1 must be a 32-bit integer, got 0.500000');
    expect(() => addon!.release(2 ** 32)).toThrow('argument 0 must be a 32-bit integer, got 4294967296.000000');
    expect(() => addon!.concat([0.5], 0)).toThrow('concat: element 0 is not a handle id');
  });

  it('unknown op codes and malformed id arrays are ArgumentErrors', () => {
    expect(() => addon!.unary(99, 0)).toThrow(ArgumentError);
    expect(() => addon!.binary(-1, 0, 0)).toThrow(ArgumentError);
    expect(() => addon!.reduce(5, 0, [0], false)).toThrow(ArgumentError);
    expect(() =>
      addon!.adamUpdateMany(new Int32Array(3), new Int32Array(3), 1, 0, 0.9, 0.1, 0.999, 0.001, 0.001, 1, 1e-8),
    ).toThrow('adamUpdateMany: expected 4 ids in and 3 out per parameter');
    expect(() => addon!.sgdUpdateMany(new Int32Array(3), new Int32Array(1), 0.1, 0, 0, 0, false)).toThrow(
      ArgumentError,
    );
    expect(() =>
      addon!.sgdUpdateMany(new Float32Array(3) as unknown as Int32Array, new Int32Array(2), 0.1, 0, 0, 0, false),
    ).toThrow('is not an Int32Array');
  });
});

describe.runIf(addon !== undefined)('the cuBLAS loader', () => {
  it.runIf(noDriver)('tries each candidate in order and says why each failed', () => {
    const result = addon!.loadCublas([
      '/nonexistent/nvidia/cu13/lib/libcublas.so.13',
      'libmyelin-no-such-cublas.so.13',
      '/etc/hostname',
    ]);
    expect(result.loaded).toBe(false);
    const lines = result.error.split('\n');
    expect(lines[0]).toBe('tried, in order:');
    expect(lines[1]).toBe('  /nonexistent/nvidia/cu13/lib/libcublas.so.13: not found');
    expect(lines[2]).toMatch(/^ {2}libmyelin-no-such-cublas\.so\.13: .*cannot open shared object file/);
    expect(lines[3]).toMatch(/^ {2}\/etc\/hostname: /);
  });

  it('with no candidates, says so', () => {
    const result = addon!.loadCublas([]);
    if (!result.loaded) expect(result.error).toBe('no candidates to try');
  });
});

describe.runIf(addon !== undefined)('the caching allocator (host memory stands in for the device)', () => {
  it('size classes: 512 bytes, then four per power of two, each covering its requests', () => {
    expect(addon!.sizeClass(0)).toEqual([0, 512]);
    expect(addon!.sizeClass(512)).toEqual([0, 512]);
    expect(addon!.sizeClass(513)).toEqual([1, 640]);
    expect(addon!.sizeClass(1024)).toEqual([4, 1024]);
    expect(addon!.sizeClass(1025)).toEqual([5, 1280]);
    for (let bytes = 1; bytes < 1 << 22; bytes = Math.ceil(bytes * 1.37) + 1) {
      const [cls, capacity] = addon!.sizeClass(bytes);
      expect(capacity).toBeGreaterThanOrEqual(bytes);
      expect(capacity).toBeLessThanOrEqual(Math.max(512, bytes * 1.25));
      if (cls > 0) expect(addon!.sizeClass(capacity)[0]).toBe(cls);
    }
  });

  it('a repeated step allocates only in its first; later steps reuse the cache', () => {
    const sizes = [784 * 128 * 4, 128 * 4, 64 * 784 * 4, 64 * 128 * 4, 64 * 128 * 4, 64 * 10 * 4, 40];
    const stats = addon!.allocatorTest(new Array(50).fill(sizes), 1e9, false);
    expect(stats.systemAllocations).toBe(sizes.length);
    expect(stats.reuses).toBe(sizes.length * 49);
    expect(stats.failures).toBe(0);
  });

  it('exact mode (MYELIN_CUDA_NO_CACHING=1): each block exactly its bytes, back to the system at release', () => {
    const sizes = [784 * 128 * 4, 128 * 4, 40, 0];
    const exact = addon!.allocatorTest([sizes, sizes, sizes], 1e9, true);
    // An empty tensor still gets a valid pointer (one byte), whose capacity is its 0 bytes.
    expect(exact).toMatchObject({ systemAllocations: 12, reuses: 0, systemFrees: 12, cachedBytes: 0, failures: 0 });
    expect(exact.firstStepBytes).toBe(784 * 128 * 4 + 128 * 4 + 40);
    const caching = addon!.allocatorTest([sizes, sizes, sizes], 1e9, false);
    expect(caching).toMatchObject({ systemAllocations: 4, reuses: 8, systemFrees: 0 });
    expect(caching.firstStepBytes).toBe(addon!.sizeClass(784 * 128 * 4)[1] + 512 + 512 + 512);
    expect(addon!.allocatorTest([[20000]], 10000, true)).toMatchObject({ systemAllocations: 0, failures: 1 });
  });

  it('when the system refuses, the cache is emptied and the request retried once; then it fails cleanly', () => {
    // A cached 5120-byte block leaves too little for 8192 bytes: the cache is emptied, and the retry fits.
    const retried = addon!.allocatorTest([[4097], [8192]], 10000, false);
    expect(retried).toMatchObject({ systemAllocations: 2, systemFrees: 1, failures: 0, cachedBytes: 8192 });
    // More than the device has: refused every time, nothing leaks into the cache.
    const refused = addon!.allocatorTest([[20000], [20000]], 10000, false);
    expect(refused).toMatchObject({ systemAllocations: 0, failures: 2, cachedBytes: 0 });
  });
});
