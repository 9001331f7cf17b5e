import { DataError } from '../errors.js';
import { imageGeometry, newFloat32, type NumericArray } from '../host-array.js';
import { drawSeed } from '../random-split.js';
import { Draws, STREAMS, checkProbability, checkSeed, sampleBox } from './augment.js';
import type { SampleTransform } from './basic.js';
import { positiveRange } from './geometry.js';

/** An image's values as a fresh float32 CHW plane set, with its geometry. */
function floatImage(
  data: NumericArray,
  shape: readonly number[],
  transform: string,
): { channels: number; plane: number; values: Float32Array } {
  const { channels, height, width } = imageGeometry(shape, transform);
  const values = newFloat32(data.length);
  values.set(data);
  return { channels, plane: height * width, values };
}

function checkColorChannels(channels: number, transform: string, index: number): void {
  if (channels !== 1 && channels !== 3)
    throw new DataError({
      source: transform,
      expected: 'an image with 1 or 3 channels',
      found: `${channels} channels at sample ${index}`,
    });
}

/** ITU-R 601-2 luma of an RGB image's pixel i (torchvision's rgb_to_grayscale weights). */
function luma(values: Float32Array, plane: number, i: number): number {
  return 0.2989 * values[i]! + 0.587 * values[plane + i]! + 0.114 * values[2 * plane + i]!;
}

/** factor · x + (1 - factor) · other(i), clamped to [0, 1] (torchvision's _blend of float images). */
function blend(values: Float32Array, factor: number, other: (i: number) => number, plane: number): void {
  for (let i = 0; i < values.length; i++)
    values[i] = Math.min(1, Math.max(0, factor * values[i]! + (1 - factor) * other(i % plane)));
}

type Adjustment = (values: Float32Array, factor: number, plane: number, channels: number) => void;

function adjustBrightness(values: Float32Array, factor: number, plane: number): void {
  blend(values, factor, () => 0, plane);
}

function adjustContrast(values: Float32Array, factor: number, plane: number, channels: number): void {
  let sum = 0;
  if (channels === 3) for (let i = 0; i < plane; i++) sum += Math.fround(luma(values, plane, i));
  else for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / (channels === 3 ? plane : values.length);
  blend(values, factor, () => mean, plane);
}

function adjustSaturation(values: Float32Array, factor: number, plane: number, channels: number): void {
  if (channels === 1) return; // as torchvision (and PIL): a gray image has no saturation
  const gray = Float32Array.from({ length: plane }, (_, i) => luma(values, plane, i));
  blend(values, factor, (i) => gray[i]!, plane);
}

/** Shifts the hue of each RGB pixel by `shift` turns (through HSV, as torchvision's adjust_hue). */
function adjustHue(values: Float32Array, shift: number, plane: number, channels: number): void {
  if (channels === 1) return;
  const clamp = (v: number): number => Math.min(1, Math.max(0, v));
  for (let i = 0; i < plane; i++) {
    const r = values[i]!;
    const g = values[plane + i]!;
    const b = values[2 * plane + i]!;
    const max = Math.max(r, g, b);
    const min = Math.min(r, g, b);
    const range = max - min;
    const s = range / (range === 0 ? 1 : max);
    const divisor = range === 0 ? 1 : range;
    const [rc, gc, bc] = [(max - r) / divisor, (max - g) / divisor, (max - b) / divisor];
    const hue6 = max === r ? bc - gc : max === g ? 2 + rc - bc : 4 + gc - rc;
    let h = ((hue6 / 6 + 1) % 1) + shift;
    h -= Math.floor(h);
    const sector = Math.floor(h * 6);
    const f = h * 6 - sector;
    const p = clamp(max * (1 - s));
    const q = clamp(max * (1 - s * f));
    const t = clamp(max * (1 - s * (1 - f)));
    const rgb = [
      [max, t, p],
      [q, max, p],
      [p, max, t],
      [p, q, max],
      [t, p, max],
      [max, p, q],
    ][sector % 6]!;
    values[i] = rgb[0]!;
    values[plane + i] = rgb[1]!;
    values[2 * plane + i] = rgb[2]!;
  }
}

