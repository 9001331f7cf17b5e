import { describe, expect, it } from 'vitest';
import type { TransformContext } from '../dataset.js';
import { DataError } from '../errors.js';
import type { Sample } from '../host-array.js';
import { randomVerticalFlip } from './augment.js';
import type { SampleTransform } from './basic.js';
import { randomApply, randomChoice } from './compose.js';
import { pad, randomResizedCrop, randomRotation } from './geometry.js';
import { colorJitter, gaussianBlur, grayscale, randomErasing, randomGrayscale } from './photometric.js';
import { resize } from './resize.js';

const at = (index: number, epoch = 0): TransformContext => ({ index, epoch });
const image = (shape: number[], value: (i: number) => number = (i) => i): Sample => ({
  x: { data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => value(i)), shape },
  y: 3,
});
const values = (s: Sample): number[] => Array.from(s.x.data);
/** The share of `count` samples (index 0..count-1) that `changed` says the transform changed. */
function share(transform: SampleTransform, input: Sample, count: number, changed = (out: Sample) => out !== input) {
  let n = 0;
  for (let i = 0; i < count; i++) if (changed(transform(input, at(i)))) n++;
  return n / count;
}
/** Within 5 binomial standard deviations of p over `count` draws. */
const near = (observed: number, p: number, count: number): void =>
  expect(Math.abs(observed - p)).toBeLessThanOrEqual(5 * Math.sqrt((p * (1 - p)) / count) + 1e-12);

