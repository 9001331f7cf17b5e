import { ShapeError, formatShape } from '../errors.js';
import { reshape } from '../ops/movement.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInteger, checkPositiveInteger } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** Splits axis `axis` into `sizes` (their product must equal it), like torch.nn.Unflatten. */
export class Unflatten extends Module {
  readonly axis: number;
  readonly sizes: number[];

  constructor(axis: number, sizes: readonly number[]) {
    super();
    this.axis = checkInteger('Unflatten: axis', axis);
    this.sizes = sizes.map((d, i) => checkPositiveInteger(`Unflatten: sizes[${i}]`, d));
  }

  override get typeName(): string {
    return 'Unflatten';
  }

  forward(input: Tensor): Tensor {
    const axis = this.axis < 0 ? this.axis + input.rank : this.axis;
    const size = this.sizes.reduce((a, b) => a * b, 1);
    if (axis < 0 || axis >= input.rank || input.shape[axis] !== size) {
      throw new ShapeError(
        `Unflatten(axis=${this.axis}, sizes=[${this.sizes.join(', ')}]) got input of shape ${formatShape(input.shape)}: axis ${this.axis} must have ${size} entries`,
      );
    }
    return reshape(input, [...input.shape.slice(0, axis), ...this.sizes, ...input.shape.slice(axis + 1)]);
  }

  override config(): ModuleConfig {
    return { type: 'Unflatten', axis: this.axis, sizes: this.sizes };
  }

  protected override extraRepr(): string {
    return `axis=${this.axis}, sizes=[${this.sizes.join(', ')}]`;
  }
}
