import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { describe, expect, it } from 'vitest';
import {
  CudaUnavailableError,
  TfjsCudaBackend,
  createCudaBackend,
  descriptor,
  explainLoadFailure,
  probe,
} from './index.js';

function moduleNotFound(message: string): Error {
  return Object.assign(new Error(message), { code: 'MODULE_NOT_FOUND' });
}

describe("the 'tfjs' engine: loading @tensorflow/tfjs-node-gpu", () => {
  it('a missing package gives one error naming CUDA 11.2, cuDNN 8.1, the package and its build approval', async () => {
    const error = await createCudaBackend({
      engine: 'tfjs',
      require: () => {
        throw moduleNotFound("Cannot find module '@tensorflow/tfjs-node-gpu'");
      },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CudaUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain('@tensorflow/tfjs-node-gpu is not installed');
    for (const needed of [
      'CUDA 11.2',
      'cuDNN 8.1',
      'pnpm add @tensorflow/tfjs-node-gpu@4.22.0',
      'allowBuilds',
      'LD_LIBRARY_PATH',
    ])
      expect(message).toContain(needed);
  });

  it('a native binding that fails on a missing CUDA library names the library', () => {
    const reason = explainLoadFailure(
      new Error('libcudart.so.11.0: cannot open shared object file: No such file or directory'),
    );
    expect(reason).toContain('native binding failed to load: libcudart.so.11.0');
  });

  it('a binding that was never downloaded points at the blocked install script', () => {
    const reason = explainLoadFailure(
      moduleNotFound("Cannot find module '/x/node_modules/@tensorflow/tfjs-node-gpu/lib/napi-v8/tfjs_binding.node'"),
    );
    expect(reason).toContain('install script did not run');
  });

  it('here, without the package, the real load fails clearly and probe() says why', async () => {
    await expect(createCudaBackend({ engine: 'tfjs' })).rejects.toThrow(CudaUnavailableError);
    const result = await probe({ engine: 'tfjs' });
    expect(result.usable).toBe(false);
    expect(result.reason).toMatch(/tfjs-node-gpu/);
  });

  it('exports a descriptor (priority 40, the highest) whose probe says the same', async () => {
    expect(descriptor).toMatchObject({ name: 'cuda', priority: 40, packageName: '@myelin/backend-cuda' });
    expect(descriptor.install).toContain('driver 580');
    expect(await descriptor.probe()).toEqual(await probe());
    expect(await descriptor.probe({ engine: 'tfjs' })).toEqual(await probe({ engine: 'tfjs' }));
  });
});

describe('CudaBackend wiring, on a stand-in for libtensorflow', () => {
  // tfjs-cpu's kernels registered under tfjs-node's backend name 'tensorflow', without a GPU.
  const standIn = (): typeof tf => {
    if (tf.findBackendFactory('tensorflow') === null) {
      tf.registerBackend('tensorflow', () => new MathBackendCPU());
      for (const kernel of tf.getKernelsForBackend('cpu')) tf.registerKernel({ ...kernel, backendName: 'tensorflow' });
    }
    return tf;
  };

  it('refuses a libtensorflow that found no GPU, unless allowCpu', async () => {
    await expect(createCudaBackend({ engine: 'tfjs', require: standIn })).rejects.toThrow(/no usable CUDA GPU/);
    const backend = await createCudaBackend({ engine: 'tfjs', require: standIn, allowCpu: true });
    expect(backend).toBeInstanceOf(TfjsCudaBackend);
    expect(backend.engine).toBe('tfjs');
    expect(backend.name).toBe('cuda');
    expect(backend.details.gpu).toBe('false');
    const sum = backend.binary(
      'add',
      backend.fromData(new Float32Array([1, 2]), [2], 'float32'),
      backend.fill([2], 3, 'float32'),
      [2],
    );
    expect(Array.from(await backend.read(sum))).toEqual([4, 5]);
    expect(backend.readSync).toBeUndefined();
  });
});
