import { compose, flatten, normalize, resize, toFloat, type Sample, type SampleTransform } from '@myelin/data';
import type { TransformConfig } from '../config/schema.js';

/** How the loss wants targets: class indices, or one float per sample (shape [1], like the output). */
export type Task = 'classification' | 'binary' | 'regression';

export function taskOfLoss(lossType: string): Task {
  if (/^(BCELoss|BCEWithLogitsLoss)$/.test(lossType)) return 'binary';
  if (/^(MSELoss|L1Loss)$/.test(lossType)) return 'regression';
  return 'classification';
}

/** The [height, width] an image-folder source decodes to (sharp resizes at load), if a resize is configured. */
export function resizeSize(transforms: readonly TransformConfig[]): [number, number] | undefined {
  const entry = transforms.find((t) => t.type === 'resize');
  if (entry?.type !== 'resize') return undefined;
  return typeof entry.size === 'number' ? [entry.size, entry.size] : [entry.size[0], entry.size[1]];
}

/**
 * The configured preprocessing as one sample transform. Image folders are resized by sharp as
 * they are decoded (`decodedResized`), so their resize entry is skipped here.
 */
export function buildTransform(
  transforms: readonly TransformConfig[],
  options: { decodedResized?: boolean } = {},
): SampleTransform {
  const steps: SampleTransform[] = [];
  for (const entry of transforms) {
    switch (entry.type) {
      case 'toFloat':
        steps.push(toFloat(entry.scale === undefined ? {} : { scale: entry.scale }));
        break;
      case 'normalize':
        steps.push(normalize(entry.mean, entry.std));
        break;
      case 'resize':
        if (!options.decodedResized)
          steps.push(resize(...(typeof entry.size === 'number' ? ([entry.size, entry.size] as const) : entry.size)));
        break;
      case 'flatten':
        steps.push(flatten());
        break;
    }
  }
  return compose(...steps);
}

const ONE: readonly number[] = Object.freeze([1]);

/** Targets as a float [1] per sample (numbers, and the shape-[] values of float CSV labels), for losses that compare with a one-column output. */
export function floatTarget(sample: Sample): Sample {
  const y = sample.y;
  if (typeof y === 'number') return { x: sample.x, y: { data: Float32Array.of(y), shape: ONE } };
  if (y.shape.length === 0)
    return {
      x: sample.x,
      y: { data: y.data instanceof Float32Array ? y.data : Float32Array.from(y.data), shape: ONE },
    };
  return sample;
}
