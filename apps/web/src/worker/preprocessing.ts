// How raw digit pixels (0-16) become model inputs: the page's own choice (pixels / 16), or what
// a checkpoint records: extra.web.preprocessing (this page) or the run config's data.transforms
// (myelin train: toFloat with a scale, normalize, flatten).
import { ImportError } from './demo-task.js';

export interface Preprocessing {
  scale: number;
  /** Per-feature (64 values) or one value for all, applied after the scale. */
  mean?: number[];
  std?: number[];
}

export const DEFAULT_DIGITS_PREPROCESSING: Preprocessing = { scale: 1 / 16 };

export function applyPreprocessing(
  p: Preprocessing,
  pixels: ArrayLike<number>,
  out = new Float32Array(pixels.length),
): Float32Array {
  const { scale, mean, std } = p;
  for (let i = 0; i < pixels.length; i++) {
    let value = pixels[i]! * scale;
    if (mean && std) value = (value - mean[mean.length === 1 ? 0 : i]!) / std[std.length === 1 ? 0 : i]!;
    out[i] = value;
  }
  return out;
}

export function describePreprocessing(p: Preprocessing): string {
  const scaled = p.scale === 1 ? 'raw pixel values 0-16' : p.scale === 1 / 16 ? 'pixels / 16' : `pixels x ${p.scale}`;
  if (!p.mean || !p.std) return scaled;
  const one = (values: number[]): string => (values.length === 1 ? String(values[0]) : `${values.length} values`);
  return `${scaled}, then (x - ${one(p.mean)}) / ${one(p.std)}`;
}

interface TransformEntry {
  type?: unknown;
  scale?: unknown;
  mean?: unknown;
  std?: unknown;
  size?: unknown;
}

/** The preprocessing a CLI run config's transforms describe, or an ImportError for one the page cannot apply. */
export function preprocessingOfTransforms(transforms: unknown, source: string): Preprocessing {
  // myelin train's default for digits (its resolved config normally lists it).
  if (transforms === null || transforms === undefined) return DEFAULT_DIGITS_PREPROCESSING;
  if (!Array.isArray(transforms)) throw new ImportError(`${source}: data.transforms is not a list.`);
  const result: Preprocessing = { scale: 1 };
  for (const entry of transforms as TransformEntry[]) {
    switch (entry?.type) {
      case 'toFloat':
        result.scale *= typeof entry.scale === 'number' ? entry.scale : 1;
        break;
      case 'normalize': {
        const list = (v: unknown): number[] | null =>
          typeof v === 'number'
            ? [v]
            : Array.isArray(v) && v.every((n) => typeof n === 'number')
              ? (v as number[])
              : null;
        const mean = list(entry.mean);
        const std = list(entry.std);
        if (!mean || !std || (mean.length !== 1 && mean.length !== 64) || mean.length !== std.length || result.mean) {
          throw new ImportError(
            `${source}: its normalize transform (${JSON.stringify(entry)}) is not one mean/std or 64 of each; the page cannot apply it.`,
          );
        }
        result.mean = mean;
        result.std = std;
        break;
      }
      case 'flatten':
        break;
      case 'resize':
        if (JSON.stringify(entry.size) === '8' || JSON.stringify(entry.size) === '[8,8]') break;
        throw new ImportError(
          `${source}: it was trained on images resized to ${JSON.stringify(entry.size)}; the digits here are 8x8.`,
        );
      default:
        throw new ImportError(`${source}: unknown transform ${JSON.stringify(entry)} in its run config.`);
    }
  }
  return result;
}
