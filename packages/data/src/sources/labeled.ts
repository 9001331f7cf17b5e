import { DataError } from '../errors.js';
import { formatShape, type HostArray } from '../host-array.js';
import { TensorDataset } from '../tensor-dataset.js';

/** Inputs with integer class labels and the class names (`classes[label]`). */
export class LabeledDataset extends TensorDataset {
  constructor(
    inputs: HostArray,
    labels: Int32Array,
    readonly classes: readonly string[],
    source = 'dataset',
  ) {
    super(inputs, { data: labels, shape: [labels.length] });
    for (let i = 0; i < labels.length; i++) {
      const label = labels[i]!;
      if (label < 0 || label >= classes.length) {
        throw new DataError({ source, expected: `labels in [0, ${classes.length})`, found: `${label} at sample ${i}` });
      }
    }
  }
}

export interface IdxPair {
  images: HostArray & { dtype: string };
  labels: HostArray & { dtype: string };
  imagesSource: string;
  labelsSource: string;
}

/**
 * Pairs an MNIST-style images file ([N, H, W] uint8) with its labels file ([N] uint8), checking
 * types, ranks and that both hold the same number of samples. Images stay a view of the file.
 */
export function pairIdxImagesAndLabels(pair: IdxPair, classes: readonly string[]): LabeledDataset {
  const { images, labels, imagesSource, labelsSource } = pair;
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw new DataError({
      source: imagesSource,
      expected: 'uint8 images of shape [N, height, width]',
      found: `${images.dtype} of shape ${formatShape(images.shape)}`,
    });
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw new DataError({
      source: labelsSource,
      expected: 'uint8 labels of shape [N]',
      found: `${labels.dtype} of shape ${formatShape(labels.shape)}`,
    });
  }
  if (images.shape[0] !== labels.shape[0]) {
    throw new DataError({
      source: `${imagesSource} + ${labelsSource}`,
      expected: 'as many labels as images',
      found: `${images.shape[0]} images and ${labels.shape[0]} labels`,
    });
  }
  return new LabeledDataset(images, Int32Array.from(labels.data), classes, labelsSource);
}
