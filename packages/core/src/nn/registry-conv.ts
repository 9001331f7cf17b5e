import type { Generator } from '../tensor/random.js';
import { PADDING_MODES } from '../ops/conv.js';
import type { Size2d, Size3d } from '../ops/unfold.js';
import type { ConfigReader } from './config-reader.js';
import { AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, Conv2d, ConvTranspose2d, MaxPool2d } from './conv.js';
import { AdaptiveAvgPool1d, AvgPool1d, Conv1d, ConvTranspose1d, MaxPool1d } from './conv1d.js';
import { AdaptiveAvgPool3d, AdaptiveMaxPool3d, AvgPool3d, Conv3d, ConvTranspose3d, MaxPool3d } from './conv3d.js';
import { Dropout2d } from './dropout.js';
import { Embedding, EmbeddingBag } from './embedding.js';
import type { Module } from './module.js';
import {
  BatchNorm1d,
  BatchNorm2d,
  BatchNorm3d,
  GroupNorm,
  InstanceNorm1d,
  InstanceNorm2d,
  InstanceNorm3d,
  LayerNorm,
} from './normalization.js';
import { Unflatten } from './unflatten.js';
import { MaxUnpool1d, MaxUnpool2d, MaxUnpool3d } from './unpool.js';

interface ConvBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }) => Module;
}

export const batchNormOptions = ['numFeatures', 'eps', 'momentum', 'affine', 'trackRunningStats', 'dtype'];
/** BatchNorm's options, or InstanceNorm's (whose affine and trackRunningStats default to false). */
const batchNorm = (read: ConfigReader, byDefault = true) => ({
  eps: read.number('eps', 1e-5, { min: 0 }),
  momentum: read.number('momentum', 0.1, { min: 0, max: 1 }),
  affine: read.boolean('affine', byDefault),
  trackRunningStats: read.boolean('trackRunningStats', byDefault),
  dtype: read.floatDtype('dtype', 'float32'),
});

