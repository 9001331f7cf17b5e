import type { Backend } from '../backend/contract.js';
import { ArgumentError } from '../errors.js';
import {
  celu,
  elu,
  gelu,
  glu,
  hardshrink,
  logSigmoid,
  rrelu,
  softmax2d,
  softmin,
  softshrink,
  tanhshrink,
  threshold,
  hardsigmoid,
  hardswish,
  hardtanh,
  leakyRelu,
  logSoftmax,
  mish,
  prelu,
  relu,
  relu6,
  selu,
  sigmoid,
  silu,
  softmax,
  softplus,
  softsign,
  tanh,
  type GeluApproximation,
} from '../ops/activation.js';
import { full } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkFloatDtype,
  checkInteger,
  checkNumber,
  checkOptions,
  checkPositiveInteger,
  type FloatDType,
} from './checks.js';
import { Module, type ModuleConfig } from './module.js';

/** Activation functions as modules, for Sequential; each wraps the op of the same name. */

/**
 * An activation module without options: forward is the op, the config its type alone. Not
 * exported: each activation is its own class, so `instanceof ReLU` and the registry work.
 */
class OptionFreeActivation extends Module {
  readonly #type: string;
  readonly #fn: (x: Tensor) => Tensor;
  constructor(type: string, fn: (x: Tensor) => Tensor) {
    super();
    this.#type = type;
    this.#fn = fn;
  }
  override get typeName(): string {
    return this.#type;
  }
  forward(input: Tensor): Tensor {
    return this.#fn(input);
  }
  override config(): ModuleConfig {
    return { type: this.#type };
  }
}

export class ReLU extends OptionFreeActivation {
  constructor() {
    super('ReLU', relu);
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

export class Sigmoid extends OptionFreeActivation {
  constructor() {
    super('Sigmoid', sigmoid);
  }
}

export class Tanh extends OptionFreeActivation {
  constructor() {
    super('Tanh', tanh);
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

/** GELU, x * Phi(x) (torch.nn.GELU); `approximate: 'tanh'` for the tanh approximation. */
export class GELU extends Module {
  readonly approximate: GeluApproximation;
  constructor(approximate: GeluApproximation = 'none') {
    super();
    if (approximate !== 'none' && approximate !== 'tanh')
      throw new ArgumentError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
    this.approximate = approximate;
  }
  override get typeName(): string {
    return 'GELU';
  }
  forward(input: Tensor): Tensor {
    return gelu(input, this.approximate);
  }
  override config(): ModuleConfig {
    return { type: 'GELU', approximate: this.approximate };
  }
  protected override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** SiLU (swish), x * sigmoid(x). */
export class SiLU extends OptionFreeActivation {
  constructor() {
    super('SiLU', silu);
  }
}
/** Mish, x * tanh(softplus(x)). */
export class Mish extends OptionFreeActivation {
  constructor() {
    super('Mish', mish);
  }
}
/** Softsign, x / (1 + |x|). */
export class Softsign extends OptionFreeActivation {
  constructor() {
    super('Softsign', softsign);
  }
}
/** ReLU6, min(max(x, 0), 6). */
export class ReLU6 extends OptionFreeActivation {
  constructor() {
    super('ReLU6', relu6);
  }
}
/** SELU with PyTorch's alpha and scale (pair it with kaimingNormal_ and calculateGain('selu')). */
export class SELU extends OptionFreeActivation {
  constructor() {
    super('SELU', selu);
  }
}
/** Hardsigmoid, relu6(x + 3) / 6. */
export class Hardsigmoid extends OptionFreeActivation {
  constructor() {
    super('Hardsigmoid', hardsigmoid);
  }
}
/** Hardswish, x * relu6(x + 3) / 6. */
export class Hardswish extends OptionFreeActivation {
  constructor() {
    super('Hardswish', hardswish);
  }
}

/** Softplus, log(1 + exp(beta x)) / beta, linear where beta x > threshold (torch.nn.Softplus). */
export class Softplus extends Module {
  readonly beta: number;
  readonly threshold: number;
  constructor(beta = 1, threshold = 20) {
    super();
    this.beta = checkNumber('Softplus: beta', beta);
    if (this.beta === 0) throw new ArgumentError('Softplus: beta must not be 0');
    this.threshold = checkNumber('Softplus: threshold', threshold);
  }
  override get typeName(): string {
    return 'Softplus';
  }
  forward(input: Tensor): Tensor {
    return softplus(input, this.beta, this.threshold);
  }
  override config(): ModuleConfig {
    return { type: 'Softplus', beta: this.beta, threshold: this.threshold };
  }
  protected override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** Hardtanh, x clamped to [minVal, maxVal] (torch.nn.Hardtanh; gradient 0 on the bounds). */
export class Hardtanh extends Module {
  readonly minVal: number;
  readonly maxVal: number;
  constructor(minVal = -1, maxVal = 1) {
    super();
    this.minVal = checkNumber('Hardtanh: minVal', minVal);
    this.maxVal = checkNumber('Hardtanh: maxVal', maxVal);
    if (this.minVal > this.maxVal)
      throw new ArgumentError(`Hardtanh: minVal ${this.minVal} must not be greater than maxVal ${this.maxVal}`);
  }
  override get typeName(): string {
    return 'Hardtanh';
  }
  forward(input: Tensor): Tensor {
    return hardtanh(input, this.minVal, this.maxVal);
  }
  override config(): ModuleConfig {
    return { type: 'Hardtanh', minVal: this.minVal, maxVal: this.maxVal };
  }
  protected override extraRepr(): string {
    return `minVal=${this.minVal}, maxVal=${this.maxVal}`;
  }
}

export interface PReLUOptions {
  dtype?: FloatDType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

/**
 * PReLU, x for x > 0 and a * x otherwise with a learned slope a (torch.nn.PReLU): one slope
 * shared by every channel (numParameters 1, the default) or one per channel (axis 1 of the
 * input), each initialised to `init` (0.25).
 */
export class PReLU extends Module {
  /** How many slopes: 1 (shared) or the input's channel count (the constructor's numParameters, as in PyTorch). */
  readonly numSlopes: number;
  readonly init: number;
  readonly weight: Tensor;
  constructor(numParameters = 1, init = 0.25, options: PReLUOptions = {}) {
    super();
    checkOptions('PReLU', options, ['dtype', 'backend']);
    this.numSlopes = checkPositiveInteger('PReLU: numParameters', numParameters);
    this.init = checkNumber('PReLU: init', init);
    const dtype = checkFloatDtype('PReLU: options.dtype', options.dtype ?? 'float32');
    this.weight = this.registerParameter(
      'weight',
      full([this.numSlopes], this.init, { dtype, backend: options.backend }),
    );
  }
  override get typeName(): string {
    return 'PReLU';
  }
  forward(input: Tensor): Tensor {
    return prelu(input, this.weight);
  }
  override config(): ModuleConfig {
    const config: ModuleConfig = { type: 'PReLU', numParameters: this.numSlopes, init: this.init };
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }
  protected override extraRepr(): string {
    return `numParameters=${this.numSlopes}`;
  }
}

/** CELU, max(0, x) + min(0, alpha (exp(x / alpha) - 1)) (torch.nn.CELU, alpha 1 by default). */
export class CELU extends Module {
  readonly alpha: number;
  constructor(alpha = 1) {
    super();
    this.alpha = checkNumber('CELU: alpha', alpha);
    if (this.alpha === 0) throw new ArgumentError('CELU: alpha must not be 0');
  }
  override get typeName(): string {
    return 'CELU';
  }
  forward(input: Tensor): Tensor {
    return celu(input, this.alpha);
  }
  override config(): ModuleConfig {
    return { type: 'CELU', alpha: this.alpha };
  }
  protected override extraRepr(): string {
    return `alpha=${this.alpha}`;
  }
}

/** LogSigmoid, log(sigmoid(x)), stable for any x. */
export class LogSigmoid extends OptionFreeActivation {
  constructor() {
    super('LogSigmoid', logSigmoid);
  }
}
/** Tanhshrink, x - tanh(x). */
export class Tanhshrink extends OptionFreeActivation {
  constructor() {
    super('Tanhshrink', tanhshrink);
  }
}
/** Softmax2d: softmax over the channels of [N, C, H, W] or [C, H, W] at each position. */
export class Softmax2d extends OptionFreeActivation {
  constructor() {
    super('Softmax2d', softmax2d);
  }
}

/** Softmin, softmax(-x) along `axis` (torch.nn.Softmin's dim; -1 by default, as Softmax's axis). */
export class Softmin extends Module {
  readonly axis: number;
  constructor(axis = -1) {
    super();
    this.axis = checkInteger('Softmin: axis', axis);
  }
  override get typeName(): string {
    return 'Softmin';
  }
  forward(input: Tensor): Tensor {
    return softmin(input, this.axis);
  }
  override config(): ModuleConfig {
    return { type: 'Softmin', axis: this.axis };
  }
  protected override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/** GLU, a * sigmoid(b) for the halves a, b of the input along `axis` (torch.nn.GLU's dim; -1 by default). */
export class GLU extends Module {
  readonly axis: number;
  constructor(axis = -1) {
    super();
    this.axis = checkInteger('GLU: axis', axis);
  }
  override get typeName(): string {
    return 'GLU';
  }
  forward(input: Tensor): Tensor {
    return glu(input, this.axis);
  }
  override config(): ModuleConfig {
    return { type: 'GLU', axis: this.axis };
  }
  protected override extraRepr(): string {
    return `axis=${this.axis}`;
  }
}

/** Softshrink and Hardshrink: one threshold lambd >= 0 (0.5 by default). */
abstract class ShrinkActivation extends Module {
  readonly lambd: number;
  constructor(lambd: number) {
    super();
    this.lambd = checkNumber(`${this.typeName}: lambd`, lambd, { min: 0 });
  }
  override config(): ModuleConfig {
    return { type: this.typeName, lambd: this.lambd };
  }
  protected override extraRepr(): string {
    return `lambd=${this.lambd}`;
  }
}

/** Softshrink, x - lambd above lambd, x + lambd below -lambd, 0 between (torch.nn.Softshrink). */
export class Softshrink extends ShrinkActivation {
  constructor(lambd = 0.5) {
    super(lambd);
  }
  override get typeName(): string {
    return 'Softshrink';
  }
  forward(input: Tensor): Tensor {
    return softshrink(input, this.lambd);
  }
}

/** Hardshrink, x where |x| > lambd, 0 elsewhere (torch.nn.Hardshrink). */
export class Hardshrink extends ShrinkActivation {
  constructor(lambd = 0.5) {
    super(lambd);
  }
  override get typeName(): string {
    return 'Hardshrink';
  }
  forward(input: Tensor): Tensor {
    return hardshrink(input, this.lambd);
  }
}

/** Threshold, x where x > threshold and `value` elsewhere (torch.nn.Threshold; both required, as in PyTorch). */
export class Threshold extends Module {
  readonly threshold: number;
  readonly value: number;
  constructor(thresholdValue: number, value: number) {
    super();
    this.threshold = checkNumber('Threshold: threshold', thresholdValue);
    this.value = checkNumber('Threshold: value', value);
  }
  override get typeName(): string {
    return 'Threshold';
  }
  forward(input: Tensor): Tensor {
    return threshold(input, this.threshold, this.value);
  }
  override config(): ModuleConfig {
    return { type: 'Threshold', threshold: this.threshold, value: this.value };
  }
  protected override extraRepr(): string {
    return `threshold=${this.threshold}, value=${this.value}`;
  }
}

export interface RReLUOptions {
  /** Draws the slopes in train mode; the default generator otherwise (whose state checkpoints save). */
  generator?: Generator;
}

/**
 * Randomized leaky ReLU (torch.nn.RReLU): x for x > 0, a x otherwise, with each element's slope
 * a drawn from U(lower, upper) in train mode (from the seeded host generator, as Dropout's masks)
 * and fixed at (lower + upper) / 2 in eval mode. Defaults lower 1/8, upper 1/3.
 */
export class RReLU extends Module {
  readonly lower: number;
  readonly upper: number;
  readonly generator: Generator | undefined;
  constructor(lower = 1 / 8, upper = 1 / 3, options: RReLUOptions = {}) {
    super();
    checkOptions('RReLU', options, ['generator']);
    this.lower = checkNumber('RReLU: lower', lower);
    this.upper = checkNumber('RReLU: upper', upper);
    if (this.lower > this.upper)
      throw new ArgumentError(`RReLU: lower ${this.lower} must not be greater than upper ${this.upper}`);
    this.generator = options.generator;
  }
  override get typeName(): string {
    return 'RReLU';
  }
  forward(input: Tensor): Tensor {
    return rrelu(input, this.lower, this.upper, { training: this.training, generator: this.generator });
  }
  override config(): ModuleConfig {
    return { type: 'RReLU', lower: this.lower, upper: this.upper };
  }
  protected override extraRepr(): string {
    return `lower=${this.lower}, upper=${this.upper}`;
  }
}
