import type { Generator } from '../tensor/random.js';
import {
  CELU,
  GLU,
  Hardshrink,
  LogSigmoid,
  RReLU,
  Softmax2d,
  Softmin,
  Softshrink,
  Tanhshrink,
  Threshold,
} from './activation.js';
import { Bilinear } from './bilinear.js';
import type { ConfigReader } from './config-reader.js';
import { AlphaDropout, Dropout1d, Dropout3d, FeatureAlphaDropout } from './dropout.js';
import { ChannelShuffle, Fold, Unfold } from './fold.js';
import type { Module } from './module.js';
import { LocalResponseNorm, RMSNorm } from './normalization.js';
import {
  ConstantPad1d,
  ConstantPad2d,
  ConstantPad3d,
  ReflectionPad1d,
  ReflectionPad2d,
  ReflectionPad3d,
  ReplicationPad1d,
  ReplicationPad2d,
  ReplicationPad3d,
  ZeroPad1d,
  ZeroPad2d,
  ZeroPad3d,
  type PaddingSize,
} from './padding.js';
import { GRUCell, LSTMCell, RNNCell } from './recurrent-cell.js';

interface LayerBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }) => Module;
}

const cellOptions = ['inputSize', 'hiddenSize', 'bias', 'dtype'];
const cell = (read: ConfigReader, generator: Generator | undefined) =>
  [
    read.positiveInteger('inputSize'),
    read.positiveInteger('hiddenSize'),
    { bias: read.boolean('bias', true), dtype: read.floatDtype('dtype', 'float32'), generator },
  ] as const;
const p = (read: ConfigReader): number => read.number('p', 0.5, { min: 0, max: 1 });
/** A padding module's sizes: one integer, or the list (the layer checks how many). */
const padding = (read: ConfigReader): PaddingSize =>
  read.required('padding', 'a size or a list of sizes') as PaddingSize;
const windows = (read: ConfigReader) => ({
  dilation: read.size2d('dilation', 1, 1),
  padding: read.size2d('padding', 0, 0),
  stride: read.size2d('stride', 1, 1),
});

/**
 * The layers added to match the rest of torch.nn: recurrent cells, RMSNorm and
 * LocalResponseNorm, Bilinear, more activations and dropouts, padding, Fold, Unfold and
 * ChannelShuffle.
 */
