import type { Sample } from '@myelin/data';

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
