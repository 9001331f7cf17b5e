import { ArgumentError, MyelinError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInteger, describeValue } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** Modules held in order and named '0', '1', ...: what Sequential and ModuleList share. */
export abstract class IndexedModules extends Module implements Iterable<Module> {
  readonly #items: Module[] = [];

  constructor(args: readonly (Module | readonly Module[])[]) {
    super();
    const modules =
      args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly unknown[]) : (args as readonly unknown[]);
    modules.forEach((module, i) => {
      if (!(module instanceof Module))
        throw new ArgumentError(`${this.typeName}: module ${i} must be a Module, got ${describeValue(module)}`);
      this.append(module);
    });
  }

  get length(): number {
    return this.#items.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    checkInteger(`${this.typeName}.at: index`, index);
    const module = this.#items[index < 0 ? index + this.#items.length : index];
    if (module === undefined) {
      throw new ArgumentError(`${this.typeName}.at: index ${index} is out of range for ${this.#items.length} modules`);
    }
    return module;
  }

  /** Adds a module at the end, named by its position. */
  append(module: Module): this {
    this.#items.push(this.registerModule(String(this.#items.length), module));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#items[Symbol.iterator]();
  }

  /** The modules, in order (read-only: add with append). */
  protected get items(): readonly Module[] {
    return this.#items;
  }
}

/**
 * A list of modules whose parameters are registered under '0', '1', ..., like
 * torch.nn.ModuleList: it holds layers that a custom forward calls itself (it has no forward).
 */
export class ModuleList extends IndexedModules {
  constructor(modules: readonly Module[]);
  constructor(...modules: Module[]);
  constructor(...args: (Module | readonly Module[])[]) {
    super(args);
  }

  override get typeName(): string {
    return 'ModuleList';
  }

  forward(_input: Tensor): Tensor {
    throw new MyelinError('ModuleList has no forward: call its modules (for (const layer of list) ...) in your own');
  }

  override config(): ModuleConfig {
    return { type: 'ModuleList', modules: this.items.map((module) => module.config()) };
  }
}
