import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../errors.js';
import { encodeIdx } from '../sources/idx.js';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_DIRECTORY,
  fashionMnistMissing,
  loadFashionMnist,
  loadMnistDirectory,
  readIdx,
} from './idx.js';

let directory: string;

const imagesOf = (count: number): Uint8Array =>
  encodeIdx({ data: new Uint8Array(count * 28 * 28).map((_, i) => i % 256), shape: [count, 28, 28], dtype: 'uint8' });
const labelsOf = (values: number[]): Uint8Array =>
  encodeIdx({ data: Uint8Array.from(values), shape: [values.length], dtype: 'uint8' });

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'myelin-idx-'));
  // A small MNIST-format directory: gzip for train, raw with the dotted names for test.
  await writeFile(join(directory, 'train-images-idx3-ubyte.gz'), gzipSync(imagesOf(5)));
  await writeFile(join(directory, 'train-labels-idx1-ubyte.gz'), gzipSync(labelsOf([3, 1, 4, 1, 5])));
  await writeFile(join(directory, 't10k-images.idx3-ubyte'), imagesOf(2));
  await writeFile(join(directory, 't10k-labels.idx1-ubyte'), labelsOf([9, 2, 6]));
});
afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('readIdx', () => {
  it('reads gzip and raw IDX files', async () => {
    const zipped = await readIdx(join(directory, 'train-images-idx3-ubyte.gz'));
    expect(zipped.shape).toEqual([5, 28, 28]);
    expect(zipped.data[785]).toBe(785 % 256);
    expect((await readIdx(join(directory, 't10k-images.idx3-ubyte'))).shape).toEqual([2, 28, 28]);
  });

  it('names the file when it is missing, truncated or a corrupt gzip', async () => {
    const missing = join(directory, 'nope.idx');
    await expect(readIdx(missing)).rejects.toThrow(`${missing}: expected a readable file, found ENOENT`);
    const cut = join(directory, 'cut.idx');
    await writeFile(cut, imagesOf(1).subarray(0, 100));
    await expect(readIdx(cut)).rejects.toThrow(
      `${cut}: expected 800 bytes (16-byte header + 784 uint8 values for shape [1,28,28]), found 100 bytes (truncated file?)`,
    );
    const badGzip = join(directory, 'bad.gz');
    const zipped = gzipSync(imagesOf(1));
    await writeFile(badGzip, zipped.subarray(0, zipped.length >> 1));
    await expect(readIdx(badGzip)).rejects.toThrow(
      `${badGzip}: expected a complete, valid gzip stream, found corrupt or truncated data`,
    );
  });
});

describe('loadMnistDirectory', () => {
  it('loads a split with uint8 [28,28] views and class indices', async () => {
    const train = await loadMnistDirectory(directory);
    expect(train.length).toBe(5);
    expect(train.get(0).x.shape).toEqual([28, 28]);
    expect(train.get(0).x.data).toBeInstanceOf(Uint8Array);
    expect([...train].map((s) => s.y)).toEqual([3, 1, 4, 1, 5]);
    expect(train.classes).toHaveLength(10);
  });

  it('rejects images and labels of different counts, naming both files', async () => {
    await expect(loadMnistDirectory(directory, { split: 'test' })).rejects.toThrow(
      /t10k-images.idx3-ubyte \+ .*t10k-labels.idx1-ubyte: expected as many labels as images, found 2 images and 3 labels/,
    );
  });

  it('says which file is missing', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'myelin-empty-'));
    await expect(loadMnistDirectory(empty)).rejects.toThrow(/found no train-images-idx3-ubyte\[.gz\]/);
    await expect(loadFashionMnist({ directory: empty })).rejects.toThrow(DataError);
    await rm(empty, { recursive: true });
  });

  it('asks for the Debian package when Fashion-MNIST is not at its default location', () => {
    expect(fashionMnistMissing(FASHION_MNIST_DIRECTORY, true).message).toMatch(
      /apt-get install -y dataset-fashion-mnist/,
    );
    expect(fashionMnistMissing('/elsewhere', false).message).not.toMatch(/apt-get/);
  });
});

// ./setup installs dataset-fashion-mnist, and `pnpm test` checks for it before it starts.
describe('Fashion-MNIST from dataset-fashion-mnist', () => {
  it('loads 60,000 training and 10,000 test images with 10 balanced classes', async () => {
    const [train, test] = await Promise.all([loadFashionMnist(), loadFashionMnist({ split: 'test' })]);
    expect(existsSync(FASHION_MNIST_DIRECTORY)).toBe(true);
    expect(train.x.shape).toEqual([60000, 28, 28]);
    expect(test.x.shape).toEqual([10000, 28, 28]);
    expect(train.classes).toEqual(FASHION_MNIST_CLASSES);
    const counts = new Array(10).fill(0);
    for (const label of train.y.data) counts[label]++;
    expect(counts).toEqual(new Array(10).fill(6000));
    expect(train.get(0).y).toBe(9); // the first training image is an ankle boot
  });
});