export interface ColorJitterOptions {
  /** A factor uniform in [max(0, 1 - b), 1 + b] for a number b, or in [min, max]; scales the values. */
  brightness?: number | [number, number];
  /** Likewise; blends with the mean gray level. */
  contrast?: number | [number, number];
  /** Likewise; blends with the gray image (a no-op on 1-channel images). */
  saturation?: number | [number, number];
  /** A shift in [-h, h] turns for a number h <= 0.5, or in [min, max] within [-0.5, 0.5] (a no-op on 1-channel images). */
  hue?: number | [number, number];
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** torchvision's _check_input: the factor range of one ColorJitter option, or undefined when it does nothing. */
function jitterRange(
  value: number | readonly number[] | undefined,
  name: string,
  center: number,
  bound: [number, number],
): [number, number] | undefined {
  if (value === undefined) return undefined;
  let range: number[];
  if (typeof value === 'number') {
    range = value >= 0 ? [center - value, center + value] : [NaN, NaN];
    if (name !== 'hue') range[0] = Math.max(range[0]!, 0);
  } else range = [...value];
  if (!(range.length === 2 && range[0]! >= bound[0] && range[0]! <= range[1]! && range[1]! <= bound[1]))
    throw new DataError({
      source: 'colorJitter',
      expected:
        name === 'hue'
          ? 'hue a number in [0, 0.5] or a [min, max] pair within [-0.5, 0.5]'
          : `${name} a number >= 0 or a [min, max] pair of non-negative numbers`,
      found: JSON.stringify(value),
    });
  return range[0] === center && range[1] === center ? undefined : [range[0]!, range[1]!];
}

/**
 * Randomly changes brightness, contrast, saturation and hue of x (CHW RGB or 1-channel, values in
 * [0, 1]), like torchvision's ColorJitter: each given adjustment with its own random factor, the
 * four in a random order per sample.
 */
export function colorJitter(options: ColorJitterOptions = {}): SampleTransform {
  const name = 'colorJitter';
  const ranges = [
    jitterRange(options.brightness, 'brightness', 1, [0, Infinity]),
    jitterRange(options.contrast, 'contrast', 1, [0, Infinity]),
    jitterRange(options.saturation, 'saturation', 1, [0, Infinity]),
    jitterRange(options.hue, 'hue', 0, [-0.5, 0.5]),
  ];
  const adjust: Adjustment[] = [adjustBrightness, adjustContrast, adjustSaturation, adjustHue];
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), STREAMS.colorJitter);
  return (sample, context) => {
    const { channels, plane, values } = floatImage(sample.x.data, sample.x.shape, name);
    checkColorChannels(channels, name, context.index);
    draws.at(context);
    const order = [0, 1, 2, 3];
    for (let i = 3; i > 0; i--) {
      const j = draws.integer(0, i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const factors = ranges.map((range) => (range ? draws.uniform(range[0], range[1]) : 0));
    for (const k of order) if (ranges[k]) adjust[k]!(values, factors[k]!, plane, channels);
    return { x: { data: values, shape: sample.x.shape }, y: sample.y };
  };
}

/** The ITU-R 601-2 luma of an RGB (or 1-channel) image, repeated over `outChannels` channels. */
function toGrayscale(
  data: NumericArray,
  shape: readonly number[],
  outChannels: number,
  transform: string,
  index: number,
) {
  const { channels, plane, values } = floatImage(data, shape, transform);
  checkColorChannels(channels, transform, index);
  // As torchvision: a 1-channel image stays 1-channel whatever the count asked for.
  if (channels === 1) outChannels = 1;
  const out = newFloat32(outChannels * plane);
  for (let i = 0; i < plane; i++) {
    const gray = channels === 3 ? luma(values, plane, i) : values[i]!;
    for (let c = 0; c < outChannels; c++) out[c * plane + i] = gray;
  }
  const { height, width } = imageGeometry(shape, transform);
  return { data: out, shape: shape.length === 2 && outChannels === 1 ? [height, width] : [outChannels, height, width] };
}

export interface GrayscaleOptions {
  /** 1 (default) or 3 (the gray level repeated, for models that expect RGB; a 1-channel image stays 1-channel, as in torchvision). */
  numOutputChannels?: 1 | 3;
}

/** Converts x (CHW RGB, or 1-channel) to gray with torchvision's weights 0.2989 R + 0.587 G + 0.114 B. */
export function grayscale(options: GrayscaleOptions = {}): SampleTransform {
  const outChannels = options.numOutputChannels ?? 1;
  if (outChannels !== 1 && outChannels !== 3)
    throw new DataError({ source: 'grayscale', expected: 'numOutputChannels 1 or 3', found: `${outChannels}` });
  return (sample, context) => ({
    x: toGrayscale(sample.x.data, sample.x.shape, outChannels, 'grayscale', context.index),
    y: sample.y,
  });
}

export interface RandomGrayscaleOptions {
  /** Probability of converting (default 0.1). */
  p?: number;
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/** Converts x to gray with probability p, keeping its number of channels (torchvision's RandomGrayscale). */
export function randomGrayscale(options: RandomGrayscaleOptions = {}): SampleTransform {
  const p = checkProbability(options.p, 0.1, 'randomGrayscale');
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), 'randomGrayscale'), STREAMS.grayscale);
  return (sample, context) => {
    if (draws.at(context).uniform() >= p) return sample;
    const { channels } = imageGeometry(sample.x.shape, 'randomGrayscale');
    return { x: toGrayscale(sample.x.data, sample.x.shape, channels, 'randomGrayscale', context.index), y: sample.y };
  };
}

