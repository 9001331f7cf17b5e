import { DataError } from '../errors.js';
import { imageGeometry, newFloat32, type HostArray } from '../host-array.js';
import { drawSeed } from '../random-split.js';
import { Draws, STREAMS, checkSeed, roundHalfEven, sampleBox, type ArrayConstructor } from './augment.js';
import type { SampleTransform } from './basic.js';
import { resizeBilinear } from './resize.js';

/** A [min, max] range from a number n (as [-n, n], n >= 0) or a pair with min <= max. */
function symmetricRange(value: number | readonly number[], name: string, transform: string): [number, number] {
  const range = typeof value === 'number' ? [-value, value] : [...value];
  if (
    (typeof value === 'number' && !(value >= 0)) ||
    range.length !== 2 ||
    !range.every(Number.isFinite) ||
    range[0]! > range[1]!
  )
    throw new DataError({
      source: transform,
      expected: `${name} a number >= 0 or a [min, max] pair`,
      found: JSON.stringify(value) ?? String(value),
    });
  return [range[0]!, range[1]!];
}

/** A [min, max] pair of positive numbers with min <= max. */
export function positiveRange(value: readonly number[], name: string, transform: string): [number, number] {
  if (!(value.length === 2 && value[0]! > 0 && value[0]! <= value[1]! && Number.isFinite(value[1])))
    throw new DataError({
      source: transform,
      expected: `${name} a [min, max] pair of positive numbers, min <= max`,
      found: JSON.stringify(value),
    });
  return [value[0]!, value[1]!];
}

/** A fill value per channel from one number or a list of `channels` numbers. */
function fillPerChannel(fill: number | readonly number[], channels: number, transform: string): number[] {
  if (typeof fill === 'number') return new Array<number>(channels).fill(fill);
  if (fill.length === 1) return new Array<number>(channels).fill(fill[0]!);
  if (fill.length !== channels)
    throw new DataError({
      source: transform,
      expected: `fill one number or ${channels} (one per channel)`,
      found: `${fill.length} values`,
    });
  return [...fill];
}

function checkFill(fill: number | readonly number[], transform: string): void {
  const values = typeof fill === 'number' ? [fill] : fill;
  if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === 'number' && isFinite(v)))
    throw new DataError({
      source: transform,
      expected: 'fill a finite number or a list of them',
      found: JSON.stringify(fill) ?? String(fill),
    });
}

function withImage(sample: { x: HostArray; y: HostArray | number }, data: HostArray['data'], shape: number[]) {
  return { x: { data, shape: sample.x.shape.length === 2 ? shape.slice(1) : shape }, y: sample.y };
}

export interface RandomRotationOptions {
  /** 'nearest' (default, like torchvision) or 'bilinear'. */
  interpolation?: 'nearest' | 'bilinear';
  /** The value of pixels rotated in from outside the image: one number or one per channel (default 0). */
  fill?: number | number[];
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/**
 * Rotates x (CHW or HW) about its centre by an angle drawn uniformly from `degrees` ([-d, d] for a
 * number d, or [min, max]), counter-clockwise for positive angles, keeping its size, like
 * torchvision's RandomRotation (expand=False): each output pixel samples the input at its
 * inversely rotated position (grid_sample, align_corners=False) and pixels from outside take `fill`.
 */
export function randomRotation(
  degrees: number | [number, number],
  options: RandomRotationOptions = {},
): SampleTransform {
  const name = 'randomRotation';
  const [low, high] = symmetricRange(degrees, 'degrees', name);
  const interpolation = options.interpolation ?? 'nearest';
  if (interpolation !== 'nearest' && interpolation !== 'bilinear')
    throw new DataError({
      source: name,
      expected: "interpolation 'nearest' or 'bilinear'",
      found: `'${interpolation}'`,
    });
  const fill = options.fill ?? 0;
  checkFill(fill, name);
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), STREAMS.rotation);
  return (sample, context) => {
    const angle = draws.at(context).uniform(low, high);
    const { channels, height, width } = imageGeometry(sample.x.shape, name);
    const fills = fillPerChannel(fill, channels, name);
    const radians = (-angle * Math.PI) / 180;
    const cos = Math.fround(Math.cos(radians));
    const sin = Math.fround(Math.sin(radians));
    const source = sample.x.data;
    const plane = height * width;
    const data = newFloat32(channels * plane);
    // torchvision's float32 affine grid: centred pixel coordinates times the inverse rotation
    // scaled to [-1, 1], then unnormalised as grid_sample does; rounded to float32 at each step
    // so that ties in nearest mode (a 90-degree turn of an even-sized side) break as torch's do.
    const f = Math.fround;
    const [xx, xy] = [f(cos / (width / 2)), f(sin / (width / 2))];
    const [yx, yy] = [f(-sin / (height / 2)), f(cos / (height / 2))];
    const unnormalize = (v: number, size: number): number => f(f(f(f(v + 1) * size) - 1) / 2);
    for (let y = 0; y < height; y++) {
      const by = y - (height - 1) / 2;
      for (let x = 0; x < width; x++) {
        const bx = x - (width - 1) / 2;
        const sx = unnormalize(f(f(bx * xx) + f(by * xy)), width);
        const sy = unnormalize(f(f(bx * yx) + f(by * yy)), height);
        const out = y * width + x;
        if (interpolation === 'nearest') {
          // grid_sample's nearest mode rounds halves to even (nearbyint).
          const nx = roundHalfEven(sx);
          const ny = roundHalfEven(sy);
          const inside = nx >= 0 && nx < width && ny >= 0 && ny < height;
          for (let c = 0; c < channels; c++)
            data[c * plane + out] = inside ? source[c * plane + ny * width + nx]! : fills[c]!;
          continue;
        }
        // Bilinear with zero padding; the weight of in-image neighbours (a sampled mask of ones) blends in the fill.
        const x0 = Math.floor(sx);
        const y0 = Math.floor(sy);
        const fx = sx - x0;
        const fy = sy - y0;
        const corners: [number, number, number][] = [
          [x0, y0, (1 - fx) * (1 - fy)],
          [x0 + 1, y0, fx * (1 - fy)],
          [x0, y0 + 1, (1 - fx) * fy],
          [x0 + 1, y0 + 1, fx * fy],
        ];
        let mask = 0;
        for (const [px, py, w] of corners) if (px >= 0 && px < width && py >= 0 && py < height) mask += w;
        for (let c = 0; c < channels; c++) {
          let value = 0;
          for (const [px, py, w] of corners)
            if (px >= 0 && px < width && py >= 0 && py < height) value += w * source[c * plane + py * width + px]!;
          data[c * plane + out] = value * mask + (1 - mask) * fills[c]!;
        }
      }
    }
    return withImage(sample, data, [channels, height, width]);
  };
}

