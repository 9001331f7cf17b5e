import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { UsageError, describeValue } from '../errors.js';
import { defaultLearningRate } from './learning-rates.js';
import { checkLossTargets } from './loss-targets.js';
import { applyFlags, optionForPath } from './options.js';
import { formatPath, getPath, isObject, type JsonObject } from './paths.js';
import { configSchema, defaultTransforms, type RunConfig } from './schema.js';

/** apps/cli/configs: the presets shipped with the CLI. */
export const PRESET_DIRECTORY = fileURLToPath(new URL('../../configs/', import.meta.url));

export function presetNames(): string[] {
  try {
    return readdirSync(PRESET_DIRECTORY)
      .filter((f) => f.endsWith('.json'))
      .map((f) => f.slice(0, -'.json'.length))
      .sort();
  } catch {
    return [];
  }
}

export interface ConfigInput {
  /** A JSON or YAML config file. */
  file?: string;
  /** A preset name (apps/cli/configs/<name>.json). */
  preset?: string;
  /** Flag texts by flag name; they override the file. */
  flags: ReadonlyMap<string, string>;
  /** Relative paths given by flags resolve against this (the working directory). */
  cwd?: string;
}

/** Reads a config file: JSON, or YAML for .yaml/.yml. Any problem is a usage error naming the file. */
export function readConfigFile(file: string): JsonObject {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = (error as { code?: string }).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UsageError(
      `invalid value for --config: got ${describeValue(file)}; allowed: a readable JSON or YAML file (${reason})`,
    );
  }
  let value: unknown;
  const yaml = /\.ya?ml$/i.test(file);
  try {
    value = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(
      `config file ${file} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (!isObject(value))
    throw new UsageError(
      `config file ${file} must hold an object like {"data": {...}, "training": {...}}, got ${describeValue(value)}`,
    );
  return value;
}

function presetFile(name: string): string {
  const names = presetNames();
  if (!names.includes(name))
    throw new UsageError(`invalid value for --preset: got ${describeValue(name)}; allowed: ${names.join(', ')}`);
  return path.join(PRESET_DIRECTORY, `${name}.json`);
}

/** Data paths in a file are relative to the file; those from flags to the working directory. */
function resolveDataPaths(config: JsonObject, base: string): void {
  const data = config.data;
  if (!isObject(data)) return;
  for (const key of ['path', 'testPath']) {
    const value = data[key];
    if (typeof value === 'string' && value !== '' && !path.isAbsolute(value)) data[key] = path.resolve(base, value);
  }
}

/**
 * The run config: the file (or preset) with the flags applied over it, validated, with the
 * dataset's default transforms filled in and data paths made absolute.
 */
export function resolveConfig(input: ConfigInput): {
  config: RunConfig;
  file: string | undefined;
  /** The flag that set each config path, for messages ('optimizer.lr' -> '--lr'). */
  origins: ReadonlyMap<string, string>;
} {
  if (input.file !== undefined && input.preset !== undefined) {
    throw new UsageError(
      `invalid value for --preset: got ${describeValue(input.preset)} together with --config ${input.file}; allowed: one of --config or --preset`,
    );
  }
  const file = input.preset !== undefined ? presetFile(input.preset) : input.file;
  const raw: JsonObject = file === undefined ? {} : readConfigFile(file);
  if (file !== undefined) resolveDataPaths(raw, path.dirname(path.resolve(file)));
  const origins = applyFlags(raw, input.flags);
  resolveFlagPaths(raw, origins, input.cwd ?? process.cwd());
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) throw usageErrorFromIssue(parsed.error.issues[0]!, raw, origins, file);
  return { config: completeConfig(parsed.data, origins, file), file, origins };
}

function resolveFlagPaths(config: JsonObject, origins: ReadonlyMap<string, string>, cwd: string): void {
  const data = config.data;
  if (!isObject(data)) return;
  for (const key of ['path', 'testPath']) {
    const value = data[key];
    if (origins.has(`data.${key}`) && typeof value === 'string' && !path.isAbsolute(value))
      data[key] = path.resolve(cwd, value);
  }
}

/** Checks that span options, and fills in what depends on others. */
function completeConfig(config: RunConfig, origins: ReadonlyMap<string, string>, file: string | undefined): RunConfig {
  const where = (option: string): string => origins.get(option) ?? (file ? `in ${file}` : '');
  const { data } = config;
  if (data.path === null && (data.source === 'mnist' || data.source === 'csv' || data.source === 'image-folder')) {
    throw new UsageError(
      `missing value for data.path (--data-path): data source '${data.source}' needs one; allowed: ${data.source === 'csv' ? 'a CSV or whitespace-separated file' : data.source === 'mnist' ? 'an MNIST-format directory' : 'a folder with one sub-folder of images per class'}`,
    );
  }
  if (data.validationSplit + data.testSplit >= 1) {
    const from = [where('data.validationSplit'), where('data.testSplit')]
      .filter((w, i, all) => w !== '' && all.indexOf(w) === i)
      .join(', ');
    throw new UsageError(
      `invalid value for data.validationSplit + data.testSplit${from ? ` (${from})` : ''}: got ${data.validationSplit} + ${data.testSplit}; allowed: a sum below 1 (the rest is the training set)`,
    );
  }
  checkLossTargets(String(config.loss.type), where('loss') ? ` (${where('loss')})` : '');
  const optimizer = completeOptimizer(config.optimizer, where);
  if (config.training.clipGradNorm !== null && config.training.clipGradValue !== null) {
    throw new UsageError(
      `invalid value for training.clipGradValue: got ${config.training.clipGradValue} together with training.clipGradNorm ${config.training.clipGradNorm}; allowed: one of the two`,
    );
  }
  return { ...config, optimizer, data: { ...data, transforms: data.transforms ?? defaultTransforms(data.source) } };
}

/**
 * An optimizer object without `lr` gets its type's default (learning-rates.ts: PyTorch's, or the
 * CLI's 2e-3 for sgd and adam), written into the resolved config so the run shows and stores the
 * rate it trains at; the learning rate must be a number > 0, as --help says (0 would train nothing).
 * An unknown type keeps no lr: core's optimizerFromConfig names the known types.
 */
function completeOptimizer(optimizer: RunConfig['optimizer'], where: (path: string) => string): RunConfig['optimizer'] {
  const lr = optimizer.lr === undefined ? defaultLearningRate(optimizer.type) : optimizer.lr;
  if (lr === undefined) return optimizer;
  if (typeof lr !== 'number' || !(lr > 0) || !Number.isFinite(lr)) {
    const from = where('optimizer.lr') || where('optimizer');
    throw new UsageError(
      `invalid value for optimizer.lr${from ? ` (${from})` : ''}: got ${describeValue(lr)}; allowed: a number > 0`,
    );
  }
  return { ...optimizer, lr };
}

type Issue = z.core.$ZodIssue;

/** One message for the first schema problem: the option (and the flag or file that set it), the value, what is allowed. */
export function usageErrorFromIssue(
  issue: Issue,
  raw: unknown,
  origins: ReadonlyMap<string, string>,
  file: string | undefined,
): UsageError {
  const { issue: leaf, prefix } = innermost(issue);
  const fullPath = [...prefix, ...leaf.path];
  const dotted = formatPath(fullPath);
  const keyPath = fullPath.filter((k) => typeof k === 'string').join('.');
  const option = optionForPath(keyPath);
  const flag = [...origins.entries()].find(
    ([p]) => dotted === p || dotted.startsWith(`${p}.`) || dotted.startsWith(`${p}[`),
  )?.[1];
  const where = flag ? ` (${flag})` : file ? ` in ${file}` : '';
  if (leaf.code === 'unrecognized_keys') {
    const parent = dotted === '' ? 'the config' : dotted;
    const allowed = allowedKeys(fullPath);
    return new UsageError(
      `unknown option${leaf.keys.length > 1 ? 's' : ''} ${leaf.keys.map((k) => `'${k}'`).join(', ')} in ${parent}${file ? ` (${file})` : ''}; allowed: ${allowed}`,
    );
  }
  const value = getPath(raw, fullPath as (string | number)[]);
  const allowed =
    // A custom issue (a check zod cannot express) says itself what is allowed.
    leaf.code !== 'custom' && option && (dotted === option.path || (flag !== undefined && keyPath === option.path))
      ? option.allowed
      : describeAllowed(leaf);
  return new UsageError(
    `invalid value for ${dotted || 'the config'}${where}: got ${describeValue(value)}; allowed: ${allowed}`,
  );
}

/** For a union, the issue of the branch that matched the "type" (or the type issue itself). */
function innermost(issue: Issue, prefix: PropertyKey[] = []): { issue: Issue; prefix: PropertyKey[] } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, prefix };
  const branches = issue.errors.filter((branch) => branch.length > 0);
  const matching = branches.find((branch) => !branch.some((i) => i.path.length === 1 && i.path[0] === 'type'));
  if (matching) return innermost(matching[0]!, [...prefix, ...issue.path]);
  const types = branches.flatMap((branch) =>
    branch
      .filter((i) => i.path[0] === 'type' && i.code === 'invalid_value')
      .flatMap((i) => (i.code === 'invalid_value' ? i.values : [])),
  );
  if (types.length > 0) {
    return {
      issue: {
        code: 'invalid_value',
        values: types,
        path: [...issue.path, 'type'],
        message: '',
        input: undefined,
      } as Issue,
      prefix,
    };
  }
  return { issue, prefix };
}

function describeAllowed(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      return (
        {
          number: 'a number',
          string: 'a string',
          boolean: 'true or false',
          array: 'a list',
          object: 'an object',
          int: 'an integer',
        }[issue.expected as string] ?? String(issue.expected)
      );
    case 'too_small':
      if (issue.origin === 'array')
        return `a list of at least ${issue.minimum} item${Number(issue.minimum) === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return 'a non-empty string';
      return `a number ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`;
    case 'too_big':
      return `a number ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`;
    case 'invalid_value':
      return issue.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(', ');
    case 'invalid_format':
      return "letters, digits, '.', '_' and '-'";
    case 'invalid_union': {
      const expected = /Expected (.*)$/.exec(issue.message)?.[1];
      return expected
        ? expected
            .split('|')
            .map((v) => v.trim().replace(/^'|'$/g, ''))
            .join(', ')
        : issue.message;
    }
    case 'custom':
    case 'invalid_element':
    case 'invalid_key':
    case 'not_multiple_of':
    case 'unrecognized_keys':
      return issue.message;
  }
}

/** The keys allowed in the object at `objectPath`, from the schema. */
function allowedKeys(objectPath: readonly PropertyKey[]): string {
  const key = objectPath.filter((k) => typeof k === 'string').join('.');
  if (key === '') return Object.keys(configSchema.shape).join(', ');
  const shapes: Record<string, readonly string[]> = {
    data: [
      'source',
      'path',
      'testPath',
      'labelColumn',
      'channels',
      'validationSplit',
      'testSplit',
      'splitSeed',
      'limit',
      'transforms',
    ],
    training: [
      'epochs',
      'batchSize',
      'metrics',
      'earlyStopping',
      'clipGradNorm',
      'clipGradValue',
      'readLossEvery',
      'accumulateSteps',
      'classWeight',
      'validationFreq',
    ],
    'training.earlyStopping': ['monitor', 'patience', 'minDelta', 'mode'],
    checkpoint: ['monitor', 'mode', 'saveBest', 'every'],
    log: ['everyBatches', 'everyEpochs'],
    output: ['dir', 'name'],
    model: ['type', 'hidden', 'activation', 'dropout'],
    'data.transforms': ['type', 'scale (toFloat)', 'mean, std (normalize)', 'size (resize)'],
  };
  return (shapes[key] ?? ['see myelin train --help']).join(', ');
}
