import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { decodeIdx, encodeIdx, parseIdx } from './idx.js';
import { pairIdxImagesAndLabels } from './labeled.js';

const images = encodeIdx({ data: new Uint8Array(3 * 2 * 2).map((_, i) => i * 10), shape: [3, 2, 2], dtype: 'uint8' });
const labels = encodeIdx({ data: new Uint8Array([4, 0, 9]), shape: [3], dtype: 'uint8' });

/** A big-endian IDX file of `type` with `values` written by `write`. */
function idxOf(
  type: number,
  shape: number[],
  elementSize: number,
  values: number[],
  write: (view: DataView, offset: number, value: number) => void,
): Uint8Array {
  const header = 4 + 4 * shape.length;
  const bytes = new Uint8Array(header + values.length * elementSize);
  const view = new DataView(bytes.buffer);
  bytes[2] = type;
  bytes[3] = shape.length;
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s));
  values.forEach((v, i) => write(view, header + i * elementSize, v));
  return bytes;
}

describe('parseIdx', () => {
  it('decodes uint8 as a view of the file and keeps the shape', () => {
    const parsed = parseIdx(images, 'images.idx');
    expect(parsed.dtype).toBe('uint8');
    expect(parsed.shape).toEqual([3, 2, 2]);
    expect(parsed.data.buffer).toBe(images.buffer);
    expect(Array.from(parsed.data)).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110]);
  });

  it('decodes every IDX type from big-endian', () => {
    const cases = [
      [0x09, 1, [-3, 5], (v: DataView, o: number, x: number) => v.setInt8(o, x), 'int8'],
      [0x0b, 2, [-300, 7], (v: DataView, o: number, x: number) => v.setInt16(o, x), 'int16'],
      [0x0c, 4, [-70000, 1], (v: DataView, o: number, x: number) => v.setInt32(o, x), 'int32'],
      [0x0d, 4, [1.5, -2.25], (v: DataView, o: number, x: number) => v.setFloat32(o, x), 'float32'],
      [0x0e, 8, [0.1, -1e300], (v: DataView, o: number, x: number) => v.setFloat64(o, x), 'float64'],
    ] as const;
    for (const [type, size, values, write, dtype] of cases) {
      const parsed = parseIdx(idxOf(type, [2], size, [...values], write));
      expect(parsed.dtype).toBe(dtype);
      expect(Array.from(parsed.data)).toEqual(values);
    }
    expect(
      Array.from(parseIdx(encodeIdx({ data: new Int32Array([-5, 6]), shape: [1, 2], dtype: 'int32' })).data),
    ).toEqual([-5, 6]);
  });

  it('rejects a wrong magic number, an unknown type, rank 0 and gzip bytes, naming the source', () => {
    const wrongMagic = images.slice();
    wrongMagic[1] = 7;
    expect(() => parseIdx(wrongMagic, 'x.idx')).toThrow(
      'x.idx: expected the IDX magic number 0x0000 in the first two bytes, found 0x0007 (not an IDX file)',
    );
    const badType = images.slice();
    badType[2] = 0x0a;
    expect(() => parseIdx(badType, 'x.idx')).toThrow(/expected an IDX type byte .* found 0x0a/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]))).toThrow(/rank .* at least 1/);
    expect(() => parseIdx(gzipSync(images), 'x.gz')).toThrow(/found gzip data/);
  });

  it('rejects truncated files and trailing bytes with the expected and found lengths', () => {
    expect(() => parseIdx(images.subarray(0, 2), 'f')).toThrow(
      'f: expected an IDX header of at least 4 bytes, found 2 bytes (truncated file?)',
    );
    expect(() => parseIdx(images.subarray(0, 10), 'f')).toThrow(
      'f: expected a 16-byte header for 3 dimensions, found 10 bytes (truncated file?)',
    );
    expect(() => parseIdx(images.subarray(0, 27), 'f')).toThrow(
      'f: expected 28 bytes (16-byte header + 12 uint8 values for shape [3,2,2]), found 27 bytes (truncated file?)',
    );
    const longer = new Uint8Array(images.length + 1);
    longer.set(images);
    expect(() => parseIdx(longer, 'f')).toThrow(/found 29 bytes \(trailing bytes after the data\)/);
    expect(() => parseIdx(images.subarray(0, 27))).toThrow(DataError);
  });
});

describe('decodeIdx (browser-safe gunzip)', () => {
  it('gunzips with DecompressionStream and parses', async () => {
    const parsed = await decodeIdx(gzipSync(labels), 'labels.gz');
    expect(Array.from(parsed.data)).toEqual([4, 0, 9]);
  });

  it('turns corrupt and truncated gzip into a DataError', async () => {
    const zipped = gzipSync(images);
    await expect(decodeIdx(zipped.subarray(0, zipped.length - 6), 'cut.gz')).rejects.toThrow(
      /cut.gz: expected a complete, valid gzip stream, found corrupt or truncated data/,
    );
    const corrupt = zipped.slice();
    corrupt[12] = corrupt[12]! ^ 0xff;
    await expect(decodeIdx(corrupt, 'bad.gz')).rejects.toThrow(DataError);
  });
});

describe('pairIdxImagesAndLabels', () => {
  it('pairs images and labels into a labeled dataset', () => {
    const dataset = pairIdxImagesAndLabels(
      { images: parseIdx(images), labels: parseIdx(labels), imagesSource: 'i', labelsSource: 'l' },
      ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    );
    expect(dataset.length).toBe(3);
    expect(dataset.get(0).y).toBe(4);
    expect(dataset.get(1).x.shape).toEqual([2, 2]);
  });

  it('rejects different counts, wrong ranks and labels out of range', () => {
    const twoLabels = parseIdx(encodeIdx({ data: new Uint8Array([1, 2]), shape: [2], dtype: 'uint8' }));
    expect(() =>
      pairIdxImagesAndLabels(
        { images: parseIdx(images), labels: twoLabels, imagesSource: 'img.idx', labelsSource: 'lab.idx' },
        ['0', '1', '2'],
      ),
    ).toThrow('img.idx + lab.idx: expected as many labels as images, found 3 images and 2 labels');
    expect(() =>
      pairIdxImagesAndLabels(
        { images: parseIdx(labels), labels: parseIdx(labels), imagesSource: 'img.idx', labelsSource: 'l' },
        ['0'],
      ),
    ).toThrow(/img.idx: expected uint8 images of shape \[N, height, width\], found uint8 of shape \[3\]/);
    expect(() =>
      pairIdxImagesAndLabels(
        { images: parseIdx(images), labels: parseIdx(labels), imagesSource: 'i', labelsSource: 'lab.idx' },
        ['0', '1'],
      ),
    ).toThrow(/lab.idx: expected labels in \[0, 2\), found 4 at sample 0/);
  });
});