export interface GaussianBlurOptions {
  /** The standard deviation: a number, or a [min, max] range to draw it from per sample (default [0.1, 2]). */
  sigma?: number | [number, number];
  /** Default: drawn from core's default generator. */
  seed?: number;
}

function gaussianKernel(size: number, sigma: number): Float64Array {
  const half = (size - 1) / 2;
  const kernel = Float64Array.from({ length: size }, (_, i) => Math.exp(-0.5 * ((i - half) / sigma) ** 2));
  const sum = kernel.reduce((a, b) => a + b, 0);
  return kernel.map((v) => v / sum);
}

/**
 * Blurs x (CHW or HW) with a Gaussian kernel of `kernelSize` (odd; a number, or [width, height]
 * as torchvision orders it) and a sigma drawn per sample, like torchvision's GaussianBlur:
 * reflect padding of half the kernel, so the image keeps its size.
 */
export function gaussianBlur(
  kernelSize: number | [number, number],
  options: GaussianBlurOptions = {},
): SampleTransform {
  const name = 'gaussianBlur';
  const [kx, ky] = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : kernelSize;
  if (![kx, ky].every((k) => Number.isInteger(k) && k! > 0 && k! % 2 === 1))
    throw new DataError({
      source: name,
      expected: 'kernelSize a positive odd integer or [width, height] of them',
      found: JSON.stringify(kernelSize) ?? String(kernelSize),
    });
  const sigma = options.sigma ?? [0.1, 2];
  const [low, high] = positiveRange(typeof sigma === 'number' ? [sigma, sigma] : sigma, 'sigma', name);
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), STREAMS.blur);
  return (sample, context) => {
    const s = draws.at(context).uniform(low, high);
    const { channels, height, width } = imageGeometry(sample.x.shape, name);
    const [hx, hy] = [(kx! - 1) / 2, (ky! - 1) / 2];
    if (hx >= width || hy >= height)
      throw new DataError({
        source: name,
        expected: `an image larger than half the kernel ${kx} x ${ky} (reflect padding)`,
        found: `${height} x ${width} at sample ${context.index}`,
      });
    const reflect = (p: number, n: number): number => (p < 0 ? -p : p >= n ? 2 * (n - 1) - p : p);
    const [kernelX, kernelY] = [gaussianKernel(kx!, s), gaussianKernel(ky!, s)];
    const source = sample.x.data;
    const rows = new Float64Array(height * width);
    const out = newFloat32(channels * height * width);
    for (let c = 0; c < channels; c++) {
      const base = c * height * width;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let k = 0; k < kx!; k++) sum += kernelX[k]! * source[base + y * width + reflect(x + k - hx, width)]!;
          rows[y * width + x] = sum;
        }
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          let sum = 0;
          for (let k = 0; k < ky!; k++) sum += kernelY[k]! * rows[reflect(y + k - hy, height) * width + x]!;
          out[base + y * width + x] = sum;
        }
    }
    return { x: { data: out, shape: sample.x.shape }, y: sample.y };
  };
}

