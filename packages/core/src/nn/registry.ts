import { ArgumentError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import {
  ELU,
  GELU,
  Hardsigmoid,
  Hardswish,
  Hardtanh,
  LeakyReLU,
  LogSoftmax,
  Mish,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Sigmoid,
  Softmax,
  Softplus,
  Softsign,
  Tanh,
} from './activation.js';
import { describeValue } from './checks.js';
import { ConfigReader } from './config-reader.js';
import { CosineSimilarity, PairwiseDistance } from './distance.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { Identity } from './identity.js';
import { Linear } from './linear.js';
import { Module, type ModuleConfig } from './module.js';
import { Residual } from './residual.js';
import { Sequential } from './sequential.js';
import { containerBuiltins } from './registry-containers.js';
import { convolutionBuiltins } from './registry-conv.js';
import { imageBuiltins } from './registry-image.js';
import { layerBuiltins } from './registry-layers.js';
import { lazyBuiltins } from './registry-lazy.js';
import { poolExtraBuiltins } from './registry-pool-extras.js';
import { recurrentBuiltins } from './registry-recurrent.js';
import { applyReparametrizations } from './registry-reparametrizations.js';
import { transformerBuiltins } from './registry-transformer.js';

export interface ModuleFromConfigOptions {
  /**
   * Draws the initial weights. Dropout masks always come from the default generator when a
   * model is built from a config, so a checkpoint's saved RNG state covers them on resume.
   */
  generator?: Generator;
}

/** Rebuilds a custom module type from its config (nested configs: call moduleFromConfig). */
export type ModuleFactory = (config: ModuleConfig, options: ModuleFromConfigOptions) => Module;

type BuildChild = (config: unknown, key: string) => Module;
interface BuiltinType {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: ModuleFromConfigOptions, child: BuildChild) => Module;
}

const builtins: Readonly<Record<string, BuiltinType>> = {
  Linear: {
    options: ['inFeatures', 'outFeatures', 'bias', 'dtype'],
    build: (read, { generator }) =>
      new Linear(read.positiveInteger('inFeatures'), read.positiveInteger('outFeatures'), {
        bias: read.boolean('bias', true),
        dtype: read.floatDtype('dtype', 'float32'),
        generator,
      }),
  },
  Sequential: {
    options: ['modules'],
    build: (read, _, child) => {
      const built: Module[] = [];
      try {
        read.array('modules', []).forEach((config, i) => built.push(child(config, `modules[${i}]`)));
      } catch (error) {
        for (const module of built) module.dispose(); // children made before the bad one
        throw error;
      }
      return new Sequential(built);
    },
  },
  Residual: {
    options: ['module'],
    build: (read, _, child) => new Residual(child(read.required('module', 'a module config'), 'module')),
  },
  Flatten: {
    options: ['startAxis', 'endAxis'],
    build: (read) => new Flatten(read.integer('startAxis', 1), read.integer('endAxis', -1)),
  },
  Identity: { options: [], build: () => new Identity() },
  Dropout: { options: ['p'], build: (read) => new Dropout(read.number('p', 0.5, { min: 0, max: 1 })) },
  ReLU: { options: [], build: () => new ReLU() },
  LeakyReLU: { options: ['negativeSlope'], build: (read) => new LeakyReLU(read.number('negativeSlope', 0.01)) },
  ELU: { options: ['alpha'], build: (read) => new ELU(read.number('alpha', 1)) },
  Sigmoid: { options: [], build: () => new Sigmoid() },
  Tanh: { options: [], build: () => new Tanh() },
  Softmax: { options: ['axis'], build: (read) => new Softmax(read.integer('axis', -1)) },
  LogSoftmax: { options: ['axis'], build: (read) => new LogSoftmax(read.integer('axis', -1)) },
  GELU: { options: ['approximate'], build: (read) => new GELU(read.choice('approximate', 'none', ['none', 'tanh'])) },
  SiLU: { options: [], build: () => new SiLU() },
  Mish: { options: [], build: () => new Mish() },
  Softplus: {
    options: ['beta', 'threshold'],
    build: (read) => new Softplus(read.number('beta', 1), read.number('threshold', 20)),
  },
  Softsign: { options: [], build: () => new Softsign() },
  Hardtanh: {
    options: ['minVal', 'maxVal'],
    build: (read) => new Hardtanh(read.number('minVal', -1), read.number('maxVal', 1)),
  },
  ReLU6: { options: [], build: () => new ReLU6() },
  SELU: { options: [], build: () => new SELU() },
  Hardsigmoid: { options: [], build: () => new Hardsigmoid() },
  Hardswish: { options: [], build: () => new Hardswish() },
  PReLU: {
    options: ['numParameters', 'init', 'dtype'],
    build: (read) =>
      new PReLU(read.integer('numParameters', 1), read.number('init', 0.25), {
        dtype: read.floatDtype('dtype', 'float32'),
      }),
  },
  CosineSimilarity: {
    options: ['dim', 'eps'],
    build: (read) => new CosineSimilarity(read.integer('dim', 1), read.number('eps', 1e-8, { min: 0 })),
  },
  PairwiseDistance: {
    options: ['p', 'eps', 'keepdim'],
    build: (read) =>
      new PairwiseDistance(read.number('p', 2), read.number('eps', 1e-6), read.boolean('keepdim', false)),
  },
  ...convolutionBuiltins,
  ...imageBuiltins,
  ...recurrentBuiltins,
  ...transformerBuiltins,
  ...layerBuiltins,
  ...containerBuiltins,
  ...lazyBuiltins,
  ...poolExtraBuiltins,
};

