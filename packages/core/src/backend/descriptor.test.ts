import { describe, expect, it } from 'vitest';
import { BackendError } from '../errors.js';
import { byPriority, chooseBackend, describeChoice, isBackendDescriptor, type AutoCandidate } from './descriptor.js';
import type { BackendProbe } from './registry.js';

const fake = (name: string, priority: number, probe: BackendProbe) => ({ name, priority, result: probe });
const probeOf = async (candidate: AutoCandidate & { result: BackendProbe }) => candidate.result;

describe('chooseBackend (--backend auto)', () => {
  it('takes the usable backend of highest priority and says what it passed over', async () => {
    const candidates = [
      fake('cpu-reference', 10, { usable: true }),
      fake('wasm', 20, { usable: true }),
      fake('cuda', 40, { usable: false, reason: 'no CUDA driver\nsecond line' }),
      fake('cpu', 30, { usable: false, reason: '@myelin/backend-cpu is not installed' }),
    ];
    const choice = await chooseBackend(candidates, probeOf);
    expect(choice.descriptor.name).toBe('wasm');
    expect(choice.skipped.map((s) => s.name)).toEqual(['cuda', 'cpu']);
    expect(describeChoice(choice)).toBe(
      'auto: highest-priority usable backend; cuda: no CUDA driver; cpu: @myelin/backend-cpu is not installed',
    );
  });

  it('probes no further than the first usable backend', async () => {
    const probed: string[] = [];
    const candidates = [fake('a', 3, { usable: true }), fake('b', 2, { usable: true }), fake('c', 1, { usable: true })];
    await chooseBackend(candidates, async (c) => (probed.push(c.name), c.result));
    expect(probed).toEqual(['a']);
  });

  it('passes over a backend that is usable but says auto: false (a software GPU adapter)', async () => {
    const candidates = [
      fake('webgpu', 15, { usable: true, auto: false, reason: 'software adapter (llvmpipe)' }),
      fake('cpu-reference', 10, { usable: true }),
    ];
    const choice = await chooseBackend(candidates, probeOf);
    expect(choice.descriptor.name).toBe('cpu-reference');
    expect(choice.skipped).toEqual([{ name: 'webgpu', reason: 'software adapter (llvmpipe)' }]);
  });

  it('falls back to an auto: false backend when it is the only usable one', async () => {
    const candidates = [
      fake('wasm', 20, { usable: false, reason: 'no WebAssembly' }),
      fake('webgpu', 15, { usable: true, auto: false, reason: 'software adapter' }),
    ];
    const choice = await chooseBackend(candidates, probeOf);
    expect(choice.descriptor.name).toBe('webgpu');
    expect(choice.skipped).toEqual([{ name: 'wasm', reason: 'no WebAssembly' }]);
    expect(choice.reason).toMatch(/only usable backend/);
  });

  it('treats a probe that throws as unusable, and throws a BackendError listing every reason when none is usable', async () => {
    const candidates = [fake('x', 2, { usable: false, reason: 'missing libfoo' }), fake('y', 1, { usable: true })];
    const probe = async (c: (typeof candidates)[number]) => {
      if (c.name === 'y') throw new Error('crashed');
      return c.result;
    };
    const error = await chooseBackend(candidates, probe).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendError);
    expect((error as Error).message).toBe('no usable backend here: x: missing libfoo; y: crashed');
  });

  it('orders by priority, keeping list order on ties', () => {
    const order = byPriority([
      fake('a', 1, { usable: true }),
      fake('b', 5, { usable: true }),
      fake('c', 1, { usable: true }),
    ]);
    expect(order.map((d) => d.name)).toEqual(['b', 'a', 'c']);
  });
});

describe('isBackendDescriptor', () => {
  it('accepts a descriptor and rejects anything else', () => {
    const descriptor = {
      name: 'x',
      title: 'X',
      description: 'd',
      packageName: '@myelin/backend-x',
      install: 'npm install @myelin/backend-x',
      priority: 1,
      probe: async () => ({ usable: true }),
      create: async () => ({}),
      register: async () => ({}),
    };
    expect(isBackendDescriptor(descriptor)).toBe(true);
    expect(isBackendDescriptor({ ...descriptor, probe: undefined })).toBe(false);
    expect(isBackendDescriptor(null)).toBe(false);
  });
});
