import { DataError } from '../errors.js';
import { centerCrop, randomCrop, randomHorizontalFlip } from './augment.js';
import { flatten, normalize, toFloat, type SampleTransform } from './basic.js';
import { compose } from './compose.js';
import { resize } from './resize.js';

/**
 * One preprocessing step in JSON form, as a run config's `data.transforms` lists them (and a
 * checkpoint's run config stores them): toFloat (times `scale`), normalize ((x - mean) / std,
 * per channel or per feature), resize (bilinear, to `size` or [height, width]), flatten, and
 * the training-time augmentations randomHorizontalFlip (with probability `p`, default 0.5) and
 * randomCrop (a `size` window after `padding` pixels of `fill` on every side), which apply to
 * training data only: evaluation data is not flipped and is cropped at the centre.
 */
export type TransformConfig =
  | { type: 'toFloat'; scale?: number }
  | { type: 'normalize'; mean: number | number[]; std: number | number[] }
  | { type: 'resize'; size: number | [number, number] }
  | { type: 'flatten' }
  | { type: 'randomHorizontalFlip'; p?: number }
  | { type: 'randomCrop'; size: number | [number, number]; padding?: number; fill?: number };

export const TRANSFORM_TYPES: readonly TransformConfig['type'][] = Object.freeze([
  'toFloat',
  'normalize',
  'resize',
  'flatten',
  'randomHorizontalFlip',
  'randomCrop',
]);

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
      default:
        entry satisfies never;
        throw new DataError({ expected: `a transform type (${TRANSFORM_TYPES.join(', ')})`, found: show(entry) });
    }
  }
  return compose(...steps);
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
    const allowed: Record<string, readonly string[]> = {
      toFloat: ['scale'],
      normalize: ['mean', 'std'],
      resize: ['size'],
      flatten: [],
      randomHorizontalFlip: ['p'],
      randomCrop: ['size', 'padding', 'fill'],
    };
    if (typeof type !== 'string' || !(type in allowed)) return fail(`a type among ${TRANSFORM_TYPES.join(', ')}`);
    const extra = Object.keys(options).find((key) => !allowed[type]!.includes(key));
    if (extra !== undefined) return fail(`${type}'s options (${allowed[type]!.join(', ') || 'none'}), not '${extra}'`);
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
    }
    return entry as TransformConfig;
  });
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
