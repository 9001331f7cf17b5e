import { ShapeError, formatShape } from '../errors.js';
import { flatten } from '../ops/movement.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInteger } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** Merges axes startAxis..endAxis into one; the defaults keep the batch axis, like torch.nn.Flatten. */
export class Flatten extends Module {
  readonly startAxis: number;
  readonly endAxis: number;

  constructor(startAxis = 1, endAxis = -1) {
    super();
    this.startAxis = checkInteger('Flatten: startAxis', startAxis);
    this.endAxis = checkInteger('Flatten: endAxis', endAxis);
  }

  override get typeName(): string {
    return 'Flatten';
  }

  forward(input: Tensor): Tensor {
    const rank = input.rank;
    const start = this.startAxis < 0 ? this.startAxis + rank : this.startAxis;
    const end = this.endAxis < 0 ? this.endAxis + rank : this.endAxis;
    if (start < 0 || start >= rank || end < 0 || end >= rank || start > end) {
      throw new ShapeError(
        `Flatten(startAxis=${this.startAxis}, endAxis=${this.endAxis}) got input of shape ${formatShape(input.shape)}: needs axes ${this.startAxis}..${this.endAxis} to exist and be in order`,
      );
    }
    return flatten(input, this.startAxis, this.endAxis);
  }

  override config(): ModuleConfig {
    return { type: 'Flatten', startAxis: this.startAxis, endAxis: this.endAxis };
  }

  protected override extraRepr(): string {
    return `startAxis=${this.startAxis}, endAxis=${this.endAxis}`;
  }
}
