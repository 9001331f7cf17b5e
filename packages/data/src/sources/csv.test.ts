import { describe, expect, it } from 'vitest';
import type { HostArray } from '../host-array.js';
import { parseCsv } from './csv.js';

describe('parseCsv', () => {
  it('reads whitespace-separated rows with the label last, skipping comments and blank lines', () => {
    const table = parseCsv('# x1 x2 y\n0 0 0\n0 1 1\n\n1 0 1   # trailing comment\n1 1 0\n');
    expect(table.x.shape).toEqual([4, 2]);
    expect(Array.from(table.x.data)).toEqual([0, 0, 0, 1, 1, 0, 1, 1]);
    expect(Array.from(table.y.data)).toEqual([0, 1, 1, 0]);
    expect(table.y.data).toBeInstanceOf(Int32Array);
    expect(table.get(2).y).toBe(1);
  });

  it('detects a header, picks the label column by name or index, and takes float targets', () => {
    const text = 'label,"a",b\n1,0.5,-2e1\n0,1.5,.25\n';
    const byName = parseCsv(text, { labelColumn: 'label' });
    expect(byName.columns).toEqual(['label', 'a', 'b']);
    expect(byName.labelName).toBe('label');
    expect(Array.from(byName.x.data)).toEqual([0.5, -20, 1.5, 0.25]);
    expect(Array.from(byName.y.data)).toEqual([1, 0]);
    expect(Array.from(parseCsv(text, { labelColumn: 0 }).y.data)).toEqual([1, 0]);
    const real = parseCsv('1;2;0.5\n3;4;1.5\n');
    expect(real.y.data).toBeInstanceOf(Float32Array);
    expect((real.get(1).y as HostArray).data[0]).toBe(1.5);
    expect(parseCsv('1\t2\t0\n', { targetDtype: 'float32' }).y.data).toBeInstanceOf(Float32Array);
  });

  it('names the line, the expected and the found column count', () => {
    expect(() => parseCsv('1,2,0\n3,4\n', { source: 'data.csv' })).toThrow(
      "data.csv:2: expected 3 columns (as in line 1), found 2: '3,4'",
    );
    expect(() => parseCsv('a b c\n1 2 0\n3 4 5 1\n', { source: 't.txt' })).toThrow(
      /t.txt:3: expected 3 columns \(as in line 1\), found 4/,
    );
  });

  it('names the line, column and text of a non-number', () => {
    expect(() => parseCsv('1,2,0\n3,x4,1\n', { source: 'data.csv' })).toThrow(
      "data.csv:2: expected a number in column 2, found 'x4'",
    );
    expect(() => parseCsv('1,,0\n', { header: false, source: 'e.csv' })).toThrow(
      "e.csv:1: expected a number in column 2, found ''",
    );
    expect(() => parseCsv('1,0x10,0\n', { header: false })).toThrow(/expected a number in column 2, found '0x10'/);
    expect(() => parseCsv('1,1e999,0\n', { header: false })).toThrow(/expected a finite number in column 2/);
  });

  it('names file, line, column, value and range of a value its dtype cannot hold (it would wrap or become Infinity)', () => {
    expect(() => parseCsv('1,2,0\n3,4,3000000000\n', { source: 'big.csv' })).toThrow(
      "big.csv:2: expected an int32 value in column 3 (-2147483648 to 2147483647), found '3000000000', out of range",
    );
    expect(() => parseCsv('1,2,0\n1e39,4,1\n', { source: 'x.csv' })).toThrow(
      "x.csv:2: expected a float32 value in column 1 (±3.4028234663852886e38), found '1e39', out of range",
    );
    expect(() => parseCsv('1,0.5\n2,-1e39\n', { source: 'y.csv' })).toThrow(
      "y.csv:2: expected a float32 value in column 2 (±3.4028234663852886e38), found '-1e39', out of range",
    );
    expect(() => parseCsv('1,0\n2,5e9\n', { source: 'z.csv', targetDtype: 'float32' })).not.toThrow();
  });

  it('rejects empty input, a header alone, a single column, bad label columns and fractional class labels', () => {
    expect(() => parseCsv('# nothing\n\n')).toThrow(/expected at least one row of numbers, found no data/);
    expect(() => parseCsv('a,b\n')).toThrow(/at least one data row after the header/);
    expect(() => parseCsv('1\n2\n')).toThrow(/at least two columns/);
    expect(() => parseCsv('a,b\n1,2\n', { labelColumn: 'c' })).toThrow(
      "CSV text: expected a column named 'c', found columns 'a', 'b'",
    );
    expect(() => parseCsv('1,2\n', { labelColumn: 2 })).toThrow(/labelColumn in \[-2, 2\), found 2/);
    expect(() => parseCsv('1,2.5\n', { targetDtype: 'int32', source: 'f.csv' })).toThrow(
      'f.csv:1: expected an integer class label (or targetDtype "float32"), found 2.5',
    );
  });
});