export interface RandomResizedCropOptions {
  /** The range of the crop's area as a fraction of the image's (default [0.08, 1]). */
  scale?: [number, number];
  /** The range of the crop's width / height, sampled log-uniformly (default [3/4, 4/3]). */
  ratio?: [number, number];
  /** Default: drawn from core's default generator. */
  seed?: number;
}

/**
 * A random crop of random area and aspect ratio, resized (bilinear) to `size` (a number for
 * size x size, or [height, width]), like torchvision's RandomResizedCrop: up to 10 tries of an
 * area fraction uniform in `scale` and a log-uniform ratio in `ratio` that fits the image, then
 * a centre crop of the whole image clamped to `ratio`.
 */
export function randomResizedCrop(
  size: number | [number, number],
  options: RandomResizedCropOptions = {},
): SampleTransform {
  const name = 'randomResizedCrop';
  const [outHeight, outWidth] = typeof size === 'number' ? [size, size] : size;
  if (![outHeight, outWidth].every((v) => Number.isInteger(v) && v! > 0))
    throw new DataError({
      source: name,
      expected: 'size a positive integer or [height, width]',
      found: JSON.stringify(size) ?? String(size),
    });
  const [scaleLow, scaleHigh] = positiveRange(options.scale ?? [0.08, 1], 'scale', name);
  const [ratioLow, ratioHigh] = positiveRange(options.ratio ?? [3 / 4, 4 / 3], 'ratio', name);
  const draws = new Draws(checkSeed(options.seed ?? drawSeed(), name), STREAMS.resizedCrop);
  return (sample, context) => {
    const { channels, height, width } = imageGeometry(sample.x.shape, name);
    draws.at(context);
    // The ratio is width / height: the longer side of the sampled box is its width.
    let window = sampleBox(draws, height, width, [scaleLow, scaleHigh], [ratioLow, ratioHigh], (w, h) =>
      w > 0 && w <= width && h > 0 && h <= height ? [h, w] : undefined,
    );
    if (window === undefined) {
      // torchvision's fallback: the centre, as much of the image as the ratio range allows.
      const inRatio = width / height;
      let [h, w] = [height, width];
      if (inRatio < ratioLow) h = roundHalfEven(width / ratioLow);
      else if (inRatio > ratioHigh) w = roundHalfEven(height * ratioHigh);
      window = [Math.floor((height - h) / 2), Math.floor((width - w) / 2), h, w];
    }
    const [top, left, h, w] = window;
    const source = sample.x.data;
    const crop = newFloat32(channels * h * w);
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < h; y++) {
        const from = (c * height + top + y) * width + left;
        for (let x = 0; x < w; x++) crop[(c * h + y) * w + x] = source[from + x]!;
      }
    const resized = resizeBilinear({ data: crop, shape: [channels, h, w] }, outHeight, outWidth);
    return withImage(sample, resized.data, [channels, outHeight, outWidth]);
  };
}

