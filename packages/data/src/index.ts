// @myelin/data: browser-safe. Readers that need Node (fs, zlib, sharp) live in '@myelin/data/node'.
export { DataError } from './errors.js';
export { hostArray, type HostArray, type NumericArray, type Sample } from './host-array.js';
export {
  Dataset,
  MappedDataset,
  Subset,
  ConcatDataset,
  type DatasetLike,
  type SampleContext,
  type Transform,
  type TransformContext,
} from './dataset.js';
export { TensorDataset, type ArrayInput, type TensorDatasetOptions } from './tensor-dataset.js';
export { randomSplit, type RandomSplitOptions } from './random-split.js';
export {
  Collator,
  collate,
  collatePadded,
  type Batch,
  type CollateOptions,
  type CollatePaddedOptions,
  type PaddedBatch,
} from './collate.js';
export { DataLoader, type DataLoaderOptions, type EpochBatches, type MaybePromise } from './data-loader.js';
export { DistributedSampler, type DistributedSamplerOptions, type Sampler } from './distributed-sampler.js';
export {
  SequentialSampler,
  RandomSampler,
  SubsetRandomSampler,
  WeightedRandomSampler,
  BatchSampler,
  type RandomSamplerOptions,
  type SubsetRandomSamplerOptions,
  type WeightedRandomSamplerOptions,
  type BatchSamplerLike,
  type BatchSamplerOptions,
} from './samplers.js';
export {
  compose,
  randomApply,
  randomChoice,
  type RandomApplyOptions,
  type RandomChoiceOptions,
} from './transforms/compose.js';
export {
  toFloat,
  normalize,
  flatten,
  oneHot,
  mapInputs,
  type SampleTransform,
  type ToFloatOptions,
} from './transforms/basic.js';
export { resize, resizeBilinear, type AxisTable } from './transforms/resize.js';
export {
  transformFromConfig,
  parseTransformConfigs,
  defaultTransformConfigs,
  resizeOfConfig,
  TRANSFORM_TYPES,
  type TransformConfig,
  type TransformFromConfigOptions,
} from './transforms/config.js';
export {
  randomHorizontalFlip,
  randomVerticalFlip,
  randomCrop,
  centerCrop,
  type RandomHorizontalFlipOptions,
  type RandomCropOptions,
} from './transforms/augment.js';
export {
  randomRotation,
  randomResizedCrop,
  pad,
  type RandomRotationOptions,
  type RandomResizedCropOptions,
  type PadOptions,
  type PaddingMode,
} from './transforms/geometry.js';
export {
  colorJitter,
  grayscale,
  randomGrayscale,
  gaussianBlur,
  randomErasing,
  type ColorJitterOptions,
  type GrayscaleOptions,
  type RandomGrayscaleOptions,
  type GaussianBlurOptions,
  type RandomErasingOptions,
} from './transforms/photometric.js';
export { parseIdx, decodeIdx, encodeIdx, type IdxArray, type IdxDType } from './sources/idx.js';
export { gunzip, isGzip } from './sources/gzip.js';
export { parseCsv, CsvDataset, type CsvOptions } from './sources/csv.js';
export { parseDigits, DIGITS_CLASSES, DIGITS_SAMPLES, type DigitsOptions } from './sources/digits.js';
export { LabeledDataset, pairIdxImagesAndLabels, type IdxPair } from './sources/labeled.js';
