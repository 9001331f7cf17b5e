// Row reductions over rows long enough for the kernels' 8-lane loops (the conformance suite's
// rows have 3-5 elements): every length from 1 to 40, so each lane and every tail length is
// covered, against plain loops; NaN anywhere wins, -Infinity rows stay -Infinity.
import { describe, expect, it } from 'vitest';
import { createCpuBackend } from './index.js';

const backend = createCpuBackend({ threads: 1 });

function rowMax(values: Float64Array, dtype: 'float32' | 'float64', length: number): number[] {
  const rows = values.length / length;
  const x = backend.fromData(values, [rows, length], dtype);
  const y = backend.reduce('max', x, [1], false);
  const out = Array.from(backend.readSync!(y));
  backend.dispose(x);
  backend.dispose(y);
  return out;
}

function expected(values: Float64Array, length: number, round: (v: number) => number): number[] {
  const out: number[] = [];
  for (let start = 0; start < values.length; start += length) {
    let best = -Infinity;
    for (let i = start; i < start + length; i++) {
      const v = round(values[i]!);
      if (Number.isNaN(v) || Number.isNaN(best)) best = NaN;
      else if (v > best) best = v;
    }
    out.push(best);
  }
  return out;
}

describe('reduce max over rows of every length 1..40', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const round = dtype === 'float32' ? Math.fround : (v: number) => v;
    it(`${dtype}: random values, the maximum in each position`, () => {
      for (let length = 1; length <= 40; length++) {
        // One row per position of the maximum (lane or tail), 3 extra rows of plain random values.
        const rows = length + 3;
        const values = Float64Array.from({ length: rows * length }, (_, i) => Math.sin(i * 12.9898 + length) * 100);
        for (let r = 0; r < length; r++) values[r * length + r] = 1000 + r;
        expect(rowMax(values, dtype, length), `length ${length}`).toEqual(expected(values, length, round));
      }
    });

    it(`${dtype}: a NaN in any position makes the row NaN; -Infinity rows stay -Infinity`, () => {
      for (let length = 1; length <= 40; length++) {
        const values = Float64Array.from({ length: length * length }, (_, i) => (i % 7) - 3);
        for (let r = 0; r < length; r++) values[r * length + r] = NaN;
        expect(rowMax(values, dtype, length), `length ${length}`).toEqual(new Array(length).fill(NaN));
        const low = new Float64Array(length).fill(-Infinity);
        expect(rowMax(low, dtype, length)).toEqual([-Infinity]);
      }
    });
  }
});
