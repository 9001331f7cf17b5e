import { MLP_ACTIVATIONS } from '@myelin/core';
import { DataError, defaultTransformConfigs, parseTransformConfigs, type TransformConfig } from '@myelin/data';
import { z } from 'zod';
import { DEFAULT_LEARNING_RATES } from './learning-rates.js';

// The run config: what `myelin train` reads from a JSON/YAML file, what every flag sets, and
// what a run directory's config.json holds once resolved. Model, loss, optimizer and schedule
// sub-objects are core's own JSON forms, checked in full by core's *FromConfig functions.

export const DATA_SOURCES = ['digits', 'fashion-mnist', 'mnist', 'csv', 'image-folder'] as const;
export type DataSource = (typeof DATA_SOURCES)[number];

const fraction = z.number().min(0).max(0.95);
const positive = z.number().positive();
const integer = (minimum: number) => z.number().int().min(minimum);

/** Largest resize side: far beyond any training image, and within what the decoder and typed arrays hold. */
export const MAX_IMAGE_SIDE = 16384;
const imageSide = integer(1).max(MAX_IMAGE_SIDE);

const pair = z.tuple([z.number(), z.number()]);
const numberOrPair = z.union([z.number(), pair]);
const probability = z.number().min(0).max(1).optional();
const transform: z.ZodType<TransformConfig> = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('toFloat'), scale: positive.optional() }),
  z.strictObject({
    type: z.literal('normalize'),
    mean: z.union([z.number(), z.array(z.number()).min(1)]),
    std: z.union([positive, z.array(positive).min(1)]),
  }),
  z.strictObject({
    type: z.literal('resize'),
    size: z.union([imageSide, z.tuple([imageSide, imageSide])]),
  }),
  z.strictObject({ type: z.literal('flatten') }),
  z.strictObject({ type: z.literal('randomHorizontalFlip'), p: z.number().min(0).max(1).optional() }),
  z.strictObject({
    type: z.literal('randomCrop'),
    size: z.union([imageSide, z.tuple([imageSide, imageSide])]),
    padding: integer(0).max(MAX_IMAGE_SIDE).optional(),
    fill: z.number().optional(),
  }),
  z.strictObject({ type: z.literal('randomVerticalFlip'), p: probability }),
  z.strictObject({
    type: z.literal('randomRotation'),
    degrees: numberOrPair,
    interpolation: z.enum(['nearest', 'bilinear']).optional(),
    fill: z.union([z.number(), z.array(z.number()).min(1)]).optional(),
  }),
  z.strictObject({
    type: z.literal('randomResizedCrop'),
    size: z.union([imageSide, z.tuple([imageSide, imageSide])]),
    scale: pair.optional(),
    ratio: pair.optional(),
  }),
  z.strictObject({
    type: z.literal('colorJitter'),
    brightness: numberOrPair.optional(),
    contrast: numberOrPair.optional(),
    saturation: numberOrPair.optional(),
    hue: numberOrPair.optional(),
  }),
  z.strictObject({
    type: z.literal('randomErasing'),
    p: probability,
    scale: pair.optional(),
    ratio: pair.optional(),
    value: z.union([z.number(), z.array(z.number()).min(1), z.literal('random')]).optional(),
  }),
  z.strictObject({
    type: z.literal('pad'),
    padding: z.union([integer(0), z.array(integer(0))]),
    fill: z.number().optional(),
    paddingMode: z.enum(['constant', 'edge', 'reflect', 'symmetric']).optional(),
  }),
  z.strictObject({ type: z.literal('grayscale'), numOutputChannels: z.union([z.literal(1), z.literal(3)]).optional() }),
  z.strictObject({ type: z.literal('randomGrayscale'), p: probability }),
  z.strictObject({
    type: z.literal('gaussianBlur'),
    kernelSize: z.union([integer(1), z.tuple([integer(1), integer(1)])]),
    sigma: numberOrPair.optional(),
  }),
  z.strictObject({
    type: z.literal('randomApply'),
    transforms: z.array(z.lazy(() => transform)).min(1),
    p: probability,
  }),
  z.strictObject({
    type: z.literal('randomChoice'),
    transforms: z.array(z.lazy(() => transform)).min(1),
    p: z.array(z.number()).optional(),
  }),
]);
/**
 * Checks exactly @myelin/data's TransformConfig, with zod's messages for the CLI's usage errors,
 * then the values zod cannot (ranges, odd kernels, padding modes) with the data package's own checks.
 */
