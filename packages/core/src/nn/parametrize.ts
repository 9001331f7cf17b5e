import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { isTensor } from '../tensor/is-tensor.js';
import { tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkOptions, describeValue } from './checks.js';
import { Module, moduleInternals, type ModuleConfig } from './module.js';
import { forgetReparametrization, recordReparametrization } from './reparametrization-config.js';

/**
 * torch.nn.utils.parametrize: a module's parameter or buffer `name` becomes the output of a chain
 * of parametrization modules applied to the stored tensor, which moves to
 * `parametrizations.<name>.original` (torch's state-dict name). Reading `module[name]` runs the chain.
 */

/** A parametrization may map a value back to an `original` giving it (torch's right_inverse). */
interface WithRightInverse {
  rightInverse(value: Tensor): Tensor;
}

const hasRightInverse = (module: Module): module is Module & WithRightInverse =>
  typeof (module as Partial<WithRightInverse>).rightInverse === 'function';

/**
 * torch's ParametrizationList: the stored tensor `original` and the parametrizations, children
 * '0', '1', ..., applied in order.
 */
export class ParametrizationList extends Module {
  readonly original: Tensor;
  /** Whether the consistency checks were skipped for one of the parametrizations (torch's `unsafe`). */
  unsafe: boolean;
  readonly #chain: Module[] = [];
  readonly #originalIsBuffer: boolean;

  /** @internal registerParametrization builds it. */
  constructor(first: Module, original: Tensor, originalIsBuffer: boolean, unsafe: boolean) {
    super();
    this.unsafe = unsafe;
    this.#originalIsBuffer = originalIsBuffer;
    const start = hasRightInverse(first) ? noGrad(() => first.rightInverse(original)) : original;
    if (!isTensor(start))
      throw new ArgumentError(
        `registerParametrization: rightInverse must return a Tensor, got ${describeValue(start)}`,
      );
    if (!unsafe && start.dtype !== original.dtype)
      throw new DTypeError(
        `registerParametrization: rightInverse may not change the dtype (${original.dtype} to ${start.dtype}) unless unsafe is true`,
      );
    if (start !== original) {
      if (!shapesEqual(start.shape, original.shape))
        throw new ShapeError(
          `registerParametrization: rightInverse changed the shape ${formatShape(original.shape)} to ${formatShape(start.shape)}; the original must keep its shape here`,
        );
      noGrad(() => original.assign(start)); // the same tensor object, as torch's set_
    }
    this.original = original;
    if (originalIsBuffer) this.registerBuffer('original', original);
    else moduleInternals.registerParameter(this, 'original', original, true);
    this.#append(first);
    if (!unsafe) checkValue(this.value(), original, 'registering a parametrization');
  }

  override get typeName(): string {
    return 'ParametrizationList';
  }

  /** The parametrized value: each parametrization applied in turn to `original`. */
  value(): Tensor {
    return this.forward(this.original);
  }

  forward(original: Tensor): Tensor {
    return this.#chain.reduce((x, parametrization) => parametrization.forward(x), original);
  }

