import { describe, expect, it } from 'vitest';
import type { TransformContext } from '../dataset.js';
import { DataError } from '../errors.js';
import type { HostArray, Sample } from '../host-array.js';
import { randomCrop, randomHorizontalFlip } from './augment.js';
import { flatten, mapInputs, normalize, oneHot, toFloat } from './basic.js';
import { compose } from './compose.js';
import { resize, resizeBilinear } from './resize.js';

const at = (index: number, epoch = 0): TransformContext => ({ index, epoch });
const sample = (data: HostArray['data'], shape: number[], y: Sample['y'] = 0): Sample => ({ x: { data, shape }, y });
const values = (s: Sample): number[] => Array.from(s.x.data);

describe('toFloat, normalize, flatten, oneHot, compose', () => {
  it('toFloat scales bytes to [0,1] by default and leaves float32 alone', () => {
    const bytes = toFloat()(sample(new Uint8Array([0, 51, 255]), [3]), at(0));
    expect(bytes.x.data).toBeInstanceOf(Float32Array);
    expect(values(bytes)).toEqual([0, Math.fround(0.2), 1]);
    expect(values(toFloat({ scale: 1 / 16 })(sample(new Float64Array([16, 8]), [2]), at(0)))).toEqual([1, 0.5]);
    const floats = sample(new Float32Array([3]), [1]);
    expect(toFloat()(floats, at(0))).toBe(floats);
  });

  it('normalize works per channel of a CHW image, on HW images and per feature of vectors', () => {
    const chw = sample(new Float32Array([1, 1, 2, 2, 3, 3]), [3, 1, 2]);
    expect(values(normalize([1, 2, 3], [1, 0.5, 2])(chw, at(0)))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(values(normalize(0.5, 0.5)(sample(new Float32Array([0, 1]), [1, 2]), at(0)))).toEqual([-1, 1]);
    expect(values(normalize([1, 2], [1, 2])(sample(new Float32Array([3, 4]), [2]), at(0)))).toEqual([2, 1]);
    expect(() => normalize([0, 0], [1, 1])(chw, at(0))).toThrow(
      /expected 1 or 3 mean\/std values for x of shape \[3,1,2\], found 2/,
    );
    expect(() => normalize(0, 0)).toThrow(/positive finite/);
  });

  it('flatten reshapes without copying; oneHot encodes class indices', () => {
    const data = new Uint8Array(12);
    const flat = flatten()(sample(data, [3, 2, 2], 2), at(0));
    expect(flat.x.shape).toEqual([12]);
    expect(flat.x.data).toBe(data);
    const hot = oneHot(4)(flat, at(0));
    expect(hot.y).toEqual({ data: new Float32Array([0, 0, 1, 0]), shape: [4] });
    expect(() => oneHot(4)(sample(data, [12], 4), at(7))).toThrow(
      /expected a class index in \[0, 4\), found 4 at sample 7/,
    );
  });

  it('compose applies left to right; mapInputs lifts a function of x', () => {
    const double = mapInputs((x) => ({ data: x.data.map((v) => v * 2), shape: x.shape }));
    const pipeline = compose(toFloat({ scale: 0.5 }), double, flatten());
    const out = pipeline(sample(new Uint8Array([1, 2, 3, 4]), [2, 2]), at(0));
    expect(values(out)).toEqual([1, 2, 3, 4]);
    expect(out.x.shape).toEqual([4]);
  });

  it('compose runs toFloat then normalize as one pass with the same bits, checks and errors', () => {
    const cases: [Sample, Parameters<typeof toFloat>[0], number | number[], number | number[]][] = [
      // bytes (scale 1/255), a CHW image with per-channel constants
      [
        sample(
          Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256),
          [3, 2, 4],
        ),
        {},
        [0.485, 0.456, 0.406],
        [0.229, 0.224, 0.225],
      ],
      // float64 values, an explicit scale, one mean for all
      [
        sample(
          Float64Array.from({ length: 10 }, (_, i) => Math.sin(i) * 1e3),
          [10],
        ),
        { scale: 1 / 3 },
        0.1,
        0.7,
      ],
      // float32 values left alone by toFloat (scale 1); per feature of a vector
      [sample(Float32Array.from([0.1, -2.5, 7]), [3]), {}, [1, 2, 3], [0.5, 0.25, 3]],
      // int32 values
      [sample(Int32Array.from([-7, 0, 65_537, 2 ** 30]), [2, 2]), { scale: 0.01 }, 0.286, 0.353],
    ];
    for (const [input, options, mean, std] of cases) {
      const separate = normalize(mean, std)(toFloat(options)(input, at(0)), at(0));
      const fused = compose(toFloat(options), normalize(mean, std))(input, at(0));
      expect(fused.x.data).toBeInstanceOf(Float32Array);
      expect(fused.x.data).toEqual(separate.x.data);
      expect(fused.x.shape).toBe(input.x.shape);
      expect(fused.y).toBe(input.y);
    }
    // Not fused (normalize first, or a step between): still the same values.
    const bytes = sample(new Uint8Array([0, 128, 255]), [3]);
    const apart = compose(toFloat(), flatten(), normalize(0.5, 0.25))(bytes, at(0));
    expect(values(apart)).toEqual(values(compose(toFloat(), normalize(0.5, 0.25))(bytes, at(0))));
    // The fused step checks the means against the sample's channels as normalize does.
    expect(() => compose(toFloat(), normalize([0, 0], [1, 1]))(sample(new Uint8Array(6), [3, 1, 2]), at(0))).toThrow(
      /expected 1 or 3 mean\/std values for x of shape \[3,1,2\], found 2/,
    );
    // Many small outputs (views into shared slabs) never overlap.
    const outputs = Array.from({ length: 200 }, (_, i) =>
      compose(toFloat(), normalize(0, 1))(sample(new Uint8Array(100).fill(i), [100]), at(i)),
    );
    outputs.forEach((out, i) => expect(out.x.data.every((v) => v === Math.fround(i / 255))).toBe(true));
  });
});

