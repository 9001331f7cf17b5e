import { describe, expect, it } from 'vitest';
import { rasterToDigit } from './digit-raster.js';

function canvas(width: number, height: number, paint: (x: number, y: number) => boolean): Uint8Array {
  const ink = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) ink[y * width + x] = paint(x, y) ? 255 : 0;
  return ink;
}

describe('rasterToDigit', () => {
  it('gives zeros for an empty canvas', () => {
    expect([...rasterToDigit(new Uint8Array(100 * 100), 100, 100)]).toEqual(new Array(64).fill(0));
  });

  it('fills every pixel with 16 for a fully inked square, wherever and however large it is drawn', () => {
    const small = rasterToDigit(
      canvas(200, 200, (x, y) => x >= 20 && x < 60 && y >= 100 && y < 140),
      200,
      200,
    );
    const large = rasterToDigit(
      canvas(200, 200, (x, y) => x >= 10 && x < 190 && y >= 10 && y < 190),
      200,
      200,
    );
    expect([...small]).toEqual(new Array(64).fill(16));
    expect([...large]).toEqual(new Array(64).fill(16));
  });

  it('scales a tall stroke to the full height and centres it, like the UCI bitmaps', () => {
    // A vertical bar 20 px wide and 160 px tall: 32 bitmap rows, about 4 bitmap columns in the middle.
    const digit = rasterToDigit(
      canvas(200, 200, (x, y) => x >= 90 && x < 110 && y >= 20 && y < 180),
      200,
      200,
    );
    for (let row = 0; row < 8; row++) {
      expect(digit[row * 8 + 0]).toBe(0);
      expect(digit[row * 8 + 7]).toBe(0);
      expect(digit[row * 8 + 3]! + digit[row * 8 + 4]!).toBeGreaterThanOrEqual(12);
    }
    expect(Math.max(...digit)).toBeLessThanOrEqual(16);
  });
});
