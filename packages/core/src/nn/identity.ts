import type { Tensor } from '../tensor/tensor.js';
import { Module, type ModuleConfig } from './module.js';

/** Returns its input unchanged: a placeholder, e.g. to switch a block off by config. */
export class Identity extends Module {
  override get typeName(): string {
    return 'Identity';
  }

  forward(input: Tensor): Tensor {
    return input;
  }

  override config(): ModuleConfig {
    return { type: 'Identity' };
  }
}
