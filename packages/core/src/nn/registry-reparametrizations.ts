import { ArgumentError } from '../errors.js';
import type { Generator } from '../tensor/random.js';
import { describeValue } from './checks.js';
import type { Module } from './module.js';
import { orthogonal, spectralNorm as spectralNormParametrization } from './parametrizations.js';
import { registerParametrization } from './parametrize.js';
import { spectralNorm, weightNorm } from './weight-norm.js';

/** What a module config's `reparametrizations` may list, by type. */
const TYPES = ['weightNorm', 'spectralNorm', 'orthogonal', 'parametrizations.spectralNorm', 'parametrization'];

/**
 * moduleFromConfig's part for `reparametrizations` (what weightNorm, spectralNorm and parametrize
 * record in a config): redoes each in order on the built module, so a checkpoint's state dict,
 * with torch's names, loads into it. `buildChild` builds a user parametrization's module config.
 */
export function applyReparametrizations(
  module: Module,
  list: unknown,
  where: string,
  generator: Generator | undefined,
  buildChild: (config: unknown, key: string) => Module,
): Module {
  if (!Array.isArray(list))
    throw new ArgumentError(
      `${where}: 'reparametrizations' must be a list like [{"type": "weightNorm", "name": "weight", "dim": 0}], got ${describeValue(list)}`,
    );
  (list as unknown[]).forEach((entry, i) => {
    const at = `${where}: reparametrizations[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new ArgumentError(`${at} must be an object like {"type": "weightNorm", ...}, got ${describeValue(entry)}`);
    const { type, ...options } = entry as { type?: unknown; [option: string]: unknown };
    if (type === 'weightNorm') weightNorm(module, options);
    else if (type === 'spectralNorm') spectralNorm(module, { ...options, generator });
    else if (type === 'orthogonal') orthogonal(module, { ...options, generator });
    else if (type === 'parametrizations.spectralNorm') spectralNormParametrization(module, { ...options, generator });
    else if (type === 'parametrization') {
      const { name, module: config, unsafe, ...rest } = options;
      if (Object.keys(rest).length > 0 || typeof name !== 'string')
        throw new ArgumentError(
          `${at}: a parametrization takes "name" (a string), "module" (a module config) and "unsafe", got ${JSON.stringify(entry)}`,
        );
      const built = buildChild(config, `reparametrizations[${i}].module`);
      registerParametrization(module, name, built, unsafe === undefined ? {} : { unsafe: unsafe as boolean });
    } else
      throw new ArgumentError(
        `${at}: "type" must be one of ${TYPES.map((t) => `'${t}'`).join(', ')}, got ${describeValue(type)}`,
      );
  });
  return module;
}