  /** The parametrizations, in order. */
  get parametrizations(): Module[] {
    return [...this.#chain];
  }

  /** Whether `original` is a buffer (then the restored tensor is one too). */
  get originalIsBuffer(): boolean {
    return this.#originalIsBuffer;
  }

  /** torch's right_inverse: stores in `original` what gives `value` (every parametrization needs a rightInverse). */
  assignValue(value: Tensor): void {
    noGrad(() =>
      tidy(() => {
        let x = value;
        for (const parametrization of [...this.#chain].reverse()) {
          if (!hasRightInverse(parametrization))
            throw new ArgumentError(
              `setting a parametrized tensor: the parametrization ${parametrization.typeName} has no rightInverse`,
            );
          x = parametrization.rightInverse(x);
        }
        if (!this.unsafe) checkValue(x, this.original, 'rightInverse');
        if (x === this.original) return;
        this.original.assign(x === value ? x.detach() : x);
      }),
    );
  }

  /** @internal */
  append(parametrization: Module): void {
    this.#append(parametrization);
  }

  #append(parametrization: Module): void {
    this.registerModule(String(this.#chain.length), parametrization);
    this.#chain.push(parametrization);
  }
}

/** The child `parametrizations` of a parametrized module, as torch's ModuleDict of ParametrizationLists. */
class Parametrizations extends Module {
  readonly lists = new Map<string, ParametrizationList>();
  /** Per tensor name, the keys of its parametrizations' records in the module's config. */
  readonly records = new Map<string, object[]>();

  override get typeName(): string {
    return 'ModuleDict';
  }

  forward(): Tensor {
    throw new ArgumentError('parametrizations has no forward: read the parametrized tensor from its module');
  }
}

const dictOf = new WeakMap<Module, Parametrizations>();

export interface RegisterParametrizationOptions {
  /** Skip the checks that the parametrization keeps the tensor's dtype and shape (default false). */
  unsafe?: boolean;
}

/**
 * torch.nn.utils.parametrize.register_parametrization: `module[name]` becomes
 * `parametrization.forward(original)` (after any parametrizations already there), recomputed at
 * each read; the stored tensor moves to `parametrizations.<name>.original`. A parametrization with
 * a `rightInverse(value)` method sets `original` to rightInverse(the current tensor) at
 * registration and lets `module[name] = value` assign. Returns the module.
 */
export function registerParametrization<M extends Module>(
  module: M,
  name: string,
  parametrization: Module,
  options: RegisterParametrizationOptions = {},
): M {
  try {
    return register(module, name, parametrization, options);
  } catch (error) {
    // A built-in's buffers (orthogonal's base, spectralNorm's u and v) were made for this call only.
    if (isBuiltin(parametrization)) parametrization.dispose();
    throw error;
  }
}

function register<M extends Module>(
  module: M,
  name: string,
  parametrization: Module,
  options: RegisterParametrizationOptions,
): M {
  const owner = 'registerParametrization';
  checkOptions(owner, options, ['unsafe']);
  const unsafe = checkBoolean(`${owner}: unsafe`, options.unsafe ?? false);
  if (!(module instanceof Module)) throw new ArgumentError(`${owner}: expected a Module, got ${describeValue(module)}`);
  if (!(parametrization instanceof Module))
    throw new ArgumentError(`${owner}: the parametrization must be a Module, got ${describeValue(parametrization)}`);
  parametrization.train(module.training);
  const existing = dictOf.get(module)?.lists.get(name);
  if (existing !== undefined) {
    if (!unsafe)
      tidy(() => {
        const current = parametrizedValue(module, name);
        const next = parametrization.forward(current);
        checkValue(next, current, 'the new parametrization');
        if (hasRightInverse(parametrization))
          checkValue(
            noGrad(() => parametrization.rightInverse(next)),
            current,
            'its rightInverse',
          );
      });
    existing.append(parametrization);
    record(module, name, parametrization, unsafe);
    existing.unsafe ||= unsafe;
    return module;
  }
  const tensor = ownTensor(owner, module, name);
  const isBuffer = moduleInternals.isBuffer(module, name);
  let list!: ParametrizationList;
  tidy(() => {
    // Built (and checked) first: on an error the module keeps its tensor where it was.
    list = new ParametrizationList(parametrization, tensor, isBuffer, unsafe);
  });
  moduleInternals.unregister(module, isBuffer ? 'buffer' : 'parameter', name);
  let dict = dictOf.get(module);
  if (dict === undefined) {
    dict = new Parametrizations();
    moduleInternals.registerModule(module, 'parametrizations', dict);
    dictOf.set(module, dict);
  }
  moduleInternals.registerModule(dict, name, list);
  dict.lists.set(name, list);
  record(module, name, parametrization, unsafe);
  Object.defineProperty(module, name, {
    configurable: true,
    enumerable: true,
    get: (): Tensor => list.value(),
    set: (value: Tensor) => list.assignValue(value),
  });
  return module;
}

export interface RemoveParametrizationsOptions {
  /** Keep the parametrized value (default true); false restores `original` as it is. */
  leaveParametrized?: boolean;
}

/**
 * torch.nn.utils.parametrize.remove_parametrizations: `module[name]` becomes a plain parameter
 * (or buffer) again, the same tensor as `original`, holding the parametrized value (or, with
 * `leaveParametrized: false`, the original's). The built-in parametrizations' buffers
 * (orthogonal's base, spectralNorm's u and v) are freed; a user's parametrization module keeps
 * its tensors (free them with its `dispose()` when it is no longer used). Returns the module.
 */
export function removeParametrizations<M extends Module>(
  module: M,
  name: string,
  options: RemoveParametrizationsOptions = {},
): M {
  const owner = 'removeParametrizations';
  checkOptions(owner, options, ['leaveParametrized']);
  const leave = checkBoolean(`${owner}: leaveParametrized`, options.leaveParametrized ?? true);
  const dict = module instanceof Module ? dictOf.get(module) : undefined;
  const list = dict?.lists.get(name);
  if (dict === undefined || list === undefined)
    throw new ArgumentError(
      `${owner}: ${module instanceof Module ? module.typeName : describeValue(module)} has no parametrization on '${String(name)}'`,
    );
  const original = list.original;
  if (leave)
    noGrad(() =>
      tidy(() => {
        const value = list.value();
        if (value.dtype !== original.dtype || !shapesEqual(value.shape, original.shape))
          throw new ArgumentError(
            `${owner}: the parametrized value (${value.dtype} ${formatShape(value.shape)}) cannot be stored in the original (${original.dtype} ${formatShape(original.shape)}); pass leaveParametrized: false`,
          );
        original.assign(value === original ? value.detach() : value);
      }),
    );
  moduleInternals.unregister(list, list.originalIsBuffer ? 'buffer' : 'parameter', 'original');
  for (const parametrization of list.parametrizations) if (isBuiltin(parametrization)) parametrization.dispose();
  moduleInternals.unregisterModule(dict, name);
  dict.lists.delete(name);
  for (const key of dict.records.get(name) ?? []) forgetReparametrization(module, key);
  dict.records.delete(name);
  if (dict.lists.size === 0) {
    moduleInternals.unregisterModule(module, 'parametrizations');
    dictOf.delete(module);
  }
  Object.defineProperty(module, name, { configurable: true, enumerable: true, writable: true, value: original });
  if (list.originalIsBuffer) moduleInternals.registerBuffer(module, name, original);
  else moduleInternals.registerParameter(module, name, original, true);
  return module;
}

/** torch.nn.utils.parametrize.is_parametrized: whether `module` has a parametrization (on `name`, when given). */
export function isParametrized(module: Module, name?: string): boolean {
  const dict = dictOf.get(module);
  if (dict === undefined) return false;
  return name === undefined ? dict.lists.size > 0 : dict.lists.has(name);
}

/** A built-in parametrization (orthogonal, spectralNorm) records the call that redoes it. */
interface SelfDescribing {
  reparametrizationConfig(name: string): Record<string, unknown>;
}

const isBuiltin = (parametrization: unknown): parametrization is Module & SelfDescribing =>
  parametrization instanceof Module &&
  typeof (parametrization as Partial<SelfDescribing>).reparametrizationConfig === 'function';

/** Records one parametrization in the module's config: a built-in by its call, a user's by its own config. */
function record(module: Module, name: string, parametrization: Module, unsafe: boolean): void {
  const dict = dictOf.get(module)!;
  const key = {};
  dict.records.set(name, [...(dict.records.get(name) ?? []), key]);
  const list = dict.lists.get(name)!;
  recordReparametrization(
    module,
    key,
    name,
    () => list.original,
    () => {
      const builtin = (parametrization as Partial<SelfDescribing>).reparametrizationConfig;
      if (typeof builtin === 'function') return builtin.call(parametrization, name);
      let config: ModuleConfig;
      try {
        config = parametrization.config();
      } catch (error) {
        throw new ArgumentError(
          `${module.typeName}'s parametrization ${parametrization.typeName} of '${name}' cannot be recorded in its config: ${(error as Error).message}`,
        );
      }
      return { type: 'parametrization', name, module: config, ...(unsafe ? { unsafe } : {}) };
    },
  );
}

/** The current value of `module[name]`, parametrized or not (for the parametrizations' own checks). */
function parametrizedValue(module: Module, name: string): Tensor {
  return (module as unknown as Record<string, Tensor>)[name]!;
}

/** The parameter or buffer `name` of `module`, which its forward reads through the field of that name. */
function ownTensor(owner: string, module: Module, name: unknown): Tensor {
  if (typeof name !== 'string' || name === '' || name.includes('.'))
    throw new ArgumentError(
      `${owner}: name must be one of the module's own parameters or buffers (no '.'), got ${describeValue(name)}`,
    );
  const field = (module as unknown as Record<string, unknown>)[name];
  const own = [...module.namedParameters(), ...module.namedBuffers()].find(([key]) => key === name)?.[1];
  if (own === undefined)
    throw new ArgumentError(
      `${owner}: ${module.typeName} has no parameter, buffer or parametrized tensor named '${name}'`,
    );
  if (field !== own)
    throw new ArgumentError(
      `${owner}: ${module.typeName} does not read '${name}' through a field of that name, so a parametrized '${name}' would not reach its forward`,
    );
  return own;
}

/** torch's consistency checks: a parametrization must give a tensor of the original's dtype and shape. */
function checkValue(value: unknown, original: Tensor, what: string): void {
  if (!isTensor(value))
    throw new ArgumentError(`registerParametrization: ${what} must give a Tensor, got ${describeValue(value)}`);
  if (value.dtype !== original.dtype)
    throw new DTypeError(
      `registerParametrization: ${what} changed the dtype ${original.dtype} to ${value.dtype}; pass unsafe: true if it is meant`,
    );
  if (!shapesEqual(value.shape, original.shape))
    throw new ShapeError(
      `registerParametrization: ${what} changed the shape ${formatShape(original.shape)} to ${formatShape(value.shape)}; pass unsafe: true if it is meant`,
    );
}
