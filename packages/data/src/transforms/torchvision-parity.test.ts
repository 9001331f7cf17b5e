import { describe, expect, it } from 'vitest';
import type { Sample } from '../host-array.js';
import type { SampleTransform } from './basic.js';
import { randomResizedCrop, randomRotation, pad, type PaddingMode } from './geometry.js';
import { randomVerticalFlip } from './augment.js';
import { colorJitter, gaussianBlur, grayscale } from './photometric.js';
import { TORCHVISION_CASES, TORCHVISION_IMAGES } from './torchvision-fixture.js';

type Case = (typeof TORCHVISION_CASES)[number];
type Options = Record<string, unknown>;

/** The transform that does, deterministically, what torchvision's functional op of `entry` did. */
function transformOf(entry: Case): SampleTransform {
  const o = entry.options as Options;
  const factor = o.factor as number;
  switch (entry.kind) {
    case 'verticalFlip':
      return randomVerticalFlip({ p: 1, seed: 0 });
    case 'rotation': {
      const angle = o.angle as number;
      const interpolation = o.interpolation as 'nearest' | 'bilinear';
      return randomRotation([angle, angle], { interpolation, fill: o.fill as number, seed: 0 });
    }
    case 'pad':
      return pad(o.padding as number | number[], { fill: o.fill as number, paddingMode: o.paddingMode as PaddingMode });
    case 'grayscale':
      return grayscale({ numOutputChannels: o.numOutputChannels as 1 | 3 });
    case 'brightness':
      return colorJitter({ brightness: [factor, factor], seed: 0 });
    case 'contrast':
      return colorJitter({ contrast: [factor, factor], seed: 0 });
    case 'saturation':
      return colorJitter({ saturation: [factor, factor], seed: 0 });
    case 'hue':
      return colorJitter({ hue: [factor, factor], seed: 0 });
    case 'gaussianBlur':
      return gaussianBlur(o.kernelSize as number | [number, number], { sigma: o.sigma as number, seed: 0 });
    case 'resizedCropFallback':
      return randomResizedCrop(o.size as [number, number], {
        scale: [2, 3],
        ratio: o.ratio as [number, number],
        seed: 0,
      });
    default:
      throw new Error(`no transform for ${entry.kind}`);
  }
}

describe('augmentations against torchvision 0.14 functional ops', () => {
  for (const [i, entry] of TORCHVISION_CASES.entries()) {
    it(`${entry.kind} ${JSON.stringify(entry.options)} on the ${entry.image} image (case ${i})`, () => {
      const image = TORCHVISION_IMAGES[entry.image as keyof typeof TORCHVISION_IMAGES];
      const sample: Sample = { x: { data: Float32Array.from(image.data), shape: image.shape }, y: 0 };
      const out = transformOf(entry)(sample, { index: i, epoch: 0 });
      expect(out.x.shape).toEqual(entry.expected.shape);
      const actual = Array.from(out.x.data);
      expect(actual.length).toBe(entry.expected.data.length);
      for (const [k, expected] of entry.expected.data.entries()) {
        if (Math.abs(actual[k]! - expected) > 2e-6) expect([k, actual[k]]).toEqual([k, expected]);
      }
    });
  }
});