const transformList: z.ZodType<TransformConfig[]> = z.array(transform).superRefine((list, context) => {
  try {
    parseTransformConfigs(list);
  } catch (error) {
    if (!(error instanceof DataError)) throw error;
    // The entry the error names ('data.transforms[0].transforms[1]') as a path below the list,
    // and the option when the message starts with its name ('kernelSize a positive odd integer').
    const below = (error.source ?? '').slice('data.transforms'.length);
    const path: PropertyKey[] = [...below.matchAll(/\[(\d+)\]|\.(\w+)/g)].map((m) =>
      m[1] === undefined ? m[2]! : Number(m[1]),
    );
    let entry: unknown = list;
    for (const key of path) entry = (entry as Record<PropertyKey, unknown>)[key];
    const option = /^\w+/.exec(error.expected)?.[0];
    const named = option !== undefined && typeof entry === 'object' && entry !== null && option in entry;
    context.addIssue(
      named
        ? { code: 'custom', message: error.expected.slice(option.length + 1), path: [...path, option] }
        : { code: 'custom', message: error.expected, path },
    );
  }
});
export type { TransformConfig };

const data = z.strictObject({
  source: z.enum(DATA_SOURCES).default('digits'),
  path: z.string().min(1).nullable().default(null),
  testPath: z.string().min(1).nullable().default(null),
  labelColumn: z.union([z.number().int(), z.string().min(1)]).default(-1),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  validationSplit: fraction.default(0.15),
  testSplit: fraction.default(0.15),
  splitSeed: integer(0).nullable().default(null),
  limit: integer(1).nullable().default(null),
  transforms: transformList.nullable().default(null),
});

const mlp = z.strictObject({
  type: z.literal('mlp'),
  hidden: z.array(integer(1)).default(() => [128]),
  activation: z.enum(MLP_ACTIVATIONS).default('relu'),
  dropout: z.number().min(0).max(0.99).default(0),
});
/** A Sequential in the JSON form `module.config()` returns (and checkpoints store). */
const sequential = z.looseObject({ type: z.literal('Sequential'), modules: z.array(z.unknown()) });
/** A small CNN (core's cnnConfig): conv blocks, then the MLP head that hidden/activation/dropout describe. */
const cnn = z.strictObject({
  type: z.literal('cnn'),
  channels: z
    .array(integer(1))
    .min(1)
    .default(() => [16, 32]),
  kernelSize: integer(1).default(3),
  batchNorm: z.boolean().default(true),
  pool: integer(1).default(2),
  globalPool: z.boolean().default(false),
  hidden: z.array(integer(1)).default(() => []),
  activation: z.enum(MLP_ACTIVATIONS).default('relu'),
  dropout: z.number().min(0).max(0.99).default(0),
});
const model = z.union([mlp, cnn, sequential]);

/** `{ type, ...options }`: core validates the type and every option. */
const typed = z.looseObject({ type: z.string().min(1) });

const earlyStopping = z.strictObject({
  monitor: z.string().min(1).default('val_loss'),
  patience: integer(0).default(5),
  minDelta: z.number().min(0).default(0),
  mode: z.enum(['auto', 'min', 'max']).default('auto'),
});

export const configSchema = z.strictObject({
  /** What the run is, in words (presets say which reference experiment they reproduce). */
  description: z.string().nullable().default(null),
  data: data.prefault({}),
  model: model.prefault({ type: 'mlp' }),
  loss: typed.default(() => ({ type: 'CrossEntropyLoss' })),
  optimizer: typed.default(() => ({ type: 'adam', lr: DEFAULT_LEARNING_RATES.adam })),
  schedule: typed.nullable().default(null),
  training: z
    .strictObject({
      epochs: integer(1).default(40),
      batchSize: z.union([integer(1), z.literal('full')]).default(32),
      metrics: z.array(z.string().min(1)).nullable().default(null),
      earlyStopping: earlyStopping.nullable().default(null),
      clipGradNorm: positive.nullable().default(null),
      clipGradValue: positive.nullable().default(null),
      readLossEvery: integer(1).nullable().default(null),
      accumulateSteps: integer(1).default(1),
      classWeight: z
        .union([
          z.literal('balanced'),
          z.array(z.number().min(0)).min(1),
          z.record(z.string().regex(/^(0|[1-9]\d*)$/), z.number().min(0)),
        ])
        .nullable()
        .default(null),
      validationFreq: integer(1).default(1),
    })
    .prefault({}),
  checkpoint: z
    .strictObject({
      monitor: z.string().min(1).nullable().default(null),
      mode: z.enum(['auto', 'min', 'max']).default('auto'),
      saveBest: z.boolean().default(true),
      every: integer(1).default(1),
    })
    .prefault({}),
  log: z
    .strictObject({
      everyBatches: integer(1).default(20),
      everyEpochs: integer(1).default(1),
    })
    .prefault({}),
  backend: z.string().min(1).default('auto'),
  seed: integer(0).default(0),
  output: z
    .strictObject({
      dir: z.string().min(1).default('runs'),
      name: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)
        .nullable()
        .default(null),
    })
    .prefault({}),
});

export type RunConfig = z.infer<typeof configSchema>;

/** The built-in defaults: the digits MLP on the backend --backend auto picks (what `pnpm train` runs). */
export const DEFAULT_CONFIG: RunConfig = configSchema.parse({});

/** The preprocessing a source gets when the config names none (stored resolved in the run config). */
export const defaultTransforms = (source: DataSource): TransformConfig[] => defaultTransformConfigs(source);
