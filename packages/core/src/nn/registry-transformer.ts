import { ArgumentError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import { MultiheadAttention } from './attention.js';
import { describeValue } from './checks.js';
import type { ConfigReader } from './config-reader.js';
import { ModuleList } from './module-list.js';
import type { Module } from './module.js';
import {
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  type TransformerLayerOptions,
} from './transformer.js';

type BuildChild = (config: unknown, key: string) => Module;
interface TransformerBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }, child: BuildChild) => Module;
}

const layerOptionNames = [
  'dModel',
  'nhead',
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'bias',
  'dtype',
];
const layerOptions = (read: ConfigReader, generator: Generator | undefined): TransformerLayerOptions => ({
  dimFeedforward: read.integer('dimFeedforward', 2048),
  dropout: read.number('dropout', 0.1, { min: 0, max: 1 }),
  activation: read.choice('activation', 'relu', ['relu', 'gelu']),
  layerNormEps: read.number('layerNormEps', 1e-5, { min: 0 }),
  batchFirst: read.boolean('batchFirst', false),
  normFirst: read.boolean('normFirst', false),
  bias: read.boolean('bias', true),
  dtype: read.floatDtype('dtype', 'float32'),
  generator,
});

/** A stack's layer from its nested config, of the kind the stack takes. */
function stackLayer<L>(read: ConfigReader, child: BuildChild, key: string, kind: new (...args: never[]) => L): L {
  const layer = child(read.required(key, `a ${kind.name} config`), key);
  if (!(layer instanceof kind)) {
    layer.dispose();
    throw new ArgumentError(
      `moduleFromConfig: ${key} must be a ${kind.name} config, got one of ${describeValue(layer.typeName)}`,
    );
  }
  return layer;
}

/** The stack's norm, or null. */
function stackNorm(read: ConfigReader, child: BuildChild): Module | null {
  const config = read.required('norm', 'a module config or null');
  return config === null ? null : child(config, 'norm');
}

/** MultiheadAttention, the Transformer family and ModuleList, for moduleFromConfig. */
export const transformerBuiltins: Readonly<Record<string, TransformerBuiltin>> = {
  MultiheadAttention: {
    options: [
      'embedDim',
      'numHeads',
      'dropout',
      'bias',
      'addBiasKV',
      'addZeroAttn',
      'kdim',
      'vdim',
      'batchFirst',
      'dtype',
    ],
    build: (read, { generator }) => {
      const embedDim = read.positiveInteger('embedDim');
      return new MultiheadAttention(embedDim, read.positiveInteger('numHeads'), {
        dropout: read.number('dropout', 0, { min: 0, max: 1 }),
        bias: read.boolean('bias', true),
        addBiasKV: read.boolean('addBiasKV', false),
        addZeroAttn: read.boolean('addZeroAttn', false),
        kdim: read.integer('kdim', embedDim),
        vdim: read.integer('vdim', embedDim),
        batchFirst: read.boolean('batchFirst', false),
        dtype: read.floatDtype('dtype', 'float32'),
        generator,
      });
    },
  },
  TransformerEncoderLayer: {
    options: layerOptionNames,
    build: (read, { generator }) =>
      new TransformerEncoderLayer(
        read.positiveInteger('dModel'),
        read.positiveInteger('nhead'),
        layerOptions(read, generator),
      ),
  },
  TransformerDecoderLayer: {
    options: layerOptionNames,
    build: (read, { generator }) =>
      new TransformerDecoderLayer(
        read.positiveInteger('dModel'),
        read.positiveInteger('nhead'),
        layerOptions(read, generator),
      ),
  },
  TransformerEncoder: {
    options: ['encoderLayer', 'numLayers', 'norm'],
    build: (read, _, child) => {
      const numLayers = read.positiveInteger('numLayers');
      const layer = stackLayer(read, child, 'encoderLayer', TransformerEncoderLayer);
      try {
        return new TransformerEncoder(layer, numLayers, { norm: stackNorm(read, child) });
      } finally {
        layer.dispose(); // the stack holds copies
      }
    },
  },
  TransformerDecoder: {
    options: ['decoderLayer', 'numLayers', 'norm'],
    build: (read, _, child) => {
      const numLayers = read.positiveInteger('numLayers');
      const layer = stackLayer(read, child, 'decoderLayer', TransformerDecoderLayer);
      try {
        return new TransformerDecoder(layer, numLayers, { norm: stackNorm(read, child) });
      } finally {
        layer.dispose();
      }
    },
  },
  Transformer: {
    options: [...layerOptionNames, 'numEncoderLayers', 'numDecoderLayers'],
    build: (read, { generator }) =>
      new Transformer({
        dModel: read.positiveInteger('dModel'),
        nhead: read.positiveInteger('nhead'),
        numEncoderLayers: read.positiveInteger('numEncoderLayers'),
        numDecoderLayers: read.positiveInteger('numDecoderLayers'),
        ...layerOptions(read, generator),
      }),
  },
  ModuleList: {
    options: ['modules'],
    build: (read, _, child) => {
      const built: Module[] = [];
      try {
        read.array('modules', []).forEach((config, i) => built.push(child(config, `modules[${i}]`)));
      } catch (error) {
        for (const module of built) module.dispose();
        throw error;
      }
      return new ModuleList(built);
    },
  },
};
