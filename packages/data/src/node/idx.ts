import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { parseIdx, type IdxArray } from '../sources/idx.js';
import { type LabeledDataset, pairIdxImagesAndLabels } from '../sources/labeled.js';
import { readMaybeGzip } from './files.js';

/** Reads an IDX file, gzip or not; see parseIdx for the checks. */
export async function readIdx(path: string): Promise<IdxArray> {
  return parseIdx(await readMaybeGzip(path), path);
}

export const FASHION_MNIST_DIRECTORY = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES: readonly string[] = Object.freeze([
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
]);
export const MNIST_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);

export interface MnistOptions {
  /** 'train' (default; train-*) or 'test' (t10k-*). */
  split?: 'train' | 'test';
  /** Class names; the ten digits by default. */
  classes?: readonly string[];
}

function candidates(directory: string, prefix: string, kind: 'images-idx3' | 'labels-idx1'): string[] {
  const dotted = kind.replace('-idx', '.idx');
  return [
    `${prefix}-${kind}-ubyte.gz`,
    `${prefix}-${kind}-ubyte`,
    `${prefix}-${dotted}-ubyte.gz`,
    `${prefix}-${dotted}-ubyte`,
  ].map((name) => join(directory, name));
}

/** The images and labels files of a split in an MNIST-format directory, or undefined for each that is missing. */
export function findMnistFiles(
  directory: string,
  split: 'train' | 'test' = 'train',
): { images: string | undefined; labels: string | undefined } {
  const prefix = split === 'train' ? 'train' : 't10k';
  return {
    images: candidates(directory, prefix, 'images-idx3').find((path) => existsSync(path)),
    labels: candidates(directory, prefix, 'labels-idx1').find((path) => existsSync(path)),
  };
}

/**
 * Loads a split of any MNIST-format directory ({train,t10k}-{images-idx3,labels-idx1}-ubyte,
 * gzip or not): x is a [H, W] uint8 view into one buffer per sample, y the class index.
 */
export async function loadMnistDirectory(directory: string, options: MnistOptions = {}): Promise<LabeledDataset> {
  const split = options.split ?? 'train';
  const found = findMnistFiles(directory, split);
  const prefix = split === 'train' ? 'train' : 't10k';
  if (found.images === undefined || found.labels === undefined) {
    const missing =
      found.images === undefined ? `${prefix}-images-idx3-ubyte[.gz]` : `${prefix}-labels-idx1-ubyte[.gz]`;
    throw new DataError({
      source: directory,
      expected: `an MNIST-format directory with ${prefix}-images-idx3-ubyte[.gz] and ${prefix}-labels-idx1-ubyte[.gz]`,
      found: `no ${missing}`,
    });
  }
  const [images, labels] = await Promise.all([readIdx(found.images), readIdx(found.labels)]);
  return pairIdxImagesAndLabels(
    { images, labels, imagesSource: found.images, labelsSource: found.labels },
    options.classes ?? MNIST_CLASSES,
  );
}

/**
 * Fashion-MNIST (60,000 train / 10,000 test 28x28 grayscale images, 10 classes) from where
 * Debian's dataset-fashion-mnist package installs it, or from `directory`.
 */
export async function loadFashionMnist(
  options: { split?: 'train' | 'test'; directory?: string } = {},
): Promise<LabeledDataset> {
  const directory = options.directory ?? FASHION_MNIST_DIRECTORY;
  const found = findMnistFiles(directory, options.split ?? 'train');
  if (found.images === undefined && found.labels === undefined)
    throw fashionMnistMissing(directory, options.directory === undefined);
  return loadMnistDirectory(directory, { split: options.split ?? 'train', classes: FASHION_MNIST_CLASSES });
}

/** The error for a directory without Fashion-MNIST; for the default location it names the Debian package. */
export function fashionMnistMissing(directory: string, isDefaultDirectory: boolean): DataError {
  return new DataError({
    source: directory,
    expected: 'the Fashion-MNIST IDX files',
    found: 'none',
    detail: isDefaultDirectory
      ? 'install them with `./setup` or `apt-get install -y dataset-fashion-mnist`, or pass { directory }'
      : 'pass the directory that holds train-images-idx3-ubyte.gz',
  });
}