export type PaddingMode = 'constant' | 'edge' | 'reflect' | 'symmetric';
const PADDING_MODES: readonly PaddingMode[] = ['constant', 'edge', 'reflect', 'symmetric'];

export interface PadOptions {
  /** The value of constant padding (default 0). */
  fill?: number;
  /**
   * 'constant' (default: `fill`), 'edge' (repeat the border pixel), 'reflect' (mirror without
   * repeating the border: 2 1 | 1 2 3 | 2 1... as [3,2,1,2,3]) or 'symmetric' (mirror repeating it).
   */
  paddingMode?: PaddingMode;
}

/** [left, top, right, bottom] from torchvision's padding forms: n, [left/right, top/bottom], or all four. */
function paddingSides(padding: number | readonly number[], transform = 'pad'): [number, number, number, number] {
  const list = typeof padding === 'number' ? [padding] : [...padding];
  if (![1, 2, 4].includes(list.length) || !list.every((v) => Number.isInteger(v) && v >= 0))
    throw new DataError({
      source: transform,
      expected: 'padding a non-negative integer, [left/right, top/bottom] or [left, top, right, bottom]',
      found: JSON.stringify(padding) ?? String(padding),
    });
  if (list.length === 1) return [list[0]!, list[0]!, list[0]!, list[0]!];
  if (list.length === 2) return [list[0]!, list[1]!, list[0]!, list[1]!];
  return [list[0]!, list[1]!, list[2]!, list[3]!];
}

/** The source coordinate of padded coordinate `p` (may be < 0 or >= n), or -1 for constant fill. */
function padSource(p: number, n: number, mode: PaddingMode): number {
  if (p >= 0 && p < n) return p;
  switch (mode) {
    case 'constant':
      return -1;
    case 'edge':
      return p < 0 ? 0 : n - 1;
    case 'reflect':
      return p < 0 ? -p : 2 * (n - 1) - p;
    case 'symmetric':
      return p < 0 ? -p - 1 : 2 * n - 1 - p;
  }
}

/**
 * Pads x (CHW or HW) on each side, like torchvision's Pad: `padding` is n for every side,
 * [left/right, top/bottom] or [left, top, right, bottom]. Reflect padding needs each pad below
 * the image's size along it, symmetric at most that size.
 */
export function pad(padding: number | readonly number[], options: PadOptions = {}): SampleTransform {
  const [left, top, right, bottom] = paddingSides(padding);
  const mode = options.paddingMode ?? 'constant';
  if (!PADDING_MODES.includes(mode))
    throw new DataError({
      source: 'pad',
      expected: `paddingMode among ${PADDING_MODES.join(', ')}`,
      found: JSON.stringify(mode) ?? String(mode),
    });
  const fill = options.fill ?? 0;
  checkFill(fill, 'pad');
  return (sample) => {
    const { channels, height, width } = imageGeometry(sample.x.shape, 'pad');
    const limit = mode === 'reflect' ? 1 : 0;
    // Mirrored padding reads the image once over: at most its size (reflect: below it). Edge
    // padding repeats the border however wide it is (torch's 'replicate'), but needs a border.
    if (
      (mode === 'reflect' || mode === 'symmetric') &&
      (Math.max(left, right) > width - limit || Math.max(top, bottom) > height - limit || height * width === 0)
    )
      throw new DataError({
        source: 'pad',
        expected: `${mode} padding ${mode === 'reflect' ? 'below' : 'at most'} the image size on each side`,
        found: `padding [${left}, ${top}, ${right}, ${bottom}] for a ${height} x ${width} image`,
      });
    if (mode === 'edge' && height * width === 0)
      throw new DataError({
        source: 'pad',
        expected: 'edge padding of an image with pixels',
        found: `a ${height} x ${width} image`,
      });
    const outHeight = height + top + bottom;
    const outWidth = width + left + right;
    const source = sample.x.data;
    const data = new (source.constructor as ArrayConstructor)(channels * outHeight * outWidth);
    const columns = Int32Array.from({ length: outWidth }, (_, x) => padSource(x - left, width, mode));
    for (let c = 0; c < channels; c++)
      for (let y = 0; y < outHeight; y++) {
        const sy = padSource(y - top, height, mode);
        const out = (c * outHeight + y) * outWidth;
        for (let x = 0; x < outWidth; x++) {
          const sx = columns[x]!;
          data[out + x] = sy < 0 || sx < 0 ? fill : source[(c * height + sy) * width + sx]!;
        }
      }
    return withImage(sample, data, [channels, outHeight, outWidth]);
  };
}
