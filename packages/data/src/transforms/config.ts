import { DataError } from '../errors.js';
import { centerCrop, randomCrop, randomHorizontalFlip, randomVerticalFlip } from './augment.js';
import { flatten, normalize, toFloat, type SampleTransform } from './basic.js';
import { compose, randomApply, randomChoice } from './compose.js';
import { pad, randomResizedCrop, randomRotation, type PaddingMode } from './geometry.js';
import { colorJitter, gaussianBlur, grayscale, randomErasing, randomGrayscale } from './photometric.js';
import { resize } from './resize.js';

/**
 * One preprocessing step in JSON form, as a run config's `data.transforms` lists them (and a
 * checkpoint's run config stores them): toFloat (times `scale`), normalize ((x - mean) / std,
 * per channel or per feature), resize (bilinear, to `size` or [height, width]), flatten, and
 * the training-time augmentations randomHorizontalFlip (with probability `p`, default 0.5) and
 * randomCrop (a `size` window after `padding` pixels of `fill` on every side), which apply to
 * training data only: evaluation data is not flipped and is cropped at the centre. Likewise
 * torchvision's randomVerticalFlip, randomRotation, randomResizedCrop (a plain resize to `size`
 * for evaluation data), colorJitter, randomErasing, randomGrayscale, gaussianBlur, randomApply and
 * randomChoice (over nested `transforms`) run on training data only; pad and grayscale run on both.
 */
export type TransformConfig =
  | { type: 'toFloat'; scale?: number }
  | { type: 'normalize'; mean: number | number[]; std: number | number[] }
  | { type: 'resize'; size: number | [number, number] }
  | { type: 'flatten' }
  | { type: 'randomHorizontalFlip'; p?: number }
  | { type: 'randomCrop'; size: number | [number, number]; padding?: number; fill?: number }
  | { type: 'randomVerticalFlip'; p?: number }
  | {
      type: 'randomRotation';
      degrees: number | [number, number];
      interpolation?: 'nearest' | 'bilinear';
      fill?: number | number[];
    }
  | { type: 'randomResizedCrop'; size: number | [number, number]; scale?: [number, number]; ratio?: [number, number] }
  | {
      type: 'colorJitter';
      brightness?: number | [number, number];
      contrast?: number | [number, number];
      saturation?: number | [number, number];
      hue?: number | [number, number];
    }
  | {
      type: 'randomErasing';
      p?: number;
      scale?: [number, number];
      ratio?: [number, number];
      value?: number | number[] | 'random';
    }
  | { type: 'pad'; padding: number | number[]; fill?: number; paddingMode?: PaddingMode }
  | { type: 'grayscale'; numOutputChannels?: 1 | 3 }
  | { type: 'randomGrayscale'; p?: number }
  | { type: 'gaussianBlur'; kernelSize: number | [number, number]; sigma?: number | [number, number] }
  | { type: 'randomApply'; transforms: TransformConfig[]; p?: number }
  | { type: 'randomChoice'; transforms: TransformConfig[]; p?: number[] };

export const TRANSFORM_TYPES: readonly TransformConfig['type'][] = Object.freeze([
  'toFloat',
  'normalize',
  'resize',
  'flatten',
  'randomHorizontalFlip',
  'randomCrop',
  'randomVerticalFlip',
  'randomRotation',
  'randomResizedCrop',
  'colorJitter',
  'randomErasing',
  'pad',
  'grayscale',
  'randomGrayscale',
  'gaussianBlur',
  'randomApply',
  'randomChoice',
]);

/** The options each transform type takes in JSON, and those it needs. */
const OPTIONS: Record<TransformConfig['type'], { allowed: readonly string[]; required?: readonly string[] }> = {
  toFloat: { allowed: ['scale'] },
  normalize: { allowed: ['mean', 'std'] },
  resize: { allowed: ['size'] },
  flatten: { allowed: [] },
  randomHorizontalFlip: { allowed: ['p'] },
  randomCrop: { allowed: ['size', 'padding', 'fill'] },
  randomVerticalFlip: { allowed: ['p'] },
  randomRotation: { allowed: ['degrees', 'interpolation', 'fill'], required: ['degrees'] },
  randomResizedCrop: { allowed: ['size', 'scale', 'ratio'], required: ['size'] },
  colorJitter: { allowed: ['brightness', 'contrast', 'saturation', 'hue'] },
  randomErasing: { allowed: ['p', 'scale', 'ratio', 'value'] },
  pad: { allowed: ['padding', 'fill', 'paddingMode'], required: ['padding'] },
  grayscale: { allowed: ['numOutputChannels'] },
  randomGrayscale: { allowed: ['p'] },
  gaussianBlur: { allowed: ['kernelSize', 'sigma'], required: ['kernelSize'] },
  randomApply: { allowed: ['transforms', 'p'], required: ['transforms'] },
  randomChoice: { allowed: ['transforms', 'p'], required: ['transforms'] },
};

