import { philox4x32 } from '@myelin/core';
import type { TransformContext } from '../dataset.js';
import { DataError } from '../errors.js';
import { imageGeometry, type NumericArray } from '../host-array.js';
import { drawSeed } from '../random-split.js';
import type { SampleTransform } from './basic.js';

const TWO_POW_32 = 4294967296;
const FLIP_STREAM = 1;
const CROP_STREAM = 2;

/**
 * Four random uint32 words for (seed, stream, sample index, epoch): Philox is counter-based,
 * so each sample's augmentation is fixed by these alone, whatever order or prefetch depth the
 * loader uses, and a resumed run repeats it exactly.
 */
function randomWords(seed: number, stream: number, context: TransformContext, out: Uint32Array): Uint32Array {
  philox4x32(context.index, context.epoch, seed % TWO_POW_32, Math.floor(seed / TWO_POW_32), out, stream);
  return out;
}

function checkSeed(seed: number, transform: string): number {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new DataError({ source: transform, expected: 'seed a non-negative safe integer', found: `${seed}` });
  return seed;
}

type ArrayConstructor = new (length: number) => NumericArray;

export interface RandomHorizontalFlipOptions {
  /** Probability of flipping (default 0.5). */
  p?: number;
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** Mirrors x (CHW or HW) left-right with probability p; seeded per (sample, epoch). */
export function randomHorizontalFlip(options: RandomHorizontalFlipOptions = {}): SampleTransform {
  const p = options.p ?? 0.5;
  if (!(p >= 0 && p <= 1))
    throw new DataError({ source: 'randomHorizontalFlip', expected: 'p in [0, 1]', found: `${p}` });
  const seed = checkSeed(options.seed ?? drawSeed(), 'randomHorizontalFlip');
  const words = new Uint32Array(4);
  return (sample, context) => {
    if ((randomWords(seed, FLIP_STREAM, context, words)[0]! >>> 8) / 16777216 >= p) return sample;
    const { channels, height, width } = imageGeometry(sample.x.shape, 'randomHorizontalFlip');
    const source = sample.x.data;
    const data = new (source.constructor as ArrayConstructor)(source.length);
    for (let row = 0; row < channels * height; row++) {
      const start = row * width;
      for (let x = 0; x < width; x++) data[start + x] = source[start + width - 1 - x]!;
    }
    return { x: { data, shape: sample.x.shape }, y: sample.y };
  };
}

export interface RandomCropOptions {
  /** Pixels of `fill` added on every side before cropping (default 0). */
  padding?: number;
  fill?: number;
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** A random height x width window of x (CHW or HW), after optional padding; seeded per (sample, epoch). */
export function randomCrop(height: number, width: number = height, options: RandomCropOptions = {}): SampleTransform {
  const seed = checkSeed(options.seed ?? drawSeed(), 'randomCrop');
  const words = new Uint32Array(4);
  return windowCrop('randomCrop', height, width, options, (room, context) => {
    randomWords(seed, CROP_STREAM, context, words);
    return [
      Math.floor(((words[0]! >>> 8) / 16777216) * (room[0] + 1)),
      Math.floor(((words[1]! >>> 8) / 16777216) * (room[1] + 1)),
    ];
  });
}

/**
 * The height x width window at the centre of x (CHW or HW) after optional padding
 * (torchvision's CenterCrop; the evaluation counterpart of randomCrop with the same options).
 */
export function centerCrop(
  height: number,
  width: number = height,
  options: Omit<RandomCropOptions, 'seed'> = {},
): SampleTransform {
  return windowCrop('centerCrop', height, width, options, (room) => [Math.floor(room[0] / 2), Math.floor(room[1] / 2)]);
}

/**
 * Crops height x width out of x padded by `padding` on every side, at the [top, left] (in the
 * padded image) that `place` picks from the room left, [padded height - height, padded width - width].
 */
function windowCrop(
  name: string,
  height: number,
  width: number,
  options: Omit<RandomCropOptions, 'seed'>,
  place: (room: [number, number], context: TransformContext) => [number, number],
): SampleTransform {
  const padding = options.padding ?? 0;
  const fill = options.fill ?? 0;
  if (![height, width].every((v) => Number.isInteger(v) && v > 0) || !Number.isInteger(padding) || padding < 0) {
    throw new DataError({
      source: name,
      expected: 'a positive integer size and a non-negative integer padding',
      found: `${height} x ${width}, padding ${padding}`,
    });
  }
  return (sample, context) => {
    const { channels, height: inHeight, width: inWidth } = imageGeometry(sample.x.shape, name);
    const paddedHeight = inHeight + 2 * padding;
    const paddedWidth = inWidth + 2 * padding;
    if (height > paddedHeight || width > paddedWidth) {
      throw new DataError({
        source: name,
        expected: `an image of at least ${height} x ${width} after padding ${padding}`,
        found: `${inHeight} x ${inWidth} at sample ${context.index}`,
      });
    }
    const [paddedTop, paddedLeft] = place([paddedHeight - height, paddedWidth - width], context);
    const top = paddedTop - padding;
    const left = paddedLeft - padding;
    const source = sample.x.data;
    const data = new (source.constructor as ArrayConstructor)(channels * height * width);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const sourceY = top + y;
        const outRow = (c * height + y) * width;
        for (let x = 0; x < width; x++) {
          const sourceX = left + x;
          const inside = sourceY >= 0 && sourceY < inHeight && sourceX >= 0 && sourceX < inWidth;
          data[outRow + x] = inside ? source[(c * inHeight + sourceY) * inWidth + sourceX]! : fill;
        }
      }
    }
    return {
      x: { data, shape: sample.x.shape.length === 2 ? [height, width] : [channels, height, width] },
      y: sample.y,
    };
  };
}
