import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, MyelinError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { keep, tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, describeValue } from './checks.js';

/** A module's constructor arguments as JSON: `{ type: 'Linear', inFeatures: 2, outFeatures: 3, bias: true }`. */
export type ModuleConfig = { type: string; [option: string]: unknown };

export interface LoadStateDictOptions {
  /** Require the keys to match exactly (default true). Shape mismatches are errors either way. */
  strict?: boolean;
}

/** What loadStateDict skipped, as PyTorch's load_state_dict returns it (both empty after a strict load). */
export interface LoadStateDictResult {
  /** The module's keys the state did not have (left as they were). */
  missingKeys: string[];
  /** The state's keys the module does not have (ignored). */
  unexpectedKeys: string[];
}

/**
 * The base of every layer, like torch.nn.Module: it owns named parameters, buffers and child
 * modules, walks them recursively (registration order, shared tensors once), switches
 * train/eval mode, and saves and loads state dicts.
 */
export abstract class Module {
  /** Train mode (the default) or eval mode; layers like Dropout behave differently. */
  training = true;
  readonly #parameters = new Map<string, Tensor | null>();
  readonly #buffers = new Map<string, Tensor>();
  readonly #modules = new Map<string, Module>();

  abstract forward(input: Tensor, ...rest: Tensor[]): Tensor;

  /** The name printed and used in configs; built-in layers spell it out so minifiers cannot rename it. */
  get typeName(): string {
    return this.constructor.name;
  }

  /**
   * Adds a parameter: it becomes a leaf that requires gradients and is kept out of every tidy
   * scope (it lives until `dispose`). `null` declares an absent optional parameter (a bias).
   */
  protected registerParameter(name: string, tensor: Tensor): Tensor;
  protected registerParameter(name: string, tensor: null): null;
  protected registerParameter(name: string, tensor: Tensor | null): Tensor | null;
  protected registerParameter(name: string, tensor: Tensor | null): Tensor | null {
    this.#checkName('parameter', name);
    if (tensor !== null) {
      checkTensor(`${this.typeName}: parameter '${name}'`, tensor);
      if (!isFloat(tensor.dtype)) {
        throw new DTypeError(
          `${this.typeName}: parameter '${name}' must be a float tensor to take gradients, got dtype ${tensor.dtype}`,
        );
      }
      tensor.requiresGrad = true;
      tensor.gradNode = null; // a parameter is a leaf: gradients must collect in its .grad
      keep(tensor);
    }
    this.#parameters.set(name, tensor);
    return tensor;
  }

  /** Adds state that is saved in the state dict but not trained (running statistics, ...). */
  protected registerBuffer(name: string, tensor: Tensor): Tensor {
    this.#checkName('buffer', name);
    checkTensor(`${this.typeName}: buffer '${name}'`, tensor);
    this.#buffers.set(name, keep(tensor));
    return tensor;
  }

  protected registerModule<M extends Module>(name: string, module: M): M {
    this.#checkName('module', name);
    if (!(module instanceof Module)) {
      throw new ArgumentError(
        `${this.typeName}: child module '${name}' must be a Module, got ${describeValue(module)}`,
      );
    }
    if (module.namedModules().some(([, m]) => m === this)) {
      throw new ArgumentError(
        `${this.typeName}: cannot register '${name}': it contains this module, which would make a cycle`,
      );
    }
    this.#modules.set(name, module);
    return module;
  }

  /** Every parameter, recursively, in registration order; a shared one appears once. */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters with dotted names like PyTorch's: '0.weight', 'block.1.bias'. */
  namedParameters(): [string, Tensor][] {
    return this.#collect((m) => m.#parameters);
  }

  namedBuffers(): [string, Tensor][] {
    return this.#collect((m) => m.#buffers);
  }