const customTypes = new Map<string, ModuleFactory>();

/**
 * Lets `moduleFromConfig` rebuild a custom module from `{ type, ...options }`. Registering a
 * name again (a built-in one too) replaces it.
 */
export function registerModuleType(type: string, fromConfig: ModuleFactory): void {
  if (typeof type !== 'string' || type === '')
    throw new ArgumentError(`registerModuleType: type must be a non-empty string, got ${describeValue(type)}`);
  if (typeof fromConfig !== 'function') {
    throw new ArgumentError(
      `registerModuleType: fromConfig for '${type}' must be a function (config, options) => Module, got ${describeValue(fromConfig)}`,
    );
  }
  customTypes.set(type, fromConfig);
}

/** Every type name `moduleFromConfig` knows, sorted. */
export function registeredModuleTypes(): string[] {
  return [...new Set([...Object.keys(builtins), ...customTypes.keys()])].sort();
}

/**
 * Builds a module from the JSON its `config()` returns; configs may also be written by hand,
 * so each one is checked and an error says where, which option, the value and what is allowed.
 */
export function moduleFromConfig(config: ModuleConfig, options: ModuleFromConfigOptions = {}): Module {
  return build(config, options, '');
}

function build(config: unknown, options: ModuleFromConfigOptions, path: string): Module {
  const at = path === '' ? 'moduleFromConfig: ' : `moduleFromConfig: at ${path}: `;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new ArgumentError(
      `${at}expected a module config object like {"type": "Linear", ...}, got ${describeValue(config)}`,
    );
  }
  if (Object.hasOwn(config, 'reparametrizations')) {
    // weightNorm, spectralNorm and parametrize, recorded by the config of the module they changed
    const { reparametrizations, ...plain } = config as ModuleConfig;
    const built = build(plain, options, path);
    return applyReparametrizations(
      built,
      reparametrizations,
      `${at}${String(plain.type)}`,
      options.generator,
      (child, key) => build(child, options, path === '' ? key : `${path}.${key}`),
    );
  }
  const type: unknown = (config as { type?: unknown }).type;
  const known = registeredModuleTypes();
  if (typeof type !== 'string') {
    throw new ArgumentError(
      `${at}the config needs a "type" string, got ${describeValue(type)}; known types are ${known.join(', ')}`,
    );
  }
  const custom = customTypes.get(type);
  if (custom !== undefined) {
    const module: unknown = custom(config as ModuleConfig, options);
    if (!(module instanceof Module))
      throw new ArgumentError(
        `${at}the factory registered for '${type}' returned ${describeValue(module)}, not a Module`,
      );
    return module;
  }
  const builtin = Object.hasOwn(builtins, type) ? builtins[type] : undefined;
  if (builtin === undefined) {
    const near = known.find((name) => name.toLowerCase() === type.toLowerCase());
    throw new ArgumentError(
      `${at}unknown module type ${JSON.stringify(type)}${near ? ` (did you mean '${near}'?)` : ''}; known types are ${known.join(', ')}`,
    );
  }
  const reader = new ConfigReader(config as ModuleConfig, `${at}${type}`, builtin.options);
  return builtin.build(reader, options, (child, key) => build(child, options, path === '' ? key : `${path}.${key}`));
}
