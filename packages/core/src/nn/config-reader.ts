import { ArgumentError } from '../errors.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkInteger,
  checkNumber,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
  type NumberRange,
} from './checks.js';
import type { ModuleConfig } from './module.js';
import { pair, single, triple, type Size1d, type Size2d, type Size3d } from '../ops/unfold.js';
import { checkSpatialScale } from './upsampling.js';

/**
 * Reads the options of one hand-written module config. Every error names where the config
 * sits, the option, the value seen and what is allowed:
 * `moduleFromConfig: at modules[1]: Linear option 'inFeatures' must be a positive integer, got -3`.
 */
export class ConfigReader {
  readonly #config: ModuleConfig;
  readonly #where: string;

  /** `where` is e.g. 'moduleFromConfig: at modules[1]: Linear'; `options` are the names allowed. */
  constructor(config: ModuleConfig, where: string, options: readonly string[]) {
    this.#config = config;
    this.#where = where;
    const unknown = Object.keys(config).filter((key) => key !== 'type' && !options.includes(key));
    if (unknown.length > 0) {
      const names = unknown.map((key) => `'${key}'`).join(', ');
      const allowed = options.length > 0 ? `its options are ${options.join(', ')}` : 'it takes no options';
      throw new ArgumentError(`${where} has no option${unknown.length > 1 ? 's' : ''} ${names}; ${allowed}`);
    }
  }

  /** A required option, unchecked (for nested module configs). */
  required(name: string, expected: string): unknown {
    const value = this.#config[name];
    if (value === undefined) throw new ArgumentError(`${this.#what(name)} is required (${expected})`);
    return value;
  }

