import { ArgumentError } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearActivation } from '../ops/linalg.js';
import { ReLU, Sigmoid, Tanh } from './activation.js';
import { checkInteger, describeValue } from './checks.js';
import { Linear } from './linear.js';
import { Module, type ModuleConfig } from './module.js';

/** The activation a plain ReLU/Sigmoid/Tanh module applies (undefined for any other module, subclasses included). */
function fusableActivation(module: Module | undefined): LinearActivation | undefined {
  const type = module?.constructor;
  return type === ReLU ? 'relu' : type === Sigmoid ? 'sigmoid' : type === Tanh ? 'tanh' : undefined;
}

/**
 * Runs its modules in order, each on the previous one's output, like torch.nn.Sequential.
 * Children are named '0', '1', ...: `new Sequential(a, b)` or `new Sequential([a, b])`.
 */
export class Sequential extends Module implements Iterable<Module> {
  readonly #layers: Module[] = [];

  constructor(modules: readonly Module[]);
  constructor(...modules: Module[]);
  constructor(...args: (Module | readonly Module[])[]) {
    super();
    const modules =
      args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly unknown[]) : (args as readonly unknown[]);
    modules.forEach((module, i) => {
      if (!(module instanceof Module))
        throw new ArgumentError(`Sequential: module ${i} must be a Module, got ${describeValue(module)}`);
      this.append(module);
    });
  }

  override get typeName(): string {
    return 'Sequential';
  }

  get length(): number {
    return this.#layers.length;
  }

  /** The module at `index` (negative counts from the end). */
  at(index: number): Module {
    checkInteger('Sequential.at: index', index);
    const module = this.#layers[index < 0 ? index + this.#layers.length : index];
    if (module === undefined) {
      throw new ArgumentError(`Sequential.at: index ${index} is out of range for ${this.#layers.length} modules`);
    }
    return module;
  }

  /** Adds a module at the end, named by its position. */
  append(module: Module): this {
    this.#layers.push(this.registerModule(String(this.#layers.length), module));
    return this;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.#layers[Symbol.iterator]();
  }

  forward(input: Tensor): Tensor {
    // composite: called outside tidy, the intermediates live exactly as long as the result needs them.
    return composite(() => {
      const outputs: Tensor[] = [];
      let x = input;
      try {
        const layers = this.#layers;
        for (let i = 0; i < layers.length; i++) {
          const layer = layers[i]!;
          // A plain Linear followed by a plain activation runs as one linear op: one fused kernel
          // (and one fused backward) on backends that have it, the same primitives elsewhere.
          const activation = layer.constructor === Linear ? fusableActivation(layers[i + 1]) : undefined;
          if (activation !== undefined) {
            outputs.push((x = (layer as Linear).forwardActivation(x, activation)));
            i++;
          } else {
            outputs.push((x = layer.forward(x)));
          }
        }
      } catch (error) {
        const kept = new Set<Tensor>([input, ...Object.values(this.stateDict())]); // a layer may return its own tensor
        for (const output of outputs) if (!kept.has(output)) output.dispose();
        throw error;
      }
      return x;
    });
  }

  override config(): ModuleConfig {
    return { type: 'Sequential', modules: this.#layers.map((module) => module.config()) };
  }
}
