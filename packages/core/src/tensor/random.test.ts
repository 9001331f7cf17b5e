import { describe, expect, it } from 'vitest';
import { Generator, philox4x32 } from './random.js';

describe('Philox4x32-10', () => {
  // Known-answer vectors from the Random123 distribution (kat_vectors).
  it('matches the Random123 known-answer vectors', () => {
    const out = new Uint32Array(4);
    philox4x32(0, 0, 0, 0, out);
    expect([...out].map((w) => w.toString(16).padStart(8, '0'))).toEqual([
      '6627e8d5',
      'e169c58d',
      'bc57ac4c',
      '9b00dbd8',
    ]);
    philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out, 0xffffffff, 0xffffffff);
    expect([...out].map((w) => w.toString(16).padStart(8, '0'))).toEqual([
      '408f276d',
      '41c83b0e',
      'a20bc7c6',
      '6d5451fd',
    ]);
    philox4x32(0x243f6a88, 0x85a308d3, 0xa4093822, 0x299f31d0, out, 0x13198a2e, 0x03707344);
    expect([...out].map((w) => w.toString(16).padStart(8, '0'))).toEqual([
      'd16cfe09',
      '94fdcceb',
      '5001e420',
      '24126ea1',
    ]);
  });
});

describe('Generator', () => {
  it('gives the same stream for the same seed and a different one for another seed', () => {
    expect(new Generator(7).uniform(10)).toEqual(new Generator(7).uniform(10));
    expect(new Generator(7).uniform(10)).not.toEqual(new Generator(8).uniform(10));
  });

  it('continues exactly from a saved state', () => {
    const a = new Generator(3);
    a.uniform(5);
    const state = a.getState();
    const next = a.normal(6);
    expect(new Generator().setState(state).normal(6)).toEqual(next);
  });

  it('draws uniform values in range with the right moments', () => {
    const values = new Generator(1).uniform(20000, -1, 3);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThan(3);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean).toBeCloseTo(1, 1);
  });

  it('draws normals with mean 0 and std 1', () => {
    const values = new Generator(2).normal(20001);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
    expect(mean).toBeCloseTo(0, 1);
    expect(Math.sqrt(variance)).toBeCloseTo(1, 1);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('makes permutations of 0..n-1', () => {
    const permutation = [...new Generator(5).permutation(100)];
    expect([...permutation].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(permutation).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('rejects bad seeds and ranges with the value seen', () => {
    expect(() => new Generator(-1)).toThrow(/seed must be a non-negative safe integer, got -1/);
    expect(() => new Generator(1).integers(3, 5, 5)).toThrow(/low=5, high=5/);
  });
});
