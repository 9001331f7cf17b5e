import { philox4x32 } from '@myelin/core';
import type { TransformContext } from '../dataset.js';
import { DataError } from '../errors.js';
import { imageGeometry, type NumericArray } from '../host-array.js';
import { drawSeed } from '../random-split.js';
import type { SampleTransform } from './basic.js';

const TWO_POW_32 = 4294967296;

/** One Philox stream per random transform, so two transforms with one seed draw different numbers. */
export const STREAMS = {
  horizontalFlip: 1,
  crop: 2,
  verticalFlip: 3,
  rotation: 4,
  resizedCrop: 5,
  colorJitter: 6,
  erasing: 7,
  grayscale: 8,
  blur: 9,
  apply: 10,
  choice: 11,
} as const;

/** Streams a read of a sample may use: its n-th repeat in an epoch draws from stream + n * STREAM_SPAN. */
const STREAM_SPAN = 256;

/**
 * A sample's random numbers, from the Philox blocks of (seed, stream, sample index, epoch):
 * Philox is counter-based, so each sample's augmentation is fixed by these alone, whatever
 * order or prefetch depth the loader uses, and a resumed run repeats it exactly.
 */
export class Draws {
  readonly #keyLo: number;
  readonly #keyHi: number;
  readonly #stream: number;
  readonly #words = new Uint32Array(4);
  #context: TransformContext = { index: 0, epoch: 0 };
  #block = 0;
  #used = 4;

  constructor(seed: number, stream: number) {
    this.#keyLo = seed % TWO_POW_32;
    this.#keyHi = Math.floor(seed / TWO_POW_32);
    this.#stream = stream;
  }

  /** Restarts at the first number of `context`'s sample. */
  at(context: TransformContext): this {
    this.#context = context;
    this.#block = 0;
    this.#used = 4;
    return this;
  }

  /** Uniform in [low, high), with 24 random bits. */
  uniform(low = 0, high = 1): number {
    if (this.#used === 4) {
      const { index, epoch, occurrence = 0 } = this.#context;
      // A repeated read of the index (a sampler with replacement) draws its own numbers; the
      // first read's are those of a run without repeats.
      const stream = this.#stream + occurrence * STREAM_SPAN;
      philox4x32(index, epoch, this.#keyLo, this.#keyHi, this.#words, stream, this.#block++);
      this.#used = 0;
    }
    return low + (high - low) * ((this.#words[this.#used++]! >>> 8) / 16777216);
  }

  /** An integer uniform in [low, high). */
  integer(low: number, high: number): number {
    return low + Math.floor(this.uniform() * (high - low));
  }

  /** A standard normal (Box-Muller on two uniforms). */
  normal(): number {
    const u1 = this.uniform() + 2 ** -25;
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * this.uniform());
  }
}

export function checkSeed(seed: number, transform: string): number {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new DataError({ source: transform, expected: 'seed a non-negative safe integer', found: `${seed}` });
  return seed;
}

/** A probability option (default `fallback`), checked to lie in [0, 1]. */
export function checkProbability(p: number | undefined, fallback: number, transform: string): number {
  const value = p ?? fallback;
  if (!(typeof value === 'number' && value >= 0 && value <= 1))
    throw new DataError({ source: transform, expected: 'p in [0, 1]', found: `${value}` });
  return value;
}

/** Python's round(): halves to the even neighbour (torchvision's int(round(...))). */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const fraction = value - floor;
  if (fraction !== 0.5) return Math.round(value);
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * torchvision's box sampling (RandomResizedCrop, RandomErasing): up to 10 tries of an area
 * uniform in area · [scale] and an aspect ratio log-uniform in [ratio]; the first
 * [round(sqrt(area · ratio)), round(sqrt(area / ratio))] that `fits` (then a uniform position
 * for it: [top, left, those two sides]), or undefined when none does.
 */
export function sampleBox(
  draws: Draws,
  height: number,
  width: number,
  scale: readonly [number, number],
  ratio: readonly [number, number],
  fits: (first: number, second: number) => [number, number] | undefined,
): [number, number, number, number] | undefined {
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * draws.uniform(scale[0], scale[1]);
    const aspect = Math.exp(draws.uniform(Math.log(ratio[0]), Math.log(ratio[1])));
    const box = fits(roundHalfEven(Math.sqrt(target * aspect)), roundHalfEven(Math.sqrt(target / aspect)));
    if (box) return [draws.integer(0, height - box[0] + 1), draws.integer(0, width - box[1] + 1), box[0], box[1]];
  }
  return undefined;
}

export type ArrayConstructor = new (length: number) => NumericArray;

export interface RandomHorizontalFlipOptions {
  /** Probability of flipping (default 0.5). */
  p?: number;
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** Mirrors x (CHW or HW) left-right with probability p; seeded per (sample, epoch). */
export function randomHorizontalFlip(options: RandomHorizontalFlipOptions = {}): SampleTransform {
  return randomFlip('randomHorizontalFlip', STREAMS.horizontalFlip, false, options);
}

/** Mirrors x (CHW or HW) top-bottom with probability p (default 0.5); seeded per (sample, epoch). */
export function randomVerticalFlip(options: RandomHorizontalFlipOptions = {}): SampleTransform {
  return randomFlip('randomVerticalFlip', STREAMS.verticalFlip, true, options);
}

function randomFlip(
  name: string,
  stream: number,
  vertical: boolean,
  options: RandomHorizontalFlipOptions,
): SampleTransform {
  const p = checkProbability(options.p, 0.5, name);
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), stream);
  return (sample, context) => {
    if (draws.at(context).uniform() >= p) return sample;
    const { channels, height, width } = imageGeometry(sample.x.shape, name);
    const source = sample.x.data;
    const data = new (source.constructor as ArrayConstructor)(source.length);
    for (let c = 0; c < channels; c++) {
      for (let y = 0; y < height; y++) {
        const start = (c * height + y) * width;
        if (vertical) data.set(source.subarray(start, start + width), (c * height + height - 1 - y) * width);
        else for (let x = 0; x < width; x++) data[start + x] = source[start + width - 1 - x]!;
      }
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
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), 'randomCrop'), STREAMS.crop);
  return windowCrop('randomCrop', height, width, options, (room, context) => {
    draws.at(context);
    return [draws.integer(0, room[0] + 1), draws.integer(0, room[1] + 1)];
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
