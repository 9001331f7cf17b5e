import { MyelinError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import type { ConfigReader } from './config-reader.js';
import {
  LazyBatchNorm1d,
  LazyBatchNorm2d,
  LazyBatchNorm3d,
  LazyConv1d,
  LazyConv2d,
  LazyConv3d,
  LazyConvTranspose1d,
  LazyConvTranspose2d,
  LazyConvTranspose3d,
  LazyInstanceNorm1d,
  LazyInstanceNorm2d,
  LazyInstanceNorm3d,
  LazyLinear,
} from './lazy.js';
import type { Module } from './module.js';
import { batchNormOptions, convOptions } from './registry-conv.js';

interface LazyBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: { generator?: Generator }) => Module;
}

/** The layer's constructor checks the options (through the concrete layer); its errors get the config's place. */
function located(read: ConfigReader, make: () => Module): Module {
  try {
    return make();
  } catch (error) {
    if (error instanceof MyelinError) {
      const Kind = error.constructor as new (message: string) => MyelinError;
      throw new Kind(`${read.where}: ${error.message}`);
    }
    throw error;
  }
}

type LazyConvClass = new (outChannels: number, kernelSize: never, options: object) => Module;
const conv = (Lazy: LazyConvClass, padding: readonly string[]): LazyBuiltin => ({
  options: convOptions(padding).filter((name) => name !== 'inChannels'),
  build: (read, { generator }) => {
    const { outChannels, kernelSize, ...options } = read.given();
    read.positiveInteger('outChannels');
    read.required('kernelSize', 'a size or a list of sizes');
    return located(read, () => new Lazy(outChannels as number, kernelSize as never, { ...options, generator }));
  },
});

type LazyNormClass = new (options: object) => Module;
const norm = (Lazy: LazyNormClass): LazyBuiltin => ({
  options: batchNormOptions.filter((name) => name !== 'numFeatures'),
  build: (read) => located(read, () => new Lazy(read.given())),
});

/** The lazy layers, for moduleFromConfig: the config of one that has not run yet (a run one saves its concrete layer's). */
export const lazyBuiltins: Readonly<Record<string, LazyBuiltin>> = {
  LazyLinear: {
    options: ['outFeatures', 'bias', 'dtype'],
    build: (read, { generator }) => {
      const { outFeatures, ...options } = read.given();
      read.positiveInteger('outFeatures');
      return located(read, () => new LazyLinear(outFeatures as number, { ...options, generator }));
    },
  },
  LazyConv1d: conv(LazyConv1d, ['padding', 'paddingMode']),
  LazyConv2d: conv(LazyConv2d, ['padding', 'paddingMode']),
  LazyConv3d: conv(LazyConv3d, ['padding', 'paddingMode']),
  LazyConvTranspose1d: conv(LazyConvTranspose1d, ['padding', 'outputPadding']),
  LazyConvTranspose2d: conv(LazyConvTranspose2d, ['padding', 'outputPadding']),
  LazyConvTranspose3d: conv(LazyConvTranspose3d, ['padding', 'outputPadding']),
  LazyBatchNorm1d: norm(LazyBatchNorm1d),
  LazyBatchNorm2d: norm(LazyBatchNorm2d),
  LazyBatchNorm3d: norm(LazyBatchNorm3d),
  LazyInstanceNorm1d: norm(LazyInstanceNorm1d),
  LazyInstanceNorm2d: norm(LazyInstanceNorm2d),
  LazyInstanceNorm3d: norm(LazyInstanceNorm3d),
};
