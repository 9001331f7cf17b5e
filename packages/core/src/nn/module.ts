import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, MyelinError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { keep, tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import { removableHandle, type RemovableHandle, type Tensor } from '../tensor/tensor.js';
import type { Backend, DType } from '../backend/contract.js';
import { getBackend } from '../backend/registry.js';
import { checkBoolean, describeValue } from './checks.js';
import { isTensor } from '../tensor/is-tensor.js';

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

/** Runs before a module's forward; may return replacement inputs: an array, or one tensor (then the only input, as PyTorch wraps it). */
export type ForwardPreHook = (module: Module, inputs: readonly Tensor[]) => readonly Tensor[] | Tensor | void;
/** Runs after a module's forward; may return a replacement output. */
export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => Tensor | void;

/**
 * Internal (not exported from the package): registers and unregisters a module's own parameters,
 * buffers and children from outside its class, for nn.utils' weightNorm and spectralNorm, which
 * swap `weight` for `weight_g` and `weight_v` as torch's do, and parametrize, which moves it into a
 * child `parametrizations`. `unregister` returns the tensor removed.
 */
export let moduleInternals: {
  /** `keepRequiresGrad`: the tensor is already a parameter moving (torch re-registers the same Parameter), so a frozen one stays frozen. */
  registerParameter(module: Module, name: string, tensor: Tensor, keepRequiresGrad?: boolean): Tensor;
  registerBuffer(module: Module, name: string, tensor: Tensor): Tensor;
  registerModule(module: Module, name: string, child: Module): Module;
  unregisterModule(module: Module, name: string): void;
  /** Whether `name` is one of the module's own buffers. */
  isBuffer(module: Module, name: string): boolean;
  unregister(module: Module, kind: 'parameter' | 'buffer', name: string): Tensor;
};

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
  readonly #forwardPreHooks: ForwardPreHook[] = [];
  readonly #forwardHooks: ForwardHook[] = [];
  #hooked = false;

  abstract forward(input: Tensor, ...rest: Tensor[]): Tensor;

  static {
    // What nn.utils' reparametrizations (weightNorm, spectralNorm) need and users do not: see moduleInternals.
    moduleInternals = {
      registerParameter: (module, name, tensor, keepRequiresGrad = false) => {
        const requiresGrad = tensor.requiresGrad;
        module.registerParameter(name, tensor);
        if (keepRequiresGrad) tensor.requiresGrad = requiresGrad;
        return tensor;
      },
      registerBuffer: (module, name, tensor) => module.registerBuffer(name, tensor),
      registerModule: (module, name, child) => module.registerModule(name, child),
      unregisterModule: (module, name) => {
        if (!module.#modules.delete(name))
          throw new ArgumentError(
            `${module.typeName} has no child '${name}'; its children are ${describeNames(module.#modules)}`,
          );
      },
      isBuffer: (module, name) => module.#buffers.has(name),
      unregister: (module, kind, name) => {
        const map = kind === 'parameter' ? module.#parameters : module.#buffers;
        const tensor = map.get(name);
        if (tensor === undefined || tensor === null)
          throw new ArgumentError(
            `${module.typeName} has no ${kind} '${name}'; its ${kind}s are ${describeNames(map)}`,
          );
        map.delete(name);
        return tensor;
      },
    };
  }

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

  /**
   * Why this module's parameters do not exist yet, or null: a lazy module (LazyLinear, ...) says
   * so until its first forward, and parameters() refuses until then (an optimizer built earlier
   * would miss them).
   */
  protected get pendingParameters(): string | null {
    return null;
  }

  /** Every parameter, recursively, in registration order; a shared one appears once. */
  parameters(): Tensor[] {
    const pending = this.#pending();
    if (pending.length > 0) throw new MyelinError(`${this.typeName}.parameters: ${pending.join('; ')}`);
    return this.namedParameters().map(([, p]) => p);
  }

  /** Parameters with dotted names like PyTorch's: '0.weight', 'block.1.bias' (a lazy layer's only once it ran). */
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
    for (const [, parameter] of this.namedParameters()) parameter.grad = null;
  }

  /** This module and every descendant, pre-order (PyTorch's `modules()`); a shared module appears once. */
  modules(): Module[] {
    return this.namedModules().map(([, module]) => module);
  }

  /**
   * Calls `fn` on every descendant and then on this module, children first (PyTorch's `apply`,
   * e.g. a custom initialisation: `model.apply((m) => { if (m instanceof Linear) xavierUniform_(m.weight); })`;
   * a built lazy layer is a LazyModule, its Linear is `m.materialized`, and it passes `m.weight` through).
   */
  apply(fn: (module: Module) => void): this {
    if (typeof fn !== 'function')
      throw new ArgumentError(`${this.typeName}.apply: expected a function (module) => void, got ${describeValue(fn)}`);
    const seen = new Set<Module>();
    const visit = (module: Module): void => {
      if (seen.has(module)) return;
      seen.add(module);
      for (const child of module.#modules.values()) visit(child);
      fn(module);
    };
    visit(this);
    return this;
  }

  /**
   * Sets `requiresGrad` on every parameter (PyTorch's `requires_grad_`): `false` freezes the
   * module — no gradient reaches its parameters, optimizers skip them, `toString` counts them as
   * not trainable — and `true` unfreezes it.
   */
  requiresGrad_(requiresGrad = true): this {
    checkBoolean(`${this.typeName}.requiresGrad_: requiresGrad`, requiresGrad);
    for (const [, parameter] of this.namedParameters()) parameter.requiresGrad = requiresGrad;
    return this;
  }

  /** The descendant at a dotted path ('encoder.layers.0'; '' is this module), as PyTorch's `get_submodule`. */
  getSubmodule(target: string): Module {
    if (typeof target !== 'string')
      throw new ArgumentError(`${this.typeName}.getSubmodule: expected a dotted path, got ${describeValue(target)}`);
    const names = target === '' ? [] : target.split('.');
    return names.reduce<Module>((module, name, depth) => {
      const child = module.#modules.get(name);
      if (child !== undefined) return child;
      const path = names.slice(0, depth).join('.');
      throw new ArgumentError(
        `${this.typeName}.getSubmodule('${target}'): ${path === '' ? 'this module' : `'${path}'`} (${module.typeName}) has no child '${name}'; its children are ${describeNames(module.#modules)}`,
      );
    }, this);
  }

  /** The parameter at a dotted path ('0.weight'), as PyTorch's `get_parameter`. */
  getParameter(target: string): Tensor {
    return this.#getTensor('getParameter', 'parameter', target, (m) => m.#parameters);
  }

  /** The buffer at a dotted path ('1.running_mean'), as PyTorch's `get_buffer`. */
  getBuffer(target: string): Tensor {
    return this.#getTensor('getBuffer', 'buffer', target, (m) => m.#buffers);
  }

  /**
   * A hook run before every `forward` of this module, as PyTorch's `register_forward_pre_hook`:
   * `hook(module, inputs)` may return replacement inputs: an array, or one tensor, which becomes
   * the only input (PyTorch wraps a single value in a tuple). `remove()` on the returned handle
   * unregisters it.
   */
  registerForwardPreHook(hook: ForwardPreHook): RemovableHandle {
    return this.#addHook('registerForwardPreHook', this.#forwardPreHooks, hook);
  }

  /**
   * A hook run after every `forward` of this module, as PyTorch's `register_forward_hook`:
   * `hook(module, inputs, output)` may return a replacement output. Feature extraction, activation
   * statistics and Grad-CAM read intermediate outputs this way (with `output.registerHook` for
   * their gradients). `remove()` on the returned handle unregisters it. Hooks run on calls of
   * `forward` (a Sequential's, a user's step), and where a container reaches a child through
   * another entry (the Transformer layers call their attention with masks through
   * `forwardWithWeights`, the stacks their layers through `forwardWithMasks`) they run around
   * that call, with its tensor inputs, as PyTorch's run around every `module(...)` call.
   */
  registerForwardHook(hook: ForwardHook): RemovableHandle {
    return this.#addHook('registerForwardHook', this.#forwardHooks, hook);
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
    if (strict && unexpected.length > 0) problems.push(...this.#pending()); // why: a lazy module has no weights yet
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

  /**
   * Moves every parameter and buffer to another backend and/or float dtype in place, as
   * PyTorch's `model.to(device)` / `model.to(torch.float64)`: `to('webgpu')`, `to(backend)`,
   * `to('float64')`, `to({ backend, dtype })`. The tensors stay the same objects, so the
   * module's fields and an optimizer built over its parameters keep referring to them; only
   * float tensors change dtype (int32 counters stay). Values go through the host, so the source
   * backend must read synchronously. Optimizer state already made stays where it was: move the
   * model before its first step, as PyTorch advises.
   */
  to(target: string | Backend | ModuleTarget): this {
    const { backend, dtype } = resolveTarget(`${this.typeName}.to`, target);
    const tensors = [...this.namedParameters(), ...this.namedBuffers()].map(([, t]) => t);
    for (const t of tensors) {
      if (t.backend === (backend ?? t.backend)) continue;
      if (!t.backend.readSync)
        throw new ArgumentError(
          `${this.typeName}.to: backend '${t.backend.name}' reads only asynchronously, so its tensors cannot move synchronously; save a checkpoint and load it on '${backend!.name}'`,
        );
    }
    for (const t of tensors)
      t.moveInPlace(backend ?? t.backend, dtype !== undefined && isFloat(t.dtype) ? dtype : t.dtype);
    return this;
  }

  /** Float parameters and buffers to float64, as PyTorch's `model.double()`. */
  double(): this {
    return this.to('float64');
  }

  /** Float parameters and buffers to float32, as PyTorch's `model.float()`. */
  float(): this {
    return this.to('float32');
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
    const parameters = this.namedParameters().map(([, p]) => p);
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
    // A multi-line extra (ParameterList's parameters) goes one per line, as torch prints it.
    if (this.#modules.size === 0 && !extra.includes('\n')) return `${this.typeName}(${extra})`;
    const lines = extra === '' ? [] : extra.split('\n');
    for (const [name, child] of this.#modules) lines.push(...`(${name}): ${child.#repr()}`.split('\n'));
    return `${this.typeName}(\n${lines.map((line) => `  ${line}`).join('\n')}\n)`;
  }

  /** Whether `forward` takes a PackedSequence (RNN, LSTM, GRU, SelectTimeStep; a Sequential if its first layer does). */
  get acceptsPackedSequence(): boolean {
    return false;
  }

  /**
   * Runs `compute(inputs)` as a call of this module, inside its forward pre-hooks and hooks: for
   * a container reaching a child through another entry than `forward` (a Transformer layer
   * calling its attention with masks), so hooks see every call, as in PyTorch.
   */
  callWithHooks(inputs: Tensor[], compute: (inputs: Tensor[]) => Tensor): Tensor {
    if (!this.hasForwardHooks) return compute(inputs);
    return this.#forwardWithHooks((...args: Tensor[]) => compute(args), inputs);
  }

  /** Whether forward hooks are registered (a Sequential then runs this module on its own, unfused). */
  get hasForwardHooks(): boolean {
    return this.#forwardPreHooks.length > 0 || this.#forwardHooks.length > 0;
  }

  #getTensor(
    method: string,
    kind: string,
    target: string,
    pick: (module: Module) => Map<string, Tensor | null>,
  ): Tensor {
    if (typeof target !== 'string' || target === '')
      throw new ArgumentError(`${this.typeName}.${method}: expected a dotted path, got ${describeValue(target)}`);
    const cut = target.lastIndexOf('.');
    const owner = this.getSubmodule(cut < 0 ? '' : target.slice(0, cut));
    const name = target.slice(cut + 1);
    const tensor = pick(owner).get(name);
    if (tensor === undefined || tensor === null)
      throw new ArgumentError(
        `${this.typeName}.${method}('${target}'): ${owner.typeName} has no ${kind} '${name}'${tensor === null ? ' (it was declared absent, e.g. bias: false)' : `; its ${kind}s are ${describeNames(pick(owner))}`}`,
      );
    return tensor;
  }

  #addHook<H>(method: string, hooks: H[], hook: H): RemovableHandle {
    if (typeof hook !== 'function')
      throw new ArgumentError(`${this.typeName}.${method}: expected a function, got ${describeValue(hook)}`);
    if (!this.#hooked) {
      // Shadow the class's forward with one that runs the hooks: every caller (a Sequential, a
      // user's step) goes through it. Hooks are read at each call, so removal takes effect at once.
      this.#hooked = true;
      const forward = this.forward;
      Object.defineProperty(this, 'forward', {
        configurable: true,
        writable: true,
        value: (...args: Tensor[]): Tensor => this.#forwardWithHooks(forward, args),
      });
    }
    hooks.push(hook);
    return removableHandle(hooks, hook);
  }

  #forwardWithHooks(forward: (...args: Tensor[]) => Tensor, args: Tensor[]): Tensor {
    let inputs = args;
    for (const hook of [...this.#forwardPreHooks]) {
      const replaced = hook(this, inputs);
      if (replaced !== undefined)
        inputs = Array.isArray(replaced) ? [...(replaced as readonly Tensor[])] : [replaced as Tensor];
    }
    let output = forward.apply(this, inputs);
    for (const hook of [...this.#forwardHooks]) output = hook(this, inputs, output) ?? output;
    return output;
  }

  /** What every lazy module in the tree that has not run yet says (its dotted name first). */
  #pending(): string[] {
    return this.namedModules().flatMap(([name, module]) => {
      const why = module.pendingParameters;
      return why === null ? [] : [`${name === '' ? '' : `'${name}' `}${why}`];
    });
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

function describeNames(entries: Map<string, unknown>): string {
  return entries.size === 0 ? 'none' : [...entries.keys()].map((name) => `'${name}'`).join(', ');
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function checkTensor(what: string, value: unknown): void {
  if (!isTensor(value)) throw new ArgumentError(`${what} must be a Tensor, got ${describeValue(value)}`);
}

/** Where `Module.to` moves a module: a backend (or its registered name) and/or a float dtype. */
export interface ModuleTarget {
  backend?: string | Backend;
  dtype?: DType;
}

const FLOAT_TARGETS: readonly string[] = ['float32', 'float64'];

function resolveTarget(where: string, target: unknown): { backend: Backend | undefined; dtype: DType | undefined } {
  if (typeof target === 'string' && FLOAT_TARGETS.includes(target))
    return { backend: undefined, dtype: target as DType };
  const dtypeName = typeof target === 'string' && (target === 'int32' || target === 'bool');
  if ((typeof target === 'string' && !dtypeName) || isBackend(target))
    return { backend: backendOf(where, target as string | Backend), dtype: undefined };
  if (typeof target === 'object' && target !== null && !Array.isArray(target)) {
    const unknown = Object.keys(target).filter((k) => k !== 'backend' && k !== 'dtype');
    const { backend, dtype } = target as ModuleTarget;
    if (unknown.length === 0 && (dtype === undefined || FLOAT_TARGETS.includes(dtype)))
      return { backend: backend === undefined ? undefined : backendOf(where, backend), dtype };
  }
  throw new ArgumentError(
    `${where}: expected a backend, its name, 'float32', 'float64' or { backend, dtype } (dtype 'float32' or 'float64'), got ${describeValue(target)}`,
  );
}

function isBackend(value: unknown): value is Backend {
  return typeof value === 'object' && value !== null && typeof (value as Backend).fromData === 'function';
}

function backendOf(where: string, value: string | Backend): Backend {
  if (isBackend(value)) return value;
  if (typeof value !== 'string')
    throw new ArgumentError(`${where}: backend must be a Backend or its name, got ${describeValue(value)}`);
  return getBackend(value);
}
