import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { composite } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { describeValue } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** A skip connection: forward(x) = x + module(x). The inner module must keep the shape. */
export class Residual extends Module {
  readonly module: Module;

  constructor(module: Module) {
    super();
    if (!(module instanceof Module))
      throw new ArgumentError(`Residual: module must be a Module, got ${describeValue(module)}`);
    this.module = this.registerModule('module', module);
  }

  override get typeName(): string {
    return 'Residual';
  }

  forward(input: Tensor): Tensor {
    let mismatch: readonly number[] | null = null;
    const result = composite(() => {
      const output = this.module.forward(input);
      if (shapesEqual(output.shape, input.shape)) return add(input, output);
      mismatch = output.shape;
      return output;
    });
    if (mismatch !== null) {
      // Thrown outside composite so the inner output (and what it holds) is freed first.
      if (result !== input && !Object.values(this.stateDict()).includes(result)) result.dispose();
      throw new ShapeError(
        `Residual: input of shape ${formatShape(input.shape)} and inner ${this.module.typeName} output of shape ${formatShape(mismatch)} differ; x + module(x) needs the module to keep the shape`,
      );
    }
    return result;
  }

  override config(): ModuleConfig {
    return { type: 'Residual', module: this.module.config() };
  }
}
