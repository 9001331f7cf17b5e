import { ArgumentError, MyelinError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInteger, describeValue } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** A dict's contents as torch.nn.ModuleDict/ParameterDict take them: an object or [key, value] pairs (their order kept). */
export type NamedEntries<T> = Readonly<Record<string, T>> | Iterable<readonly [string, T]>;

/** [key, value] pairs from an object (its key order) or an iterable of pairs, checked to be pairs. */
function entriesOf<T>(what: string, entries: NamedEntries<T>): [string, T][] {
  if (typeof entries !== 'object' || entries === null)
    throw new ArgumentError(
      `${what} must be an object or an iterable of [key, value] pairs, got ${describeValue(entries)}`,
    );
  if (!(Symbol.iterator in entries)) return Object.entries(entries);
  return [...(entries as Iterable<unknown>)].map((pair, i) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
      throw new ArgumentError(
        `${what}: entry ${i} must be a [key, value] pair with a string key, got ${describeValue(pair)}`,
      );
    return [pair[0], pair[1] as T];
  });
}

/** What a container's forward says: it holds things for a custom forward to use. */
function noForward(typeName: string, how: string): never {
  throw new MyelinError(`${typeName} has no forward: ${how} in your own module's forward`);
}

/** Keyed storage shared by ModuleDict and ParameterDict: insertion order, get/has/keys like a Map. */
abstract class KeyedContainer<T> extends Module implements Iterable<string> {
  readonly #items = new Map<string, T>();

  get length(): number {
    return this.#items.size;
  }

  has(key: string): boolean {
    return this.#items.has(key);
  }

  /** The value under `key`; an error lists the keys when there is none. */
  get(key: string): T {
    const value = this.#items.get(key);
    if (value === undefined) {
      const keys = this.#items.size === 0 ? 'none' : [...this.#items.keys()].map((k) => `'${k}'`).join(', ');
      throw new ArgumentError(`${this.typeName}.get: no key ${describeValue(key)}; its keys are ${keys}`);
    }
    return value;
  }

  /** Adds `value` under a new key (a taken key is an error: registered names cannot be reused). */
  set(key: string, value: T): this {
    this.#items.set(key, this.register(key, value));
    return this;
  }

  /** Adds every entry, in order (torch's update). */
  update(entries: NamedEntries<T>): this {
    for (const [key, value] of entriesOf(`${this.typeName}.update: entries`, entries)) this.set(key, value);
    return this;
  }

  keys(): string[] {
    return [...this.#items.keys()];
  }

  values(): T[] {
    return [...this.#items.values()];
  }

  entries(): [string, T][] {
    return [...this.#items];
  }

  /** Iterates the keys, as iterating a torch ModuleDict/ParameterDict does. */
  [Symbol.iterator](): Iterator<string> {
    return this.#items.keys();
  }

  /** Registers `value` under `key` with Module's checks (the name rules, no reuse). */
  protected abstract register(key: string, value: T): T;
}

/**
 * Modules by name, like torch.nn.ModuleDict: their parameters are named 'key.weight', ...; it
 * holds layers a custom forward picks by name (it has no forward).
 */
export class ModuleDict extends KeyedContainer<Module> {
  constructor(modules: NamedEntries<Module> = {}) {
    super();
    this.update(modules);
  }

  override get typeName(): string {
    return 'ModuleDict';
  }

  protected register(key: string, module: Module): Module {
    return this.registerModule(key, module);
  }

  forward(_input: Tensor): Tensor {
    return noForward(this.typeName, "pick its modules by key (dict.get('encoder').forward(x))");
  }

  /** `modules` as [key, config] pairs, so keys like '0' keep their place (JSON objects would reorder them). */
  override config(): ModuleConfig {
    return { type: 'ModuleDict', modules: this.entries().map(([key, module]) => [key, module.config()]) };
  }
}

/** A parameter's description in a ParameterList/ParameterDict config; its values travel in the state dict. */
export interface ParameterSpec {
  shape: number[];
  dtype: string;
}

const specOf = (parameter: Tensor): ParameterSpec => ({ shape: [...parameter.shape], dtype: parameter.dtype });
/** torch's line for a parameter: its sizes joined by 'x' ('2x3'; nothing for a scalar). */
const describeParameter = (parameter: Tensor): string =>
  `Parameter containing: [${parameter.dtype} of size ${parameter.shape.join('x')}]`;

/**
 * Parameters held in order and named '0', '1', ..., like torch.nn.ParameterList (each tensor
 * becomes a parameter: a leaf that requires gradients, kept until dispose).
 */
export class ParameterList extends Module implements Iterable<Tensor> {
  readonly #items: Tensor[] = [];

  constructor(parameters: Iterable<Tensor> = []) {
    super();
    if (typeof parameters !== 'object' || parameters === null || !(Symbol.iterator in parameters))
      throw new ArgumentError(
        `ParameterList: parameters must be an array of tensors, got ${describeValue(parameters)}`,
      );
    this.extend(parameters);
  }

  override get typeName(): string {
    return 'ParameterList';
  }

  get length(): number {
    return this.#items.length;
  }

  /** The parameter at `index` (negative counts from the end). */
  at(index: number): Tensor {
    checkInteger('ParameterList.at: index', index);
    const parameter = this.#items[index < 0 ? index + this.#items.length : index];
    if (parameter === undefined)
      throw new ArgumentError(`ParameterList.at: index ${index} is out of range for ${this.#items.length} parameters`);
    return parameter;
  }

  /** Adds a parameter at the end, named by its position. */
  append(parameter: Tensor): this {
    this.#items.push(this.registerParameter(String(this.#items.length), parameter));
    return this;
  }

  extend(parameters: Iterable<Tensor>): this {
    for (const parameter of parameters) this.append(parameter);
    return this;
  }

  [Symbol.iterator](): Iterator<Tensor> {
    return this.#items[Symbol.iterator]();
  }

  forward(_input: Tensor): Tensor {
    return noForward(this.typeName, 'use its parameters (list.at(0))');
  }

  override config(): ModuleConfig {
    return { type: 'ParameterList', parameters: this.#items.map(specOf) };
  }

  protected override extraRepr(): string {
    return this.#items.map((parameter, i) => `(${i}): ${describeParameter(parameter)}`).join('\n');
  }
}

/** Parameters by name, like torch.nn.ParameterDict: named 'key' in the state dict ('dict.key' inside a model). */
export class ParameterDict extends KeyedContainer<Tensor> {
  constructor(parameters: NamedEntries<Tensor> = {}) {
    super();
    this.update(parameters);
  }

  override get typeName(): string {
    return 'ParameterDict';
  }

  protected register(key: string, parameter: Tensor): Tensor {
    return this.registerParameter(key, parameter);
  }

  forward(_input: Tensor): Tensor {
    return noForward(this.typeName, "use its parameters by key (dict.get('scale'))");
  }

  /** `parameters` as [key, { shape, dtype }] pairs (the values are in the state dict). */
  override config(): ModuleConfig {
    return { type: 'ParameterDict', parameters: this.entries().map(([key, parameter]) => [key, specOf(parameter)]) };
  }

  protected override extraRepr(): string {
    return this.entries()
      .map(([key, parameter]) => `(${key}): ${describeParameter(parameter)}`)
      .join('\n');
  }
}
