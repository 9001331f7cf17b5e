import type { Transform } from '../dataset.js';
import { DataError } from '../errors.js';
import { formatShape, imageGeometry, newFloat32, type HostArray, type Sample } from '../host-array.js';

export type SampleTransform = Transform<Sample, Sample>;

export interface ToFloatOptions {
  /** Multiplies every value. Default 1/255 for byte data (bytes to [0,1], like ToTensor), 1 otherwise. */
  scale?: number;
}

/** The scale toFloat applies to `source`: the option, else 1/255 for bytes and 1 otherwise. */
function toFloatScale(options: ToFloatOptions, source: HostArray['data']): number {
  return options.scale ?? (source instanceof Uint8Array || source instanceof Uint8ClampedArray ? 1 / 255 : 1);
}

/** x as float32 values times `scale`. */
export function toFloat(options: ToFloatOptions = {}): SampleTransform {
  const transform: SampleTransform = (sample) => {
    const source = sample.x.data;
    const scale = toFloatScale(options, source);
    if (source instanceof Float32Array && scale === 1) return sample;
    const data = newFloat32(source.length);
    for (let i = 0; i < source.length; i++) data[i] = source[i]! * scale;
    return { x: { data, shape: sample.x.shape }, y: sample.y };
  };
  fusable.set(transform, { kind: 'toFloat', options });
  return transform;
}

/** normalize's per-channel constants and its check of a sample's channels. */
interface Normalizer {
  means: readonly number[];
  scales: Float32Array;
  /** Values per channel of an x of `shape` and `length` values (throws when the means do not fit). */
  perChannel(shape: readonly number[], length: number): number;
}

function normalizer(mean: number | readonly number[], std: number | readonly number[]): Normalizer {
  const means = typeof mean === 'number' ? [mean] : [...mean];
  const stds = typeof std === 'number' ? [std] : [...std];
  if (means.length !== stds.length)
    throw new DataError({
      source: 'normalize',
      expected: 'as many std values as mean values',
      found: `${means.length} means, ${stds.length} stds`,
    });
  const badStd = stds.find((s) => !(s > 0) || !Number.isFinite(s));
  if (badStd !== undefined)
    throw new DataError({ source: 'normalize', expected: 'every std a positive finite number', found: `${badStd}` });
  return {
    means,
    scales: Float32Array.from(stds, (s) => 1 / s),
    perChannel(shape, length) {
      const channels = shape.length === 1 ? shape[0]! : imageGeometry(shape, 'normalize').channels;
      if (means.length !== 1 && means.length !== channels) {
        throw new DataError({
          source: 'normalize',
          expected: `1 or ${channels} mean/std values for x of shape ${formatShape(shape)}`,
          found: `${means.length}`,
        });
      }
      return means.length === 1 ? length : length / channels;
    },
  };
}

/**
 * (x - mean[c]) / std[c] per channel c. Channels are axis 0 of a CHW image; an HW image has
 * one; a 1-D feature vector takes one mean/std per feature (or one for all).
 */
export function normalize(mean: number | readonly number[], std: number | readonly number[]): SampleTransform {
  const norm = normalizer(mean, std);
  const transform: SampleTransform = (sample) => {
    const { data: source, shape } = sample.x;
    const perChannel = norm.perChannel(shape, source.length);
    const data = newFloat32(source.length);
    for (let c = 0, start = 0; start < source.length; c++, start += perChannel) {
      const m = norm.means[c]!;
      const s = norm.scales[c]!;
      for (let i = start; i < start + perChannel; i++) data[i] = (source[i]! - m) * s;
    }
    return { x: { data, shape }, y: sample.y };
  };
  fusable.set(transform, { kind: 'normalize', norm });
  return transform;
}

/** toFloat then normalize in one pass: the same values (each product rounded to float32 first). */
function toFloatNormalize(options: ToFloatOptions, norm: Normalizer): SampleTransform {
  return (sample) => {
    const { data: source, shape } = sample.x;
    const scale = toFloatScale(options, source);
    const perChannel = norm.perChannel(shape, source.length);
    const data = newFloat32(source.length);
    for (let c = 0, start = 0; start < source.length; c++, start += perChannel) {
      const m = norm.means[c]!;
      const s = norm.scales[c]!;
      for (let i = start; i < start + perChannel; i++) data[i] = (Math.fround(source[i]! * scale) - m) * s;
    }
    return { x: { data, shape }, y: sample.y };
  };
}

type Fusable = { kind: 'toFloat'; options: ToFloatOptions } | { kind: 'normalize'; norm: Normalizer };
/** The steps compose() may fuse, by the functions toFloat() and normalize() returned. */
const fusable = new WeakMap<object, Fusable>();

/**
 * `steps` with each toFloat immediately followed by a normalize replaced by one pass (half the
 * loops and allocations of a typical image pipeline); everything else as it is.
 */
export function fuseSteps<T>(steps: readonly Transform<T, T>[]): Transform<T, T>[] {
  const out: Transform<T, T>[] = [];
  for (let i = 0; i < steps.length; i++) {
    const first = fusable.get(steps[i]!);
    const second = i + 1 < steps.length ? fusable.get(steps[i + 1]!) : undefined;
    if (first?.kind === 'toFloat' && second?.kind === 'normalize') {
      out.push(toFloatNormalize(first.options, second.norm) as unknown as Transform<T, T>);
      i++;
    } else out.push(steps[i]!);
  }
  return out;
}

/** x reshaped to one dimension; the values are not copied. */
export function flatten(): SampleTransform {
  let lastInput: readonly number[] | undefined;
  let lastOutput: readonly number[] = [];
  return (sample) => {
    if (sample.x.shape !== lastInput) {
      lastInput = sample.x.shape;
      lastOutput = Object.freeze([sample.x.data.length]);
    }
    return { x: { data: sample.x.data, shape: lastOutput }, y: sample.y };
  };
}

/** A class-index target y as a float32 one-hot vector of `numClasses`. */
export function oneHot(numClasses: number): SampleTransform {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new DataError({ source: 'oneHot', expected: 'numClasses a positive integer', found: `${numClasses}` });
  const shape = Object.freeze([numClasses]);
  return (sample, context) => {
    const label = sample.y;
    if (typeof label !== 'number' || !Number.isInteger(label) || label < 0 || label >= numClasses) {
      throw new DataError({
        source: `oneHot(${numClasses})`,
        expected: `a class index in [0, ${numClasses})`,
        found: `${typeof label === 'number' ? label : 'an array'} at sample ${context.index}`,
      });
    }
    const data = new Float32Array(numClasses);
    data[label] = 1;
    const y: HostArray = { data, shape };
    return { x: sample.x, y };
  };
}

/** Applies `transform` to x only (for functions written over HostArray). */
export function mapInputs(transform: Transform<HostArray, HostArray>): SampleTransform {
  return (sample, context) => ({ x: transform(sample.x, context), y: sample.y });
}
