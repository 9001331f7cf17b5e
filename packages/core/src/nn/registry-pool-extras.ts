import type { ConfigReader } from './config-reader.js';
import type { Module } from './module.js';
import { ArgumentError } from '../errors.js';
import { AdaptiveMaxPool1d, FractionalMaxPool2d, LPPool1d, LPPool2d } from './pool-extras.js';

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
  FractionalMaxPool2d: {
    options: ['kernelSize', 'outputSize', 'outputRatio'],
    build: (read) => {
      const { outputRatio } = read.given();
      const size =
        outputRatio === undefined
          ? { outputSize: read.size2d('outputSize', undefined, 1) }
          : { outputRatio: outputRatio as number | [number, number] };
      if (outputRatio !== undefined && read.given()['outputSize'] !== undefined)
        throw new ArgumentError(`${read.where}: give outputSize or outputRatio, not both`);
      return new FractionalMaxPool2d(read.size2d('kernelSize', undefined, 1), size);
    },
  },
  AdaptiveMaxPool1d: {
    options: ['outputSize'],
    build: (read) => new AdaptiveMaxPool1d(read.size1d('outputSize', undefined, 1)),
  },
};