describe('resize', () => {
  it('matches PyTorch bilinear (align_corners=False) up and down', () => {
    const up = resizeBilinear({ data: new Float32Array([1, 2, 3, 4]), shape: [2, 2] }, 4, 4);
    expect(up.shape).toEqual([4, 4]);
    expect(Array.from(up.data)).toEqual([
      1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4,
    ]);
    const down = resizeBilinear({ data: Float32Array.from({ length: 16 }, (_, i) => i), shape: [4, 4] }, 2, 2);
    expect(Array.from(down.data)).toEqual([2.5, 4.5, 10.5, 12.5]);
  });

  it('resizes each channel of a CHW image and keeps the layout', () => {
    const image = sample(new Uint8Array([10, 10, 10, 10, 200, 200, 200, 200]), [2, 2, 2]);
    const out = resize(3)(image, at(0));
    expect(out.x.shape).toEqual([2, 3, 3]);
    expect(values(out)).toEqual([...Array(9).fill(10), ...Array(9).fill(200)]);
    expect(() => resize(3)(sample(new Uint8Array(8), [2, 2, 2, 1]), at(0))).toThrow(
      /expected an image of shape \[C,H,W\] or \[H,W\], found shape \[2,2,2,1\]/,
    );
    expect(() => resize(0)).toThrow(DataError);
  });
});

describe('seeded augmentation', () => {
  const image = sample(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);

  it('randomHorizontalFlip mirrors rows, deterministically per (seed, index, epoch)', () => {
    expect(values(randomHorizontalFlip({ p: 1, seed: 1 })(image, at(0)))).toEqual([3, 2, 1, 6, 5, 4]);
    expect(randomHorizontalFlip({ p: 0, seed: 1 })(image, at(0))).toBe(image);
    const flip = randomHorizontalFlip({ seed: 9 });
    const decisions = (epoch: number): boolean[] =>
      Array.from({ length: 200 }, (_, i) => flip(image, at(i, epoch)) !== image);
    expect(decisions(0)).toEqual(decisions(0));
    expect(decisions(1)).not.toEqual(decisions(0));
    const flips = decisions(0).filter(Boolean).length;
    expect(flips).toBeGreaterThan(70);
    expect(flips).toBeLessThan(130);
    expect(decisions(0)).toEqual(
      Array.from({ length: 200 }, (_, i) => randomHorizontalFlip({ seed: 9 })(image, at(i, 0)) !== image),
    );
  });

  it('randomCrop takes windows of the padded image, deterministically', () => {
    const crop = randomCrop(2, 2, { seed: 4 });
    const windows = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const out = crop(image, at(i));
      expect(out.x.shape).toEqual([2, 2]);
      expect(out.x.data).toBeInstanceOf(Uint8Array);
      windows.add(values(out).join(','));
      expect(values(crop(image, at(i)))).toEqual(values(out));
    }
    expect([...windows].sort()).toEqual(['1,2,4,5', '2,3,5,6']);
    const padded = randomCrop(2, 3, { padding: 1, fill: 9, seed: 4 });
    const seen = new Set(Array.from({ length: 200 }, (_, i) => values(padded(image, at(i))).join(',')));
    expect(seen.has('9,9,9,9,1,2')).toBe(true);
    expect(seen.size).toBe(9);
    expect(() => randomCrop(3, 4)(image, at(0))).toThrow(
      /expected an image of at least 3 x 4 after padding 0, found 2 x 3/,
    );
  });
});
