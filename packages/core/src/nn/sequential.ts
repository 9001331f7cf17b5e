import { ArgumentError } from '../errors.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import type { LinearActivation } from '../ops/linalg.js';
import { GELU, ReLU, SiLU, Sigmoid, Tanh } from './activation.js';
import { Linear } from './linear.js';
import type { Module, ModuleConfig } from './module.js';
import { IndexedModules } from './module-list.js';
import { isPackedSequence, type PackedSequence } from './packed-sequence.js';

/** The activation a plain ReLU/Sigmoid/Tanh/GELU/SiLU module applies (undefined for any other module, subclasses included). */
function fusableActivation(module: Module | undefined): LinearActivation | undefined {
  if (module === undefined || module.hasForwardHooks) return undefined; // its hooks must see its own call
  const type = module.constructor;
  if (type === GELU) return (module as GELU).approximate === 'tanh' ? 'gelu_tanh' : 'gelu';
  return type === ReLU
    ? 'relu'
    : type === Sigmoid
      ? 'sigmoid'
      : type === Tanh
        ? 'tanh'
        : type === SiLU
          ? 'silu'
          : undefined;
}

/**
 * Runs its modules in order, each on the previous one's output, like torch.nn.Sequential.
 * Children are named '0', '1', ...: `new Sequential(a, b)` or `new Sequential([a, b])`.
 */
export class Sequential extends IndexedModules {
  constructor(modules: readonly Module[]);
  constructor(...modules: Module[]);
  constructor(...args: (Module | readonly Module[])[]) {
    super(args);
  }

  override get typeName(): string {
    return 'Sequential';
  }

  override get acceptsPackedSequence(): boolean {
    return this.items[0]?.acceptsPackedSequence ?? false;
  }

  /** A PackedSequence input needs a layer that turns it into a tensor (SelectTimeStep after an RNN) before the end. */
  forward(input: Tensor | PackedSequence): Tensor {
    // composite: called outside tidy, the intermediates live exactly as long as the result needs them.
    return composite(() => {
      const outputs: Tensor[] = [];
      let x = input as Tensor;
      try {
        const layers = this.items;
        for (let i = 0; i < layers.length; i++) {
          const layer = layers[i]!;
          if (isPackedSequence(x) && !layer.acceptsPackedSequence)
            throw new ArgumentError(
              `Sequential: layer ${i} (${layer.typeName}) got a PackedSequence, which only RNN, LSTM, GRU and SelectTimeStep take; put SelectTimeStep after the recurrent layer, or call padPackedSequence on its output`,
            );
          // A plain Linear followed by a plain activation runs as one linear op: one fused kernel
          // (and one fused backward) on backends that have it, the same primitives elsewhere.
          // A hooked Linear runs its hooks inside forwardActivation; a hooked activation is not fused.
          const activation = layer.constructor === Linear ? fusableActivation(layers[i + 1]) : undefined;
          if (activation !== undefined) {
            outputs.push((x = (layer as Linear).forwardActivation(x, activation)));
            i++;
          } else {
            outputs.push((x = layer.forward(x)));
          }
        }
        if (isPackedSequence(x))
          throw new ArgumentError(
            `Sequential's last layer returned a PackedSequence; end with a layer that returns a tensor, like SelectTimeStep after an RNN, or call padPackedSequence on its output`,
          );
      } catch (error) {
        const kept = new Set<Tensor | PackedSequence>([input, ...Object.values(this.stateDict())]); // a layer may return its own tensor
        for (const output of outputs) if (!kept.has(output)) output.dispose();
        throw error;
      }
      return x;
    });
  }

  override config(): ModuleConfig {
    return { type: 'Sequential', modules: this.items.map((module) => module.config()) };
  }
}