/** The config keys of the convolutions: the shared ones around each layer's padding keys. */
export const convOptions = (padding: readonly string[]) => [
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
/** Reads a window size of a layer's rank: `read.size1d` or `read.size2d`. */
type ReadSize<S> = (read: ConfigReader, name: string, fallback: S | number | undefined, min: number) => S;
const size1d: ReadSize<number> = (read, name, fallback, min) => read.size1d(name, fallback, min);
const size2d: ReadSize<Size2d> = (read, name, fallback, min) => read.size2d(name, fallback, min);
const size3d: ReadSize<Size3d> = (read, name, fallback, min) => read.size3d(name, fallback, min);
const convChannels = <S>(read: ConfigReader, size: ReadSize<S>) =>
  [
    read.positiveInteger('inChannels'),
    read.positiveInteger('outChannels'),
    size(read, 'kernelSize', undefined, 1),
  ] as const;
const convArgs = <S>(read: ConfigReader, generator: Generator | undefined, size: ReadSize<S>) => ({
  stride: size(read, 'stride', 1, 1),
  dilation: size(read, 'dilation', 1, 1),
  groups: read.integer('groups', 1),
  bias: read.boolean('bias', true),
  dtype: read.floatDtype('dtype', 'float32'),
  generator,
});

/** A MaxPool layer of any rank, read with that rank's sizes. */
const maxPool = <S>(
  size: ReadSize<S>,
  make: (kernelSize: S, options: { stride: S; padding: S; dilation: S; ceilMode: boolean }) => Module,
): ConvBuiltin => ({
  options: ['kernelSize', 'stride', 'padding', 'dilation', 'ceilMode'],
  build: (read) => {
    const kernelSize = size(read, 'kernelSize', undefined, 1);
    return make(kernelSize, {
      stride: size(read, 'stride', kernelSize, 1),
      padding: size(read, 'padding', 0, 0),
      dilation: size(read, 'dilation', 1, 1),
      ceilMode: read.boolean('ceilMode', false),
    });
  },
});

/** An AvgPool layer of any rank, read with that rank's sizes. */
const avgPool = <S>(
  size: ReadSize<S>,
  make: (
    kernelSize: S,
    options: { stride: S; padding: S; countIncludePad: boolean; divisorOverride?: number; ceilMode: boolean },
  ) => Module,
): ConvBuiltin => ({
  options: ['kernelSize', 'stride', 'padding', 'countIncludePad', 'divisorOverride', 'ceilMode'],
  build: (read) => {
    const kernelSize = size(read, 'kernelSize', undefined, 1);
    return make(kernelSize, {
      stride: size(read, 'stride', kernelSize, 1),
      padding: size(read, 'padding', 0, 0),
      countIncludePad: read.boolean('countIncludePad', true),
      divisorOverride: read.optionalInteger('divisorOverride'),
      ceilMode: read.boolean('ceilMode', false),
    });
  },
});

/** A MaxUnpool layer of any rank, read with that rank's sizes. */
const maxUnpool = <S>(
  size: ReadSize<S>,
  make: (kernelSize: S, options: { stride: S; padding: S }) => Module,
): ConvBuiltin => ({
  options: ['kernelSize', 'stride', 'padding'],
  build: (read) => {
    const kernelSize = size(read, 'kernelSize', undefined, 1);
    return make(kernelSize, { stride: size(read, 'stride', kernelSize, 1), padding: size(read, 'padding', 0, 0) });
  },
});

/** The convolutional, pooling, normalisation and embedding layers that moduleFromConfig builds. */
export const convolutionBuiltins: Readonly<Record<string, ConvBuiltin>> = {
  Conv2d: {
    options: convOptions(['padding', 'paddingMode']),
    build: (read, { generator }) =>
      new Conv2d(...convChannels(read, size2d), {
        ...convArgs(read, generator, size2d),
        padding: read.size2dOr('padding', 0, 0, ['same', 'valid'] as const),
        paddingMode: read.choice('paddingMode', 'zeros', PADDING_MODES),
      }),
  },
  ConvTranspose2d: {
    options: convOptions(['padding', 'outputPadding']),
    build: (read, { generator }) =>
      new ConvTranspose2d(...convChannels(read, size2d), {
        ...convArgs(read, generator, size2d),
        padding: read.size2d('padding', 0, 0),
        outputPadding: read.size2d('outputPadding', 0, 0),
      }),
  },
  MaxPool2d: maxPool(size2d, (kernelSize, options) => new MaxPool2d(kernelSize, options)),
  AvgPool2d: avgPool(size2d, (kernelSize, options) => new AvgPool2d(kernelSize, options)),
  AdaptiveAvgPool2d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveAvgPool2d(read.size2d('outputSize', undefined, 1)),
  },
  AdaptiveMaxPool2d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveMaxPool2d(read.size2d('outputSize', undefined, 1)),
  },
  Conv1d: {
    options: convOptions(['padding', 'paddingMode']),
    build: (read, { generator }) =>
      new Conv1d(...convChannels(read, size1d), {
        ...convArgs(read, generator, size1d),
        padding: read.size1dOr('padding', 0, 0, ['same', 'valid'] as const),
        paddingMode: read.choice('paddingMode', 'zeros', PADDING_MODES),
      }),
  },
  ConvTranspose1d: {
    options: convOptions(['padding', 'outputPadding']),
    build: (read, { generator }) =>
      new ConvTranspose1d(...convChannels(read, size1d), {
        ...convArgs(read, generator, size1d),
        padding: read.size1d('padding', 0, 0),
        outputPadding: read.size1d('outputPadding', 0, 0),
      }),
  },
  MaxPool1d: maxPool(size1d, (kernelSize, options) => new MaxPool1d(kernelSize, options)),
  AvgPool1d: avgPool(size1d, (kernelSize, options) => new AvgPool1d(kernelSize, options)),
  AdaptiveAvgPool1d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveAvgPool1d(read.size1d('outputSize', undefined, 1)),
  },
  Conv3d: {
    options: convOptions(['padding', 'paddingMode']),
    build: (read, { generator }) =>
      new Conv3d(...convChannels(read, size3d), {
        ...convArgs(read, generator, size3d),
        padding: read.size3dOr('padding', 0, 0, ['same', 'valid'] as const),
        paddingMode: read.choice('paddingMode', 'zeros', PADDING_MODES),
      }),
  },
  ConvTranspose3d: {
    options: convOptions(['padding', 'outputPadding']),
    build: (read, { generator }) =>
      new ConvTranspose3d(...convChannels(read, size3d), {
        ...convArgs(read, generator, size3d),
        padding: read.size3d('padding', 0, 0),
        outputPadding: read.size3d('outputPadding', 0, 0),
      }),
  },
  MaxPool3d: maxPool(size3d, (kernelSize, options) => new MaxPool3d(kernelSize, options)),
  AvgPool3d: avgPool(size3d, (kernelSize, options) => new AvgPool3d(kernelSize, options)),
  MaxUnpool1d: maxUnpool(size1d, (kernelSize, options) => new MaxUnpool1d(kernelSize, options)),
  MaxUnpool2d: maxUnpool(size2d, (kernelSize, options) => new MaxUnpool2d(kernelSize, options)),
  MaxUnpool3d: maxUnpool(size3d, (kernelSize, options) => new MaxUnpool3d(kernelSize, options)),
  AdaptiveAvgPool3d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveAvgPool3d(read.size3d('outputSize', undefined, 1)),
  },
  AdaptiveMaxPool3d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveMaxPool3d(read.size3d('outputSize', undefined, 1)),
  },
  BatchNorm1d: {
    options: batchNormOptions,
    build: (read) => new BatchNorm1d(read.positiveInteger('numFeatures'), batchNorm(read)),
  },
  BatchNorm2d: {
    options: batchNormOptions,
    build: (read) => new BatchNorm2d(read.positiveInteger('numFeatures'), batchNorm(read)),
  },
  BatchNorm3d: {
    options: batchNormOptions,
    build: (read) => new BatchNorm3d(read.positiveInteger('numFeatures'), batchNorm(read)),
  },
  InstanceNorm1d: {
    options: batchNormOptions,
    build: (read) => new InstanceNorm1d(read.positiveInteger('numFeatures'), batchNorm(read, false)),
  },
  InstanceNorm2d: {
    options: batchNormOptions,
    build: (read) => new InstanceNorm2d(read.positiveInteger('numFeatures'), batchNorm(read, false)),
  },
  InstanceNorm3d: {
    options: batchNormOptions,
    build: (read) => new InstanceNorm3d(read.positiveInteger('numFeatures'), batchNorm(read, false)),
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
    options: ['numEmbeddings', 'embeddingDim', 'paddingIdx', 'dtype'],
    build: (read, { generator }) =>
      new Embedding(read.positiveInteger('numEmbeddings'), read.positiveInteger('embeddingDim'), {
        paddingIdx: read.optionalInteger('paddingIdx'),
        dtype: read.floatDtype('dtype', 'float32'),
        generator,
      }),
  },
  EmbeddingBag: {
    options: ['numEmbeddings', 'embeddingDim', 'mode', 'includeLastOffset', 'paddingIdx', 'dtype'],
    build: (read, { generator }) =>
      new EmbeddingBag(read.positiveInteger('numEmbeddings'), read.positiveInteger('embeddingDim'), {
        mode: read.choice('mode', 'mean', ['sum', 'mean', 'max']),
        includeLastOffset: read.boolean('includeLastOffset', false),
        paddingIdx: read.optionalInteger('paddingIdx'),
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
