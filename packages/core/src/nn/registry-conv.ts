import type { Generator } from '../tensor/random.js';
import type { ConfigReader } from './config-reader.js';
import { AdaptiveAvgPool2d, AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d } from './conv.js';
import { Dropout2d, Embedding } from './embedding.js';
import type { Module } from './module.js';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from './normalization.js';
import { Unflatten } from './unflatten.js';

interface ConvBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }) => Module;
}

const batchNormOptions = ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats', 'dtype'];
const batchNorm = (read: ConfigReader) => ({
  eps: read.number('eps', 1e-5, { min: 0 }),
  momentum: read.number('momentum', 0.1, { min: 0, max: 1 }),
  affine: read.boolean('affine', true),
  trackRunningStats: read.boolean('trackRunningStats', true),
  dtype: read.floatDtype('dtype', 'float32'),
});

/** The config keys of Conv2d and ConvTranspose2d: the shared ones around each layer's padding keys. */
const convOptions = (padding: readonly string[]) => [
  'inChannels',
  'outChannels',
  'kernelSize',
  'stride',
  ...padding,
  'dilation',
  'groups',
  'bias',
  'dtype',
];
const convChannels = (read: ConfigReader) =>
  [
    read.positiveInteger('inChannels'),
    read.positiveInteger('outChannels'),
    read.size2d('kernelSize', undefined, 1),
  ] as const;
const convArgs = (read: ConfigReader, generator: Generator | undefined) => ({
  stride: read.size2d('stride', 1, 1),
  dilation: read.size2d('dilation', 1, 1),
  groups: read.integer('groups', 1),
  bias: read.boolean('bias', true),
  dtype: read.floatDtype('dtype', 'float32'),
  generator,
});

/** The convolutional, pooling, normalisation and embedding layers that moduleFromConfig builds. */
export const convolutionBuiltins: Readonly<Record<string, ConvBuiltin>> = {
  Conv2d: {
    options: convOptions(['padding']),
    build: (read, { generator }) =>
      new Conv2d(...convChannels(read), {
        ...convArgs(read, generator),
        padding: read.size2dOr('padding', 0, 0, ['same', 'valid'] as const),
      }),
  },
  ConvTranspose2d: {
    options: convOptions(['padding', 'outputPadding']),
    build: (read, { generator }) =>
      new ConvTranspose2d(...convChannels(read), {
        ...convArgs(read, generator),
        padding: read.size2d('padding', 0, 0),
        outputPadding: read.size2d('outputPadding', 0, 0),
      }),
  },
  MaxPool2d: {
    options: ['kernelSize', 'stride', 'padding', 'dilation'],
    build: (read) => {
      const kernelSize = read.size2d('kernelSize', undefined, 1);
      return new MaxPool2d(kernelSize, {
        stride: read.size2d('stride', kernelSize, 1),
        padding: read.size2d('padding', 0, 0),
        dilation: read.size2d('dilation', 1, 1),
      });
    },
  },
  AvgPool2d: {
    options: ['kernelSize', 'stride', 'padding', 'countIncludePad'],
    build: (read) => {
      const kernelSize = read.size2d('kernelSize', undefined, 1);
      return new AvgPool2d(kernelSize, {
        stride: read.size2d('stride', kernelSize, 1),
        padding: read.size2d('padding', 0, 0),
        countIncludePad: read.boolean('countIncludePad', true),
      });
    },
  },
  AdaptiveAvgPool2d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveAvgPool2d(read.size2d('outputSize', undefined, 1)),
  },
  BatchNorm1d: {
    options: batchNormOptions,
    build: (read) => new BatchNorm1d(read.positiveInteger('numFeatures'), batchNorm(read)),
  },
  BatchNorm2d: {
    options: batchNormOptions,
    build: (read) => new BatchNorm2d(read.positiveInteger('numFeatures'), batchNorm(read)),
  },
  LayerNorm: {
    options: ['normalizedShape', 'eps', 'elementwiseAffine', 'bias', 'dtype'],
    build: (read) =>
      new LayerNorm(read.dims('normalizedShape'), {
        eps: read.number('eps', 1e-5, { min: 0 }),
        elementwiseAffine: read.boolean('elementwiseAffine', true),
        bias: read.boolean('bias', true),
        dtype: read.floatDtype('dtype', 'float32'),
      }),
  },
  GroupNorm: {
    options: ['numGroups', 'numChannels', 'eps', 'affine', 'dtype'],
    build: (read) =>
      new GroupNorm(read.positiveInteger('numGroups'), read.positiveInteger('numChannels'), {
        eps: read.number('eps', 1e-5, { min: 0 }),
        affine: read.boolean('affine', true),
        dtype: read.floatDtype('dtype', 'float32'),
      }),
  },
  Embedding: {
    options: ['numEmbeddings', 'embeddingDim', 'dtype'],
    build: (read, { generator }) =>
      new Embedding(read.positiveInteger('numEmbeddings'), read.positiveInteger('embeddingDim'), {
        dtype: read.floatDtype('dtype', 'float32'),
        generator,
      }),
  },
  Unflatten: {
    options: ['axis', 'sizes'],
    build: (read) => new Unflatten(read.integer('axis', 1), read.dims('sizes')),
  },
  Dropout2d: { options: ['p'], build: (read) => new Dropout2d(read.number('p', 0.5, { min: 0, max: 1 })) },
};
