// Shared by the optim and schedules tests: host values, counting backends and a fake fused kernel.
import { expect } from 'vitest';
import { noGrad, tensor, tidy, type Backend, type BackendHandle, type Tensor } from '@myelin/core';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';

export const values = (t: Tensor): number[] => Array.from(t.dataSync());

/**
 * A checker of values against PyTorch's: each within atol + rtol |want|, failing with the index,
 * both values and the relative error.
 */
export function closeTo(rtol: number, atol: number) {
  return (got: ArrayLike<number>, want: readonly number[], what: string): void => {
    expect(got.length, what).toBe(want.length);
    want.forEach((w, i) => {
      const error = Math.abs(got[i]! - w);
      if (!(error <= atol + rtol * Math.abs(w)))
        expect.fail(`${what}[${i}]: got ${got[i]}, PyTorch ${w} (relative error ${error / Math.abs(w)})`);
    });
  };
}

/** A parameter with the given values (float32, requiresGrad). */
export const param = (data: number[], backend?: Backend): Tensor =>
  tensor(data, { requiresGrad: true, ...(backend ? { backend } : {}) });

/** Sets p.grad from plain numbers. */
export function setGrad(p: Tensor, data: number[]): void {
  p.grad = tensor(data, { backend: p.backend, shape: p.shape });
}

/** The gradient of sum((p - target)^2): 2 (p - target), so each step depends on the parameter. */
export function quadraticGrad(p: Tensor, target: number): void {
  p.grad = tidy(() => noGrad(() => p.sub(target).mul(2)));
}

/** cpu-reference with every host read counted. */
export function countingBackend(extra: Partial<Backend> = {}): { backend: Backend; reads: () => number } {
  const cpu = createCpuReferenceBackend();
  let reads = 0;
  const backend: Backend = {
    ...cpu,
    read: (h) => {
      reads++;
      return cpu.read(h);
    },
    readSync: (h) => {
      reads++;
      return cpu.readSync!(h);
    },
    ...extra,
  };
  return { backend, reads: () => reads };
}

/**
 * cpu-reference plus a host-side `fused.adamUpdate` written straight from the contract's
 * formula in float64 (so it checks core's fused wiring, not tfjs). Reads bypass the counter.
 */
export function fakeFusedBackend(): { backend: Backend; calls: () => number } {
  const cpu = createCpuReferenceBackend();
  let calls = 0;
  const shapeOf = (h: BackendHandle) => (h as unknown as { shape: number[] }).shape;
  const backend: Backend = {
    ...cpu,
    fused: {
      adamUpdate(param, grad, m, v, o) {
        calls++;
        const [p0, g0, m0, v0] = [param, grad, m, v].map((h) => cpu.readSync!(h));
        const n = p0!.length;
        const [p1, m1, v1] = [new Float32Array(n), new Float32Array(n), new Float32Array(n)];
        for (let i = 0; i < n; i++) {
          let p = p0![i]!;
          let g = g0![i]!;
          if (o.decoupledWeightDecay) p *= 1 - o.lr * o.weightDecay;
          else g += o.weightDecay * p;
          m1[i] = o.beta1 * m0![i]! + (1 - o.beta1) * g;
          v1[i] = o.beta2 * v0![i]! + (1 - o.beta2) * g * g;
          p1[i] =
            p - (o.lr * (m1[i]! / (1 - o.beta1 ** o.step))) / (Math.sqrt(v1[i]! / (1 - o.beta2 ** o.step)) + o.eps);
        }
        const shape = shapeOf(param);
        return {
          param: cpu.fromData(p1, shape, 'float32'),
          m: cpu.fromData(m1, shape, 'float32'),
          v: cpu.fromData(v1, shape, 'float32'),
        };
      },
    },
  };
  return { backend, calls: () => calls };
}