/**
 * The preprocessing a source gets when a config names none: the bundled digits (pixel values
 * 0-16) are divided by 16, CSV columns stay as they are, and image sources (MNIST,
 * Fashion-MNIST, image folders: bytes) go to [0, 1] and then to [-1, 1].
 */
export function defaultTransformConfigs(source: string): TransformConfig[] {
  switch (source) {
    case 'digits':
      return [{ type: 'toFloat', scale: 1 / 16 }];
    case 'csv':
      return [];
    default:
      return [{ type: 'toFloat' }, { type: 'normalize', mean: 0.5, std: 0.5 }];
  }
}

/** The [height, width] a resize step asks for, if the list has one. */
export function resizeOfConfig(configs: readonly TransformConfig[]): [number, number] | undefined {
  const entry = configs.find((t) => t.type === 'resize');
  if (entry?.type !== 'resize') return undefined;
  return typeof entry.size === 'number' ? [entry.size, entry.size] : [entry.size[0], entry.size[1]];
}

export interface TransformFromConfigOptions {
  /** Leave resize steps out, for samples that were already decoded at that size (image folders are resized as they are read). */
  skipResize?: boolean;
  /**
   * Training data: the random augmentations run, seeded from `seed` (each step its own seed;
   * each sample's draw fixed by its index and the epoch). Without it (evaluation data) flips are
   * left out and random crops become centre crops.
   */
  augment?: { seed: number };
}

/** The listed steps as one sample transform. */
export function transformFromConfig(
  configs: readonly TransformConfig[],
  options: TransformFromConfigOptions = {},
): SampleTransform {
  const steps: SampleTransform[] = [];
  const augment = options.augment;
  for (const [position, entry] of configs.entries()) {
    // A seed per step, so two random steps of one list do not draw the same numbers.
    const seed = augment ? (augment.seed + 0x9e3779b9 * (position + 1)) % 2 ** 53 : 0;
    switch (entry.type) {
      case 'toFloat':
        steps.push(toFloat(entry.scale === undefined ? {} : { scale: entry.scale }));
        break;
      case 'normalize':
        steps.push(normalize(entry.mean, entry.std));
        break;
      case 'resize':
        if (!options.skipResize) {
          const [height, width] = typeof entry.size === 'number' ? [entry.size, entry.size] : entry.size;
          steps.push(resize(height, width));
        }
        break;
      case 'flatten':
        steps.push(flatten());
        break;
      case 'randomHorizontalFlip':
        if (augment) steps.push(randomHorizontalFlip({ seed, ...(entry.p === undefined ? {} : { p: entry.p }) }));
        break;
      case 'randomCrop': {
        const [height, width] = typeof entry.size === 'number' ? [entry.size, entry.size] : entry.size;
        const crop = { padding: entry.padding ?? 0, fill: entry.fill ?? 0 };
        steps.push(augment ? randomCrop(height, width, { ...crop, seed }) : centerCrop(height, width, crop));
        break;
      }
      case 'pad':
        steps.push(pad(entry.padding, defined({ fill: entry.fill, paddingMode: entry.paddingMode })));
        break;
      case 'grayscale':
        steps.push(grayscale(defined({ numOutputChannels: entry.numOutputChannels })));
        break;
      case 'randomResizedCrop':
        if (augment)
          steps.push(randomResizedCrop(entry.size, defined({ scale: entry.scale, ratio: entry.ratio, seed })));
        else if (!options.skipResize) {
          const [height, width] = typeof entry.size === 'number' ? [entry.size, entry.size] : entry.size;
          steps.push(resize(height, width));
        }
        break;
      case 'randomVerticalFlip':
      case 'randomRotation':
      case 'colorJitter':
      case 'randomErasing':
      case 'randomGrayscale':
      case 'gaussianBlur':
      case 'randomApply':
      case 'randomChoice':
        if (augment) steps.push(augmentation(entry, seed, options));
        break;
      default:
        entry satisfies never;
        throw new DataError({ expected: `a transform type (${TRANSFORM_TYPES.join(', ')})`, found: show(entry) });
    }
  }
  return compose(...steps);
}

