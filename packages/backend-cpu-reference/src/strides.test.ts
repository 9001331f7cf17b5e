import { describe, expect, it } from 'vitest';
import { broadcastStrides, collapseLoop, contiguousStrides, copyStrided, RowCursor } from './strides.js';

describe('strides', () => {
  it('contiguous and broadcast strides', () => {
    expect(contiguousStrides([2, 3, 4])).toEqual([12, 4, 1]);
    expect(contiguousStrides([])).toEqual([]);
    expect(broadcastStrides([3, 1], [2, 3, 5])).toEqual([0, 1, 0]);
  });

  it('collapses same-shape and scalar operands to one axis', () => {
    expect(
      collapseLoop(
        [2, 3, 4],
        [
          [12, 4, 1],
          [12, 4, 1],
        ],
      ),
    ).toEqual({ shape: [24], strides: [[1], [1]] });
    expect(
      collapseLoop(
        [2, 3, 4],
        [
          [12, 4, 1],
          [0, 0, 0],
        ],
      ),
    ).toEqual({ shape: [24], strides: [[1], [0]] });
    expect(collapseLoop([1, 1], [[0, 0]])).toEqual({ shape: [1], strides: [[0]] });
  });

  it('keeps axes apart where an operand breaks the pattern', () => {
    // [2,3,4] + [4]: the first two axes merge, the last stays apart.
    expect(
      collapseLoop(
        [2, 3, 4],
        [
          [12, 4, 1],
          [0, 0, 1],
        ],
      ),
    ).toEqual({
      shape: [6, 4],
      strides: [
        [4, 1],
        [0, 1],
      ],
    });
    // [2,3,4] + [3,1]: nothing merges.
    expect(
      collapseLoop(
        [2, 3, 4],
        [
          [12, 4, 1],
          [0, 1, 0],
        ],
      ).shape,
    ).toEqual([2, 3, 4]);
  });

  it('the cursor walks rows like an odometer', () => {
    const cursor = new RowCursor({ shape: [2, 3, 4], strides: [[100, 10, 1]] }, [5]);
    const starts: number[] = [];
    for (let row = 0; row < 6; row++, cursor.next()) starts.push(cursor.offsets[0]!);
    expect(starts).toEqual([5, 15, 25, 105, 115, 125]);
    expect(cursor.offsets[0]).toBe(5);
  });

  it('copyStrided copies a box between strided layouts', () => {
    const source = Float32Array.from({ length: 12 }, (_, i) => i);
    const target = new Float32Array(4);
    copyStrided(source, 5, [4, 1], target, 0, [2, 1], [2, 2]);
    expect(Array.from(target)).toEqual([5, 6, 9, 10]);
  });
});