export const layerBuiltins: Readonly<Record<string, LayerBuiltin>> = {
  RNNCell: {
    options: [...cellOptions, 'nonlinearity'],
    build: (read, { generator }) => {
      const [inputSize, hiddenSize, options] = cell(read, generator);
      return new RNNCell(inputSize, hiddenSize, {
        ...options,
        nonlinearity: read.choice('nonlinearity', 'tanh', ['tanh', 'relu']),
      });
    },
  },
  LSTMCell: { options: cellOptions, build: (read, { generator }) => new LSTMCell(...cell(read, generator)) },
  GRUCell: { options: cellOptions, build: (read, { generator }) => new GRUCell(...cell(read, generator)) },
  RMSNorm: {
    options: ['normalizedShape', 'eps', 'elementwiseAffine', 'dtype'],
    build: (read) =>
      new RMSNorm(read.dims('normalizedShape'), {
        eps: read.optionalNumber('eps', { min: 0 }),
        elementwiseAffine: read.boolean('elementwiseAffine', true),
        dtype: read.floatDtype('dtype', 'float32'),
      }),
  },
  LocalResponseNorm: {
    options: ['size', 'alpha', 'beta', 'k'],
    build: (read) =>
      new LocalResponseNorm(read.positiveInteger('size'), {
        alpha: read.number('alpha', 1e-4),
        beta: read.number('beta', 0.75),
        k: read.number('k', 1),
      }),
  },
  Bilinear: {
    options: ['in1Features', 'in2Features', 'outFeatures', 'bias', 'dtype'],
    build: (read, { generator }) =>
      new Bilinear(
        read.positiveInteger('in1Features'),
        read.positiveInteger('in2Features'),
        read.positiveInteger('outFeatures'),
        { bias: read.boolean('bias', true), dtype: read.floatDtype('dtype', 'float32'), generator },
      ),
  },
  CELU: { options: ['alpha'], build: (read) => new CELU(read.number('alpha', 1)) },
  LogSigmoid: { options: [], build: () => new LogSigmoid() },
  Softmin: { options: ['axis'], build: (read) => new Softmin(read.integer('axis', -1)) },
  Tanhshrink: { options: [], build: () => new Tanhshrink() },
  Softshrink: { options: ['lambd'], build: (read) => new Softshrink(read.number('lambd', 0.5, { min: 0 })) },
  Hardshrink: { options: ['lambd'], build: (read) => new Hardshrink(read.number('lambd', 0.5, { min: 0 })) },
  Threshold: {
    options: ['threshold', 'value'],
    build: (read) => new Threshold(read.required('threshold', 'a number') as number, read.requiredNumber('value')),
  },
  GLU: { options: ['axis'], build: (read) => new GLU(read.integer('axis', -1)) },
  RReLU: {
    options: ['lower', 'upper'],
    build: (read) => new RReLU(read.number('lower', 1 / 8), read.number('upper', 1 / 3)),
  },
  Softmax2d: { options: [], build: () => new Softmax2d() },
  AlphaDropout: { options: ['p'], build: (read) => new AlphaDropout(p(read)) },
  FeatureAlphaDropout: { options: ['p'], build: (read) => new FeatureAlphaDropout(p(read)) },
  Dropout1d: { options: ['p'], build: (read) => new Dropout1d(p(read)) },
  Dropout3d: { options: ['p'], build: (read) => new Dropout3d(p(read)) },
  ZeroPad1d: { options: ['padding'], build: (read) => new ZeroPad1d(padding(read)) },
  ZeroPad2d: { options: ['padding'], build: (read) => new ZeroPad2d(padding(read)) },
  ZeroPad3d: { options: ['padding'], build: (read) => new ZeroPad3d(padding(read)) },
  ConstantPad1d: {
    options: ['padding', 'value'],
    build: (read) => new ConstantPad1d(padding(read), read.requiredNumber('value')),
  },
  ConstantPad2d: {
    options: ['padding', 'value'],
    build: (read) => new ConstantPad2d(padding(read), read.requiredNumber('value')),
  },
  ConstantPad3d: {
    options: ['padding', 'value'],
    build: (read) => new ConstantPad3d(padding(read), read.requiredNumber('value')),
  },
  ReflectionPad1d: { options: ['padding'], build: (read) => new ReflectionPad1d(padding(read)) },
  ReflectionPad2d: { options: ['padding'], build: (read) => new ReflectionPad2d(padding(read)) },
  ReflectionPad3d: { options: ['padding'], build: (read) => new ReflectionPad3d(padding(read)) },
  ReplicationPad1d: { options: ['padding'], build: (read) => new ReplicationPad1d(padding(read)) },
  ReplicationPad2d: { options: ['padding'], build: (read) => new ReplicationPad2d(padding(read)) },
  ReplicationPad3d: { options: ['padding'], build: (read) => new ReplicationPad3d(padding(read)) },
  Unfold: {
    options: ['kernelSize', 'dilation', 'padding', 'stride'],
    build: (read) => new Unfold(read.size2d('kernelSize', undefined, 1), windows(read)),
  },
  Fold: {
    options: ['outputSize', 'kernelSize', 'dilation', 'padding', 'stride'],
    build: (read) =>
      new Fold(read.size2d('outputSize', undefined, 1), read.size2d('kernelSize', undefined, 1), windows(read)),
  },
  ChannelShuffle: { options: ['groups'], build: (read) => new ChannelShuffle(read.positiveInteger('groups')) },
};