/** `options` without its undefined entries (the transforms' options are exact optional properties). */
function defined<T extends object>(options: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

/** The training-only augmentations of a config (evaluation data leaves them out). */
type Augmentation = Extract<
  TransformConfig,
  {
    type:
      | 'randomVerticalFlip'
      | 'randomRotation'
      | 'colorJitter'
      | 'randomErasing'
      | 'randomGrayscale'
      | 'gaussianBlur'
      | 'randomApply'
      | 'randomChoice';
  }
>;

function augmentation(entry: Augmentation, seed: number, options: TransformFromConfigOptions): SampleTransform {
  const nested = (configs: readonly TransformConfig[]): SampleTransform[] =>
    // Each nested step a seed of its own, as each step of the outer list has.
    configs.map((config, k) =>
      transformFromConfig([config], { ...options, augment: { seed: (seed + 0x85ebca6b * (k + 1)) % 2 ** 53 } }),
    );
  switch (entry.type) {
    case 'randomVerticalFlip':
      return randomVerticalFlip(defined({ p: entry.p, seed }));
    case 'randomRotation':
      return randomRotation(entry.degrees, defined({ interpolation: entry.interpolation, fill: entry.fill, seed }));
    case 'colorJitter': {
      const { brightness, contrast, saturation, hue } = entry;
      return colorJitter(defined({ brightness, contrast, saturation, hue, seed }));
    }
    case 'randomErasing':
      return randomErasing(defined({ p: entry.p, scale: entry.scale, ratio: entry.ratio, value: entry.value, seed }));
    case 'randomGrayscale':
      return randomGrayscale(defined({ p: entry.p, seed }));
    case 'gaussianBlur':
      return gaussianBlur(entry.kernelSize, defined({ sigma: entry.sigma, seed }));
    case 'randomApply':
      return randomApply(nested(entry.transforms), defined({ p: entry.p, seed }));
    case 'randomChoice':
      return randomChoice(nested(entry.transforms), defined({ p: entry.p, seed }));
  }
}

/**
 * Checks a JSON value (a config file's, a checkpoint's) as a transform list and returns it
 * typed; a DataError names the first bad entry, what it expected and what it found.
 */
export function parseTransformConfigs(value: unknown, source = 'data.transforms'): TransformConfig[] {
  if (!Array.isArray(value)) throw new DataError({ source, expected: 'a list of transforms', found: show(value) });
  return value.map((entry: unknown, i) => {
    const where = `${source}[${i}]`;
    const fail = (expected: string): never => {
      throw new DataError({ source: where, expected, found: show(entry) });
    };
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry))
      return fail(`an object like { "type": "toFloat" }`);
    const { type, ...options } = entry as Record<string, unknown>;
    if (typeof type !== 'string' || !(TRANSFORM_TYPES as readonly string[]).includes(type))
      return fail(`a type among ${TRANSFORM_TYPES.join(', ')}`);
    const { allowed, required = [] } = OPTIONS[type as TransformConfig['type']];
    const extra = Object.keys(options).find((key) => !allowed.includes(key));
    if (extra !== undefined) return fail(`${type}'s options (${allowed.join(', ') || 'none'}), not '${extra}'`);
    const missing = required.find((key) => options[key] === undefined);
    if (missing !== undefined) return fail(`${type} with ${missing}`);
    const isPositive = (v: unknown): boolean => typeof v === 'number' && v > 0 && Number.isFinite(v);
    const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
    const oneOrList = (v: unknown, check: (n: unknown) => boolean): boolean =>
      check(v) || (Array.isArray(v) && v.length > 0 && v.every(check));
    const isSize = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;
    switch (type) {
      case 'toFloat':
        if (options.scale !== undefined && !isPositive(options.scale)) fail('toFloat with a positive scale');
        break;
      case 'normalize':
        if (!oneOrList(options.mean, isNumber) || !oneOrList(options.std, isPositive))
          fail('normalize with a mean (number or list) and a positive std (number or list)');
        break;
      case 'resize':
        if (
          !isSize(options.size) &&
          !(Array.isArray(options.size) && options.size.length === 2 && options.size.every(isSize))
        )
          fail('resize with a size: a positive integer or [height, width]');
        break;
      case 'randomHorizontalFlip':
        if (options.p !== undefined && !(typeof options.p === 'number' && options.p >= 0 && options.p <= 1))
          fail('randomHorizontalFlip with a probability p in [0, 1]');
        break;
      case 'randomCrop':
        if (
          (!isSize(options.size) &&
            !(Array.isArray(options.size) && options.size.length === 2 && options.size.every(isSize))) ||
          (options.padding !== undefined && !(Number.isInteger(options.padding) && (options.padding as number) >= 0)) ||
          (options.fill !== undefined && !isNumber(options.fill))
        )
          fail(
            'randomCrop with a size (a positive integer or [height, width]), an optional integer padding >= 0 and a number fill',
          );
        break;
      case 'randomApply':
      case 'randomChoice': {
        const transforms = parseTransformConfigs(options.transforms, `${where}.transforms`);
        if (transforms.length === 0) fail(`${type} with a non-empty list of transforms`);
        checkBuilds({ ...(entry as object), transforms } as TransformConfig, where);
        return { ...(entry as object), transforms } as TransformConfig;
      }
      default:
        checkBuilds(entry as TransformConfig, where);
    }
    return entry as TransformConfig;
  });
}

/** Builds a transform from `entry` to check its options; its constructor's DataError is reported at `where`. */
function checkBuilds(entry: TransformConfig, where: string): void {
  try {
    transformFromConfig([entry], { augment: { seed: 0 } });
  } catch (error) {
    if (error instanceof DataError)
      throw new DataError({ source: where, expected: error.expected, found: error.found });
    // A JSON value of the wrong kind (an object where a list belongs) can fail before a check does.
    throw new DataError({
      source: where,
      expected: `${entry.type} options of the documented types`,
      found: show(entry),
    });
  }
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
