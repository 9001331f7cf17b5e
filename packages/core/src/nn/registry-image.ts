import type { ConfigReader } from './config-reader.js';
import type { Module } from './module.js';
import { PixelShuffle, PixelUnshuffle, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d } from './upsampling.js';
import { CORNER_MODES, INTERPOLATE_MODES } from '../ops/interpolate.js';

interface ImageBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader) => Module;
}

/** size or scaleFactor, whichever the config has (the layer says when it is both or neither). */
const scale = (read: ConfigReader) => {
  const size = read.spatialScale('size', true);
  const scaleFactor = read.spatialScale('scaleFactor', false);
  return { ...(size === undefined ? {} : { size }), ...(scaleFactor === undefined ? {} : { scaleFactor }) };
};

/** The image layers without weights that moduleFromConfig builds: upsampling and pixel shuffles. */
export const imageBuiltins: Readonly<Record<string, ImageBuiltin>> = {
  Upsample: {
    options: ['size', 'scaleFactor', 'mode', 'alignCorners'],
    build: (read) => {
      const mode = read.choice('mode', 'nearest', INTERPOLATE_MODES);
      const linear = CORNER_MODES[mode] !== undefined;
      return new Upsample({
        ...scale(read),
        mode,
        ...(linear ? { alignCorners: read.boolean('alignCorners', false) } : {}),
      });
    },
  },
  UpsamplingNearest2d: { options: ['size', 'scaleFactor'], build: (read) => new UpsamplingNearest2d(scale(read)) },
  UpsamplingBilinear2d: { options: ['size', 'scaleFactor'], build: (read) => new UpsamplingBilinear2d(scale(read)) },
  PixelShuffle: {
    options: ['upscaleFactor'],
    build: (read) => new PixelShuffle(read.positiveInteger('upscaleFactor')),
  },
  PixelUnshuffle: {
    options: ['downscaleFactor'],
    build: (read) => new PixelUnshuffle(read.positiveInteger('downscaleFactor')),
  },
};
