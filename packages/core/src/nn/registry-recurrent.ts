import type { Generator } from '../tensor/random.js';
import type { ConfigReader } from './config-reader.js';
import type { Module } from './module.js';
import { GRU, LSTM, RNN, SelectTimeStep, type RNNBaseOptions } from './recurrent.js';

interface RecurrentBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }) => Module;
}

const recurrentOptions = [
  'inputSize',
  'hiddenSize',
  'numLayers',
  'bias',
  'batchFirst',
  'dropout',
  'bidirectional',
  'dtype',
];
const sizes = (read: ConfigReader): [number, number] => [
  read.positiveInteger('inputSize'),
  read.positiveInteger('hiddenSize'),
];
const recurrent = (read: ConfigReader, generator: Generator | undefined): RNNBaseOptions => ({
  numLayers: read.integer('numLayers', 1),
  bias: read.boolean('bias', true),
  batchFirst: read.boolean('batchFirst', false),
  dropout: read.number('dropout', 0, { min: 0, max: 1 }),
  bidirectional: read.boolean('bidirectional', false),
  dtype: read.floatDtype('dtype', 'float32'),
  generator,
});

/** The recurrent layers that moduleFromConfig builds, and SelectTimeStep that picks a step of their output. */
export const recurrentBuiltins: Readonly<Record<string, RecurrentBuiltin>> = {
  LSTM: {
    options: recurrentOptions,
    build: (read, { generator }) => new LSTM(...sizes(read), recurrent(read, generator)),
  },
  GRU: {
    options: recurrentOptions,
    build: (read, { generator }) => new GRU(...sizes(read), recurrent(read, generator)),
  },
  RNN: {
    options: [...recurrentOptions, 'nonlinearity'],
    build: (read, { generator }) =>
      new RNN(...sizes(read), {
        ...recurrent(read, generator),
        nonlinearity: read.choice('nonlinearity', 'tanh', ['tanh', 'relu']),
      }),
  },
  SelectTimeStep: {
    options: ['index', 'batchFirst'],
    build: (read) => new SelectTimeStep(read.integer('index', -1), { batchFirst: read.boolean('batchFirst', false) }),
  },
};
