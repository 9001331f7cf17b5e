import { elu, leakyRelu, logSoftmax, relu, sigmoid, softmax, tanh } from '../ops/activation.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkInteger, checkNumber } from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** Activation functions as modules, for Sequential; each wraps the op of the same name. */

export class ReLU extends Module {
  override get typeName(): string {
    return 'ReLU';
  }
  forward(input: Tensor): Tensor {
    return relu(input);
  }
  override config(): ModuleConfig {
    return { type: 'ReLU' };
  }
}

export class LeakyReLU extends Module {
  readonly negativeSlope: number;
  constructor(negativeSlope = 0.01) {
    super();
    this.negativeSlope = checkNumber('LeakyReLU: negativeSlope', negativeSlope);
  }
  override get typeName(): string {
    return 'LeakyReLU';
  }
  forward(input: Tensor): Tensor {
    return leakyRelu(input, this.negativeSlope);
  }
  override config(): ModuleConfig {
    return { type: 'LeakyReLU', negativeSlope: this.negativeSlope };
  }
  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

export class ELU extends Module {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber('ELU: alpha', alpha);
  }
  override get typeName(): string {
    return 'ELU';
  }
  forward(input: Tensor): Tensor {
    return elu(input, this.alpha);
  }
  override config(): ModuleConfig {
    return { type: 'ELU', alpha: this.alpha };
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

export class Sigmoid extends Module {
  override get typeName(): string {
    return 'Sigmoid';
  }
  forward(input: Tensor): Tensor {
    return sigmoid(input);
  }
  override config(): ModuleConfig {
    return { type: 'Sigmoid' };
  }
}

export class Tanh extends Module {
  override get typeName(): string {
    return 'Tanh';
  }
  forward(input: Tensor): Tensor {
    return tanh(input);
  }
  override config(): ModuleConfig {
    return { type: 'Tanh' };
  }
}

export class Softmax extends Module {
  readonly axis: number;
  constructor(axis = -1) {
    super();
    this.axis = checkInteger('Softmax: axis', axis);
  }
  override get typeName(): string {
    return 'Softmax';
  }
  forward(input: Tensor): Tensor {
    return softmax(input, this.axis);
  }
  override config(): ModuleConfig {
    return { type: 'Softmax', axis: this.axis };
  }
  protected override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

export class LogSoftmax extends Module {
  readonly axis: number;
  constructor(axis = -1) {
    super();
    this.axis = checkInteger('LogSoftmax: axis', axis);
  }
  override get typeName(): string {
    return 'LogSoftmax';
  }
  forward(input: Tensor): Tensor {
    return logSoftmax(input, this.axis);
  }
  override config(): ModuleConfig {
    return { type: 'LogSoftmax', axis: this.axis };
  }
  protected override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}