export interface RandomErasingOptions {
  /** Probability of erasing (default 0.5). */
  p?: number;
  /** The range of the erased area as a fraction of the image's (default [0.02, 0.33]). */
  scale?: [number, number];
  /** The range of its aspect ratio, sampled log-uniformly (default [0.3, 3.3]). */
  ratio?: [number, number];
  /** The erased value: a number (default 0), one per channel, or 'random' (standard normal noise). */
  value?: number | number[] | 'random';
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/**
 * Erases a random rectangle of x (CHW or HW) with probability p, like torchvision's
 * RandomErasing: up to 10 tries of an area fraction in `scale` and a log-uniform aspect ratio
 * in `ratio` that fits inside the image; when none fits the image is left as it is.
 */
export function randomErasing(options: RandomErasingOptions = {}): SampleTransform {
  const name = 'randomErasing';
  const p = checkProbability(options.p, 0.5, name);
  const scale = options.scale ?? [0.02, 0.33];
  if (!(scale.length === 2 && scale[0] >= 0 && scale[0] <= scale[1] && scale[1] <= 1))
    throw new DataError({
      source: name,
      expected: 'scale a [min, max] pair within [0, 1], min <= max',
      found: JSON.stringify(scale),
    });
  const [ratioLow, ratioHigh] = positiveRange(options.ratio ?? [0.3, 3.3], 'ratio', name);
  const value = options.value ?? 0;
  const values = typeof value === 'number' ? [value] : value;
  if (value !== 'random' && !(Array.isArray(values) && values.length > 0 && values.every(Number.isFinite)))
    throw new DataError({
      source: name,
      expected: "value a finite number, a list of them (one per channel) or 'random'",
      found: JSON.stringify(value) ?? String(value),
    });
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), STREAMS.erasing);
  return (sample, context) => {
    if (draws.at(context).uniform() >= p) return sample;
    const { channels, height, width } = imageGeometry(sample.x.shape, name);
    if (value !== 'random' && values.length !== 1 && values.length !== channels)
      throw new DataError({
        source: name,
        expected: `value one number or ${channels} (one per channel)`,
        found: `${(values as number[]).length} values`,
      });
    // Here the ratio is height / width, as in torchvision's RandomErasing.
    const box = sampleBox(draws, height, width, [scale[0], scale[1]], [ratioLow, ratioHigh], (h, w) =>
      h < height && w < width ? [h, w] : undefined,
    );
    if (box) {
      const [top, left, h, w] = box;
      const source = sample.x.data;
      const data = newFloat32(source.length);
      data.set(source);
      for (let c = 0; c < channels; c++)
        for (let y = top; y < top + h; y++)
          for (let x = left; x < left + w; x++)
            data[(c * height + y) * width + x] =
              value === 'random' ? draws.normal() : (values as number[])[values.length === 1 ? 0 : c]!;
      return { x: { data, shape: sample.x.shape }, y: sample.y };
    }
    return sample;
  };
}
