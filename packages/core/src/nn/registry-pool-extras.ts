import type { ConfigReader } from './config-reader.js';
import type { Module } from './module.js';
import { AdaptiveMaxPool1d, LPPool1d, LPPool2d } from './pool-extras.js';

interface PoolBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader) => Module;
}

const lpOptions = ['normType', 'kernelSize', 'stride', 'ceilMode'];

/** LPPool1d/2d and AdaptiveMaxPool1d, for moduleFromConfig. */
export const poolExtraBuiltins: Readonly<Record<string, PoolBuiltin>> = {
  LPPool1d: {
    options: lpOptions,
    build: (read) => {
      const kernelSize = read.size1d('kernelSize', undefined, 1);
      return new LPPool1d(read.requiredNumber('normType'), kernelSize, {
        stride: read.size1d('stride', kernelSize, 1),
        ceilMode: read.boolean('ceilMode', false),
      });
    },
  },
  LPPool2d: {
    options: lpOptions,
    build: (read) => {
      const kernelSize = read.size2d('kernelSize', undefined, 1);
      return new LPPool2d(read.requiredNumber('normType'), kernelSize, {
        stride: read.size2d('stride', kernelSize, 1),
        ceilMode: read.boolean('ceilMode', false),
      });
    },
  },
  AdaptiveMaxPool1d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveMaxPool1d(read.size1d('outputSize', undefined, 1)),
  },
};