describe('random augmentations: seeded per (seed, sample index, epoch)', () => {
  it('each draw depends on the sample and epoch alone, not on the order of calls', () => {
    const transforms = [
      randomVerticalFlip({ seed: 3 }),
      randomRotation(40, { seed: 3, interpolation: 'bilinear' }),
      randomResizedCrop(4, { seed: 3 }),
      colorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.2, seed: 3 }),
      randomErasing({ p: 1, seed: 3 }),
      gaussianBlur(3, { seed: 3 }),
    ];
    const input = image([3, 6, 6], (i) => ((i * 37) % 64) / 64);
    for (const transform of transforms) {
      const forward = [0, 1, 2, 3].map((i) => values(transform(input, at(i, 2))));
      const backward = [3, 2, 1, 0].map((i) => values(transform(input, at(i, 2)))).reverse();
      expect(backward).toEqual(forward);
      const epochs = [0, 1, 2, 3, 4, 5].map((e) => values(transform(input, at(0, e))).join());
      expect(new Set(epochs).size).toBeGreaterThan(1);
    }
  });

  it('randomVerticalFlip mirrors top-bottom with probability p', () => {
    const input = image([2, 3, 2]);
    expect(values(randomVerticalFlip({ p: 1, seed: 1 })(input, at(0)))).toEqual([4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
    expect(randomVerticalFlip({ p: 0, seed: 1 })(input, at(0))).toBe(input);
    near(share(randomVerticalFlip({ p: 0.3, seed: 2 }), input, 4000), 0.3, 4000);
    expect(() => randomVerticalFlip({ p: 2 })).toThrow('randomVerticalFlip: expected p in [0, 1], found 2');
  });

  it('randomRotation draws angles in its range: a zero range is the identity, 0..360 moves pixels', () => {
    const input = image([1, 5, 5]);
    expect(values(randomRotation(0, { seed: 1 })(input, at(0)))).toEqual(values(input));
    // [90, 90]: exactly a quarter turn counter-clockwise of an odd-sized image, a permutation of its pixels.
    const turned = randomRotation([90, 90], { seed: 1 })(input, at(0));
    expect(values(turned).slice(0, 5)).toEqual([4, 9, 14, 19, 24]);
    const moved = share(
      randomRotation(180, { seed: 4 }),
      input,
      200,
      (out) => values(out).join() !== values(input).join(),
    );
    expect(moved).toBeGreaterThan(0.9);
    expect(() => randomRotation(-5)).toThrow('randomRotation: expected degrees a number >= 0 or a [min, max] pair');
    expect(() => randomRotation(5, { interpolation: 'cubic' as 'nearest' })).toThrow(
      "expected interpolation 'nearest' or 'bilinear', found 'cubic'",
    );
    expect(() => randomRotation(5, { fill: [0, 1] })(image([3, 4, 4]), at(0))).toThrow(
      'randomRotation: expected fill one number or 3 (one per channel), found 2 values',
    );
  });

  it('randomResizedCrop outputs size, and with the full scale and the image ratio is a plain resize', () => {
    const input = image([2, 6, 8], (i) => i / 10);
    const crop = randomResizedCrop([3, 5], { seed: 2 });
    for (let i = 0; i < 20; i++) expect(crop(input, at(i)).x.shape).toEqual([2, 3, 5]);
    const whole = randomResizedCrop([3, 5], { scale: [1, 1], ratio: [8 / 6, 8 / 6], seed: 2 });
    const expected = values(resize(3, 5)(input, at(0)));
    for (const [k, v] of values(whole(input, at(7))).entries()) expect(v).toBeCloseTo(expected[k]!, 5);
    expect(randomResizedCrop(4, { seed: 1 })(image([6, 6]), at(0)).x.shape).toEqual([4, 4]);
    expect(() => randomResizedCrop(4, { scale: [0.5, 0.1] })).toThrow(
      'randomResizedCrop: expected scale a [min, max] pair of positive numbers, min <= max, found [0.5,0.1]',
    );
    expect(() => randomResizedCrop(0)).toThrow('expected size a positive integer or [height, width], found 0');
  });

  it('pad checks its padding and mode', () => {
    expect(pad([1, 2])(image([2, 2]), at(0)).x.shape).toEqual([6, 4]);
    expect(() => pad([1, 2, 3])).toThrow(
      'pad: expected padding a non-negative integer, [left/right, top/bottom] or [left, top, right, bottom], found [1,2,3]',
    );
    expect(() => pad(1, { paddingMode: 'wrap' as 'edge' })).toThrow(
      'pad: expected paddingMode among constant, edge, reflect, symmetric, found "wrap"',
    );
    expect(() => pad(3, { paddingMode: 'reflect' })(image([3, 3]), at(0))).toThrow(
      'pad: expected reflect padding below the image size on each side, found padding [3, 3, 3, 3] for a 3 x 3 image',
    );
    expect(pad(3, { paddingMode: 'symmetric' })(image([3, 3]), at(0)).x.shape).toEqual([9, 9]);
    // Edge padding repeats the border however wide (torchvision: torch's 'replicate').
    const wide = pad([5, 0], { paddingMode: 'edge' })(
      image([1, 2], (i) => i + 1),
      at(0),
    );
    expect(Array.from(wide.x.data)).toEqual([...new Array<number>(6).fill(1), ...new Array<number>(6).fill(2)]);
  });

  it('colorJitter draws factors in range and applies the adjustments in a random order', () => {
    const gray = image([1, 2, 2], () => 0.5);
    const brightness = colorJitter({ brightness: 0.5, seed: 1 });
    const outs = Array.from({ length: 400 }, (_, i) => brightness(gray, at(i)).x.data[0]!);
    expect(Math.min(...outs)).toBeGreaterThanOrEqual(0.25);
    expect(Math.max(...outs)).toBeLessThanOrEqual(0.75);
    near(outs.filter((v) => v < 0.5).length / outs.length, 0.5, outs.length);
    const input = image([1, 1, 2], (i) => [0.1, 0.3][i]!);
    const clamp = colorJitter({ brightness: [4, 4], contrast: [0.5, 0.5], seed: 5 });
    const orders = new Set(
      Array.from({ length: 200 }, (_, i) =>
        values(clamp(input, at(i)))
          .map((v) => v.toFixed(4))
          .join(),
      ),
    );
    // Contrast first: [0.15, 0.25] (mean 0.2), then times 4; brightness first: [0.4, 1] (clamped), then blended with its mean 0.7.
    expect(orders).toEqual(new Set(['0.6000,1.0000', '0.5500,0.8500']));
    expect(() => colorJitter({ hue: 0.7 })).toThrow(
      'colorJitter: expected hue a number in [0, 0.5] or a [min, max] pair within [-0.5, 0.5], found 0.7',
    );
    expect(() => colorJitter({ brightness: -1 })).toThrow('expected brightness a number >= 0');
    expect(() => colorJitter({ saturation: 0.2 })(image([2, 2, 2]), at(4))).toThrow(
      'colorJitter: expected an image with 1 or 3 channels, found 2 channels at sample 4',
    );
  });

  it('grayscale and randomGrayscale use the ITU-R 601-2 weights', () => {
    const rgb = image([3, 1, 1], (i) => [1, 0.5, 0.25][i]!);
    const luma = 0.2989 + 0.587 * 0.5 + 0.114 * 0.25;
    expect(values(grayscale()(rgb, at(0)))[0]).toBeCloseTo(luma, 6);
    expect(grayscale({ numOutputChannels: 3 })(rgb, at(0)).x.shape).toEqual([3, 1, 1]);
    const random = randomGrayscale({ p: 0.25, seed: 3 });
    const converted = share(random, rgb, 4000);
    near(converted, 0.25, 4000);
    expect(values(randomGrayscale({ p: 1, seed: 1 })(rgb, at(0))).map((v) => v.toFixed(6))).toEqual(
      new Array(3).fill(luma.toFixed(6)),
    );
    expect(() => grayscale({ numOutputChannels: 2 as 1 })).toThrow(
      'grayscale: expected numOutputChannels 1 or 3, found 2',
    );
  });

  it('gaussianBlur keeps a constant image and draws sigma from its range', () => {
    const flat = image([2, 5, 5], () => 0.7);
    for (const v of values(gaussianBlur(5, { seed: 1 })(flat, at(0)))) expect(v).toBeCloseTo(0.7, 6);
    const spike = image([5, 5], (i) => (i === 12 ? 1 : 0));
    const centres = Array.from(
      { length: 100 },
      (_, i) => gaussianBlur(3, { sigma: [0.1, 2], seed: 2 })(spike, at(i)).x.data[12]!,
    );
    // sigma 0.1 keeps almost all of the spike at the centre, sigma 2 about 1/9 of it.
    expect(Math.max(...centres)).toBeGreaterThan(0.5);
    expect(Math.min(...centres)).toBeLessThan(0.2);
    expect(() => gaussianBlur(4)).toThrow(
      'gaussianBlur: expected kernelSize a positive odd integer or [width, height] of them, found 4',
    );
    expect(() => gaussianBlur(3, { sigma: 0 })).toThrow('expected sigma a [min, max] pair of positive numbers');
    expect(() => gaussianBlur(9)(image([3, 3]), at(1))).toThrow(
      'gaussianBlur: expected an image larger than half the kernel 9 x 9 (reflect padding), found 3 x 3 at sample 1',
    );
  });

  it('randomErasing erases one rectangle of area within scale, with the value, per channel or noise', () => {
    const input = image([2, 10, 10], () => 0.5);
    const erase = randomErasing({ p: 1, value: 9, seed: 4 });
    for (let i = 0; i < 50; i++) {
      const out = values(erase(input, at(i)));
      const erased = out.map((v, k) => (v === 9 ? k : -1)).filter((k) => k >= 0);
      if (erased.length === 0) continue; // no rectangle fitted in 10 tries
      const area = erased.length / 2;
      expect(area).toBeGreaterThanOrEqual(1);
      expect(area).toBeLessThanOrEqual(0.33 * 100 + 10);
      const rows = new Set(erased.map((k) => Math.floor((k % 100) / 10)));
      const columns = new Set(erased.map((k) => k % 10));
      expect(rows.size * columns.size).toBe(area);
    }
    const perChannel = values(randomErasing({ p: 1, value: [1, 2], seed: 4 })(input, at(0)));
    expect(perChannel.slice(0, 100).some((v) => v === 1) && perChannel.slice(100).some((v) => v === 2)).toBe(true);
    const noise = values(
      randomErasing({ p: 1, value: 'random', scale: [0.3, 0.33], seed: 4 })(
        image([60, 60], () => 0.5),
        at(0),
      ),
    ).filter((v) => v !== 0.5);
    const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
    const variance = noise.reduce((a, b) => a + (b - mean) ** 2, 0) / noise.length;
    expect(noise.length).toBeGreaterThan(900);
    expect(Math.abs(mean)).toBeLessThan(0.2);
    expect(Math.abs(variance - 1)).toBeLessThan(0.2);
    near(share(randomErasing({ p: 0.4, seed: 1 }), input, 3000), 0.4, 3000);
    expect(randomErasing({ p: 1, scale: [1, 1], seed: 1 })(input, at(0))).toBe(input); // never fits: unchanged
    expect(() => randomErasing({ scale: [0.1, 2] })).toThrow(
      'randomErasing: expected scale a [min, max] pair within [0, 1], min <= max, found [0.1,2]',
    );
    expect(() => randomErasing({ p: 1, value: [1, 2, 3], seed: 1 })(input, at(0))).toThrow(DataError);
  });

  it('randomApply applies all its transforms with probability p; randomChoice picks one by weight', () => {
    const input = image([1, 1, 1], () => 1);
    const add =
      (n: number): SampleTransform =>
      (s) => ({ x: { data: Float32Array.of(s.x.data[0]! + n), shape: s.x.shape }, y: s.y });
    const applied = randomApply([add(1), add(10)], { p: 0.3, seed: 2 });
    const outcomes = Array.from({ length: 3000 }, (_, i) => applied(input, at(i)).x.data[0]);
    expect(new Set(outcomes)).toEqual(new Set([1, 12]));
    near(outcomes.filter((v) => v === 12).length / outcomes.length, 0.3, outcomes.length);
    const chosen = randomChoice([add(1), add(2), add(3)], { p: [1, 0, 3], seed: 2 });
    const picks = Array.from({ length: 4000 }, (_, i) => chosen(input, at(i)).x.data[0]);
    expect(picks).not.toContain(3);
    near(picks.filter((v) => v === 4).length / picks.length, 0.75, picks.length);
    const uniform = randomChoice([add(1), add(2)], { seed: 1 });
    near(
      share(uniform, input, 2000, (out) => out.x.data[0] === 2),
      0.5,
      2000,
    );
    expect(() => randomChoice([add(1)], { p: [1, 2] })).toThrow(
      'randomChoice: expected p: 1 finite non-negative weights, not all zero, found [1,2]',
    );
    expect(() => randomApply([])).toThrow('randomApply: expected a non-empty list of transforms');
  });
});
