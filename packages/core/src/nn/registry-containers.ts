import { ArgumentError } from '../errors.js';
import { zeros } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkFloatDtype, checkInteger, describeValue } from './checks.js';
import type { ConfigReader } from './config-reader.js';
import { ModuleDict, ParameterDict, ParameterList } from './containers.js';
import type { Module } from './module.js';

type BuildChild = (config: unknown, key: string) => Module;
interface ContainerBuiltin {
  readonly options: readonly string[];
  readonly build: (read: ConfigReader, options: unknown, child: BuildChild) => Module;
}

/** The option's [key, value] pairs, each checked to be one. */
function pairs(read: ConfigReader, name: string): [string, unknown][] {
  return read.array(name, []).map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
      throw new ArgumentError(
        `${read.describe(name)}[${i}] must be a [key, value] pair with a string key, got ${describeValue(pair)}`,
      );
    return [pair[0], pair[1] as unknown];
  });
}

/** A parameter of the described shape and dtype, zeros until the state dict fills it. */
function parameterFromSpec(what: string, spec: unknown): Tensor {
  if (typeof spec !== 'object' || spec === null || !Array.isArray((spec as { shape?: unknown }).shape))
    throw new ArgumentError(`${what} must be { shape: [sizes], dtype }, got ${describeValue(spec)}`);
  const { shape, dtype } = spec as { shape: unknown[]; dtype?: unknown };
  const sizes = shape.map((d, i) => {
    const size = checkInteger(`${what}.shape[${i}]`, d);
    if (size < 0) throw new ArgumentError(`${what}.shape[${i}] must be a size >= 0, got ${size}`);
    return size;
  });
  return zeros(sizes, { dtype: checkFloatDtype(`${what}.dtype`, dtype ?? 'float32') });
}

/** Builds every item, freeing the ones made before a bad one. */
function buildAll<T extends { dispose(): void }, R>(items: readonly R[], make: (item: R, i: number) => T): T[] {
  const built: T[] = [];
  try {
    items.forEach((item, i) => built.push(make(item, i)));
  } catch (error) {
    for (const value of built) value.dispose();
    throw error;
  }
  return built;
}

/** ModuleDict, ParameterList and ParameterDict, for moduleFromConfig (parameter values come from the state dict). */
export const containerBuiltins: Readonly<Record<string, ContainerBuiltin>> = {
  ModuleDict: {
    options: ['modules'],
    build: (read, _, child) => {
      const entries = pairs(read, 'modules');
      const modules = buildAll(entries, ([, config], i) => child(config, `modules[${i}]`));
      return new ModuleDict(entries.map(([key], i) => [key, modules[i]!] as const));
    },
  },
  ParameterList: {
    options: ['parameters'],
    build: (read) =>
      new ParameterList(
        buildAll(read.array('parameters', []), (spec, i) =>
          parameterFromSpec(`${read.describe('parameters')}[${i}]`, spec),
        ),
      ),
  },
  ParameterDict: {
    options: ['parameters'],
    build: (read) => {
      const entries = pairs(read, 'parameters');
      const tensors = buildAll(entries, ([, spec], i) =>
        parameterFromSpec(`${read.describe('parameters')}[${i}][1]`, spec),
      );
      return new ParameterDict(entries.map(([key], i) => [key, tensors[i]!] as const));
    },
  },
};