  /** The direct children, in registration order. */
  children(): [string, Module][] {
    return [...this.#modules];
  }

  /** This module ('') and every descendant, pre-order with dotted names; a shared module appears once. */
  namedModules(): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (module: Module, prefix: string): void => {
      if (seen.has(module)) return;
      seen.add(module);
      out.push([prefix, module]);
      for (const [name, child] of module.#modules) visit(child, join(prefix, name));
    };
    visit(this, '');
    return out;
  }

  /** Sets train mode (or eval mode with `false`) on this module and every descendant. */
  train(mode = true): this {
    checkBoolean(`${this.typeName}.train: mode`, mode);
    for (const [, module] of this.namedModules()) module.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter's gradient (sets it to null, like PyTorch's default). */
  zeroGrad(): void {
    for (const parameter of this.parameters()) parameter.grad = null;
  }

  /**
   * Parameters and buffers by dotted name: the live tensors, not copies. Like PyTorch, a
   * tensor shared by two modules appears under both names.
   */
  stateDict(): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const visit = (module: Module, prefix: string): void => {
      for (const [name, parameter] of module.#parameters) if (parameter !== null) out[join(prefix, name)] = parameter;
      for (const [name, buffer] of module.#buffers) out[join(prefix, name)] = buffer;
      for (const [name, child] of module.#modules) visit(child, join(prefix, name));
    };
    visit(this, '');
    return out;
  }

  /**
   * Copies values into the live parameters and buffers (cast to their dtype and moved to their
   * backend). Every check runs first: on any problem nothing changes and one error lists them all.
   * Returns the keys a non-strict load skipped, as PyTorch does.
   */
  loadStateDict(state: Record<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    if (typeof options !== 'object' || options === null) {
      // PyTorch's load_state_dict(state, False) passes strict by position; here it would be ignored.
      throw new ArgumentError(
        `${this.typeName}.loadStateDict: options must be an object like { strict: false }, got ${describeValue(options)}`,
      );
    }
    const strict = checkBoolean(`${this.typeName}.loadStateDict: options.strict`, options.strict ?? true);
    if (typeof state !== 'object' || state === null) {
      throw new ArgumentError(
        `${this.typeName}.loadStateDict: expected an object of tensors by name, got ${describeValue(state)}`,
      );
    }
    const own = this.stateDict();
    const problems: string[] = [];
    const missing = Object.keys(own).filter((key) => !Object.hasOwn(state, key));
    const unexpected = Object.keys(state).filter((key) => !Object.hasOwn(own, key));
    if (strict && missing.length > 0) problems.push(`missing keys: ${missing.join(', ')}`);
    if (strict && unexpected.length > 0) problems.push(`unexpected keys: ${unexpected.join(', ')}`);
    const pairs: [Tensor, Tensor][] = [];
    for (const [key, target] of Object.entries(own)) {
      if (!Object.hasOwn(state, key)) continue;
      const value: unknown = state[key];
      if (!isTensor(value)) problems.push(`${key}: expected a Tensor, got ${describeValue(value)}`);
      else if (value.isDisposed) problems.push(`${key}: the given tensor was disposed`);
      else if (!shapesEqual(value.shape, target.shape))
        problems.push(`${key}: expected shape ${formatShape(target.shape)}, got ${formatShape(value.shape)}`);
      else if (
        isFloat(value.dtype) !== isFloat(target.dtype) ||
        (!isFloat(target.dtype) && value.dtype !== target.dtype)
      )
        // float32 <-> float64 is a cast; int32 or bool values in a float weight (or back) are a mistake
        problems.push(
          `${key}: expected dtype ${target.dtype}${isFloat(target.dtype) ? ' (or another float dtype)' : ''}, got ${value.dtype}; cast it first if it is meant`,
        );
      else pairs.push([target, value]);
    }
    if (problems.length > 0) {
      throw new ArgumentError(`${this.typeName}.loadStateDict: nothing was loaded:\n  ${problems.join('\n  ')}`);
    }
    noGrad(() =>
      tidy(() => {
        // assign consumes its argument, so each value is copied (and moved) first.
        for (const [target, value] of pairs) target.assign(value.to(target.backend));
      }),
    );
    return { missingKeys: missing, unexpectedKeys: unexpected };
  }

  /** The number of parameter elements (shared parameters counted once). */
  numParameters(): number {
    return this.parameters().reduce((total, p) => total + p.size, 0);
  }

  /** The JSON that `moduleFromConfig` rebuilds this module from. Custom modules override it. */
  config(): ModuleConfig {
    throw new MyelinError(
      `${this.typeName} does not describe itself: override config() and call registerModuleType('${this.typeName}', ...) so moduleFromConfig can rebuild it`,
    );
  }

  /** The arguments shown between the parentheses in `toString` ('inFeatures=2, ...'). */
  protected extraRepr(): string {
    return '';
  }

  /** A PyTorch-like tree of the modules, then the parameter counts. */
  toString(): string {
    const parameters = this.parameters();
    const total = parameters.reduce((sum, p) => sum + p.size, 0);
    const trainable = parameters.reduce((sum, p) => sum + (p.requiresGrad ? p.size : 0), 0);
    const count = (n: number): string => n.toLocaleString('en-US');
    return `${this.#repr()}\nParameters: ${count(total)} (trainable ${count(trainable)})`;
  }

  /** Frees every parameter and buffer, recursively. The module cannot be used afterwards. */
  dispose(): void {
    for (const [, parameter] of this.namedParameters()) parameter.dispose();
    for (const [, buffer] of this.namedBuffers()) buffer.dispose();
  }

  #repr(): string {
    const extra = this.extraRepr();
    if (this.#modules.size === 0) return `${this.typeName}(${extra})`;
    const lines = extra === '' ? [] : extra.split('\n');
    for (const [name, child] of this.#modules) lines.push(...`(${name}): ${child.#repr()}`.split('\n'));
    return `${this.typeName}(\n${lines.map((line) => `  ${line}`).join('\n')}\n)`;
  }

  #collect(pick: (module: Module) => Map<string, Tensor | null>): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [prefix, module] of this.namedModules()) {
      for (const [name, tensor] of pick(module)) {
        if (tensor === null || seen.has(tensor)) continue;
        seen.add(tensor);
        out.push([join(prefix, name), tensor]);
      }
    }
    return out;
  }

  #checkName(kind: string, name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.') || name === '__proto__') {
      throw new ArgumentError(
        `${this.typeName}: ${kind} name must be a non-empty string without '.', got ${describeValue(name)}`,
      );
    }
    const taken = this.#parameters.has(name)
      ? 'parameter'
      : this.#buffers.has(name)
        ? 'buffer'
        : this.#modules.has(name)
          ? 'module'
          : null;
    if (taken !== null)
      throw new ArgumentError(
        `${this.typeName}: cannot register ${kind} '${name}': the name is already used by a ${taken}`,
      );
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === 'object' && value !== null && (value as { isMyelinTensor?: boolean }).isMyelinTensor === true;
}

function checkTensor(what: string, value: unknown): void {
  if (!isTensor(value)) throw new ArgumentError(`${what} must be a Tensor, got ${describeValue(value)}`);
}
