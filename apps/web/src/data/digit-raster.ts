// A drawing turned into the UCI 8x8 digits format: the ink's bounding box is scaled to fit a
// 32x32 bitmap (keeping its aspect ratio, centred), as the dataset's authors normalised the
// scanned digits, and each 4x4 block of that bitmap gives one pixel: its count of ink cells, 0-16.

/** Bitmap side and block side of the UCI preprocessing. */
const BITMAP = 32;
const BLOCK = 4;
/** Samples per bitmap cell side when measuring ink coverage. */
const SUPERSAMPLE = 4;
/** A bitmap cell is "on" when this share of it is covered. */
const ON = 0.3;

/**
 * `ink`: one value per canvas pixel, 0 (empty) to 255 (fully inked), row-major, width x height.
 * Returns the 64 pixel values 0-16, row-major, as the digits CSV holds them.
 */
export function rasterToDigit(ink: ArrayLike<number>, width: number, height: number): Float32Array {
  let left = width;
  let right = -1;
  let top = height;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (ink[y * width + x]! > 64) {
        if (x < left) left = x;
        if (x > right) right = x;
        if (y < top) top = y;
        if (y > bottom) bottom = y;
      }
    }
  }
  const digit = new Float32Array(64);
  if (right < 0) return digit;
  const boxWidth = right - left + 1;
  const boxHeight = bottom - top + 1;
  const scale = BITMAP / Math.max(boxWidth, boxHeight);
  const offsetX = (BITMAP - boxWidth * scale) / 2;
  const offsetY = (BITMAP - boxHeight * scale) / 2;
  for (let cy = 0; cy < BITMAP; cy++) {
    for (let cx = 0; cx < BITMAP; cx++) {
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLE; sy++) {
        for (let sx = 0; sx < SUPERSAMPLE; sx++) {
          const x = Math.floor(left + (cx + (sx + 0.5) / SUPERSAMPLE - offsetX) / scale);
          const y = Math.floor(top + (cy + (sy + 0.5) / SUPERSAMPLE - offsetY) / scale);
          if (x >= left && x <= right && y >= top && y <= bottom && ink[y * width + x]! > 127) covered++;
        }
      }
      if (covered / (SUPERSAMPLE * SUPERSAMPLE) >= ON) digit[Math.floor(cy / BLOCK) * 8 + Math.floor(cx / BLOCK)]! += 1;
    }
  }
  return digit;
}
