import { describe, expect, it } from 'vitest';
import { WEB_BACKENDS, webBackend } from './backends.js';

describe('the bundled backends', () => {
  it('come from the backend packages’ descriptors: unique names, a title and a description each', () => {
    const names = WEB_BACKENDS.map((d) => d.name);
    expect(names).toEqual(['webgpu', 'wasm', 'cpu-reference']);
    for (const descriptor of WEB_BACKENDS) {
      expect(descriptor.title).toMatch(/\S/);
      expect(descriptor.description).toMatch(/\S/);
      expect(descriptor.priority).toBeGreaterThan(0);
    }
    expect(webBackend('wasm')?.title).toBe('WebAssembly');
    expect(webBackend('cuda')).toBeUndefined();
  });
});