  positiveInteger(name: string): number {
    return checkPositiveInteger(this.#what(name), this.required(name, 'a positive integer'));
  }

  /** An integer, or undefined when the option is absent. */
  optionalInteger(name: string): number | undefined {
    const value = this.#config[name];
    return value === undefined ? undefined : checkInteger(this.#what(name), value);
  }

  integer(name: string, fallback: number): number {
    return checkInteger(this.#what(name), this.#config[name] ?? fallback);
  }

  number(name: string, fallback: number, range?: NumberRange): number {
    return checkNumber(this.#what(name), this.#config[name] ?? fallback, range);
  }

  /** A number that has no default (Threshold's threshold and value). */
  requiredNumber(name: string, range?: NumberRange): number {
    return checkNumber(this.#what(name), this.required(name, 'a number'), range);
  }

  /** A number, or null when the option is absent or null (RMSNorm's eps: null is the dtype's epsilon). */
  optionalNumber(name: string, range?: NumberRange): number | null {
    const value = this.#config[name];
    return value === undefined || value === null ? null : checkNumber(this.#what(name), value, range);
  }

  boolean(name: string, fallback: boolean): boolean {
    return checkBoolean(this.#what(name), this.#config[name] ?? fallback);
  }

  /** One of `choices` (GELU's approximate: 'none' or 'tanh'). */
  choice<const C extends string>(name: string, fallback: NoInfer<C>, choices: readonly C[]): C {
    const value = this.#config[name] ?? fallback;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as C;
    throw new ArgumentError(
      `${this.#what(name)} must be ${choices.map((c) => `'${c}'`).join(' or ')}, got ${describeValue(value)}`,
    );
  }

  floatDtype(name: string, fallback: FloatDType): FloatDType {
    return checkFloatDtype(this.#what(name), this.#config[name] ?? fallback);
  }

  /** A window size: one integer >= min for both spatial axes, or a [height, width] pair of them. */
  size2d(name: string, fallback: Size2d | undefined, min: number): Size2d {
    const value = this.#config[name] ?? fallback ?? this.required(name, 'a size or [height, width]');
    const [a, b] = pair(this.#what(name), value as Size2d, min);
    return a === b && typeof value === 'number' ? a : [a, b];
  }

  /** One of `choices`, else a window size as `size2d` reads it (Conv2d's padding: 'same', 'valid' or sizes). */
  size2dOr<C extends string>(name: string, fallback: Size2d, min: number, choices: readonly C[]): Size2d | C {
    return this.#choiceOr(name, choices) ?? this.size2d(name, fallback, min);
  }

  /** A 3-D window size: one integer >= min for every spatial axis, or [depth, height, width] of them. */
  size3d(name: string, fallback: Size3d | undefined, min: number): Size3d {
    const value = this.#config[name] ?? fallback ?? this.required(name, 'a size or [depth, height, width]');
    const sizes = triple(this.#what(name), value as Size3d, min);
    return typeof value === 'number' ? sizes[0] : sizes;
  }

  /** One of `choices`, else a window size as `size3d` reads it (Conv3d's padding: 'same', 'valid' or sizes). */
  size3dOr<C extends string>(name: string, fallback: Size3d, min: number, choices: readonly C[]): Size3d | C {
    return this.#choiceOr(name, choices) ?? this.size3d(name, fallback, min);
  }

  /** A 1-D window size: one integer >= min, or [it]; read as the number. */
  size1d(name: string, fallback: Size1d | undefined, min: number): number {
    const value = this.#config[name] ?? fallback ?? this.required(name, 'a size or [length]');
    return single(this.#what(name), value as Size1d, min);
  }

  /** One of `choices`, else a size as `size1d` reads it (Conv1d's padding: 'same', 'valid' or a size). */
  size1dOr<C extends string>(name: string, fallback: Size1d, min: number, choices: readonly C[]): number | C {
    return this.#choiceOr(name, choices) ?? this.size1d(name, fallback, min);
  }

  /** A list of positive integers (a shape), or one positive integer. */
  dims(name: string): number[] {
    const value = this.required(name, 'a positive integer or a list of them');
    const list = Array.isArray(value) ? (value as unknown[]) : [value];
    if (list.length === 0) throw new ArgumentError(`${this.#what(name)} must not be empty`);
    return list.map((d, i) => checkPositiveInteger(`${this.#what(name)}[${i}]`, d));
  }

  /** Upsample's size (integers) or scaleFactor: a positive number or a list of them, as written; undefined when absent. */
  spatialScale(name: string, integer: boolean): number | number[] | undefined {
    const value = this.#config[name];
    return value === undefined ? undefined : checkSpatialScale(this.#what(name), value, integer);
  }

  array(name: string, fallback: readonly unknown[]): readonly unknown[] {
    const value = this.#config[name] ?? fallback;
    if (!Array.isArray(value))
      throw new ArgumentError(`${this.#what(name)} must be an array, got ${describeValue(value)}`);
    return value;
  }

  /** The option when it is a string among `choices`; undefined when it is no string; else throws. */
  #choiceOr<C extends string>(name: string, choices: readonly C[]): C | undefined {
    const value = this.#config[name];
    if (typeof value !== 'string') return undefined;
    if ((choices as readonly string[]).includes(value)) return value as C;
    throw new ArgumentError(
      `${this.#what(name)} must be ${choices.map((c) => `'${c}'`).join(', ')} or a size, got ${JSON.stringify(value)}`,
    );
  }

  /** The options as written, unchecked and without defaults: for a layer whose constructor checks them itself (the lazy layers). */
  given(): Record<string, unknown> {
    const { type: _type, ...options } = this.#config;
    return options;
  }

  /** Where this config sits and its type ('moduleFromConfig: at modules[1]: Linear'), for errors made elsewhere. */
  get where(): string {
    return this.#where;
  }

  /** How errors name an option ("moduleFromConfig: at modules[1]: Linear option 'inFeatures'"), for checks made elsewhere. */
  describe(name: string): string {
    return this.#what(name);
  }

  #what(name: string): string {
    return `${this.#where} option '${name}'`;
  }
}
