// How raw digit pixels (0-16) become model inputs: @myelin/data's transforms from config, as
// the page trains with them (myelin train's digits default, pixels / 16) or as a checkpoint
// records them: extra.web.transforms (this page), extra.web.preprocessing (older pages) or the
// run config's data.transforms (myelin train).
import type { Checkpoint } from '@myelin/core';
import {
  DataError,
  defaultTransformConfigs,
  parseTransformConfigs,
  resizeOfConfig,
  transformFromConfig,
  type SampleTransform,
  type TransformConfig,
} from '@myelin/data';
import { ImportError } from './demo-task.js';

export const DIGITS_TRANSFORMS: readonly TransformConfig[] = Object.freeze(defaultTransformConfigs('digits'));

/** The transforms as one function on an 8x8 image's 64 pixel values. */
export function pixelTransform(transforms: readonly TransformConfig[]): (pixels: ArrayLike<number>) => Float32Array {
  // The digits are 8x8 already: checkDigitsTransforms lets only an 8x8 resize through.
  const transform: SampleTransform = transformFromConfig(transforms, { skipResize: true });
  return (pixels) => {
    const x = transform({ x: { data: Float32Array.from(pixels), shape: [64] }, y: 0 }, { index: 0, epoch: 0 }).x;
    return x.data instanceof Float32Array ? x.data : Float32Array.from(x.data);
  };
}

export function describeTransforms(transforms: readonly TransformConfig[]): string {
  let scale = 1;
  let normalized = '';
  const one = (v: number | number[]): string =>
    typeof v === 'number' ? String(v) : v.length === 1 ? String(v[0]) : `${v.length} values`;
  for (const t of transforms) {
    if (t.type === 'toFloat') scale *= t.scale ?? 1;
    if (t.type === 'normalize') normalized += `, then (x - ${one(t.mean)}) / ${one(t.std)}`;
  }
  const scaled = scale === 1 ? 'raw pixel values 0-16' : scale === 1 / 16 ? 'pixels / 16' : `pixels x ${scale}`;
  return scaled + normalized;
}

/** A run config's transforms checked for the 8x8 digits, or an ImportError for ones the page cannot apply. */
export function digitsTransforms(value: unknown, source: string): TransformConfig[] {
  // myelin train's default for digits (its resolved config normally lists it).
  if (value === null || value === undefined) return [...DIGITS_TRANSFORMS];
  let transforms: TransformConfig[];
  try {
    transforms = parseTransformConfigs(value, `${source}: data.transforms`);
  } catch (error) {
    if (error instanceof DataError) throw new ImportError(`${error.message}; the page cannot apply it.`);
    throw error;
  }
  const size = resizeOfConfig(transforms);
  if (size && (size[0] !== 8 || size[1] !== 8))
    throw new ImportError(`${source}: it was trained on images resized to ${size.join('x')}; the digits here are 8x8.`);
  for (const t of transforms) {
    if (t.type !== 'normalize') continue;
    const count = (v: number | number[]): number => (typeof v === 'number' ? 1 : v.length);
    if (count(t.mean) !== count(t.std) || (count(t.mean) !== 1 && count(t.mean) !== 64)) {
      throw new ImportError(
        `${source}: its normalize transform (${JSON.stringify(t)}) is not one mean/std or 64 of each; the page cannot apply it.`,
      );
    }
  }
  return transforms;
}

/** The transforms a checkpoint's model was trained with, checked for the 8x8 digits. */
export function transformsOfCheckpoint(checkpoint: Checkpoint): TransformConfig[] {
  const web = checkpoint.extra?.web as
    { transforms?: unknown; preprocessing?: { scale?: unknown; mean?: unknown; std?: unknown } } | undefined;
  if (web?.transforms !== undefined) return digitsTransforms(web.transforms, 'the checkpoint');
  const legacy = web?.preprocessing;
  if (legacy && typeof legacy.scale === 'number') {
    // Earlier pages stored { scale, mean?, std? }.
    const steps: unknown[] = [{ type: 'toFloat', scale: legacy.scale }];
    if (legacy.mean !== undefined && legacy.std !== undefined)
      steps.push({ type: 'normalize', mean: legacy.mean, std: legacy.std });
    return digitsTransforms(steps, 'the checkpoint');
  }
  const cli = checkpoint.extra?.myelin as
    { config?: { data?: { source?: unknown; transforms?: unknown } } } | undefined;
  if (cli?.config?.data) {
    if (cli.config.data.source !== 'digits') {
      throw new ImportError(
        `This model was trained by myelin train on '${String(cli.config.data.source)}', not on the 8x8 digits.`,
      );
    }
    return digitsTransforms(cli.config.data.transforms, 'the checkpoint');
  }
  return [...DIGITS_TRANSFORMS];
}
