import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { fromHost, full } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNumber } from './checks.js';

/**
 * Parameter initialisation like torch.nn.init: each function fills `t` in place (assign under
 * noGrad, so references to `t` stay valid) and returns it. Random values come from the seeded
 * host generator, so a seed gives the same weights on every backend.
 */

export type FanMode = 'fanIn' | 'fanOut';
/** Names as in torch.nn.init.calculate_gain, camelCased. */
export type Nonlinearity = 'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'selu';

export interface RandomInitOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

export interface XavierOptions extends RandomInitOptions {
  gain?: number;
}

export interface KaimingOptions extends RandomInitOptions {
  /** The negative slope of the leaky ReLU that follows (0 for ReLU). */
  a?: number;
  /** 'fanIn' keeps the forward pass's variance, 'fanOut' the backward pass's. */
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/**
 * torch.nn.init._calculate_fan_in_and_fan_out: for a weight [out, in, ...kernel], fanIn is
 * in * prod(kernel) and fanOut is out * prod(kernel).
 */
export function fanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.rank < 2) {
    throw new ShapeError(
      `fan in and fan out need a tensor with at least 2 dimensions, got shape ${formatShape(t.shape)}`,
    );
  }
  const receptiveField = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptiveField, fanOut: t.shape[0]! * receptiveField };
}

/** torch.nn.init.calculate_gain: the gain that keeps activations' variance stable. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leakyRelu': {
      const slope = param === undefined ? 0.01 : checkNumber('calculateGain: negative slope', param);
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ArgumentError(
        `calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; expected linear, identity, sigmoid, tanh, relu, leakyRelu or selu`,
      );
  }
}

/** U(low, high). */
export function uniform_(t: Tensor, low = 0, high = 1, options: RandomInitOptions = {}): Tensor {
  checkNumber('uniform_: low', low);
  checkNumber(`uniform_: high (with low = ${low})`, high, { min: low });
  return fillRandom('uniform_', t, (n, generator) => generator.uniform(n, low, high), options);
}

/** N(mean, std^2). */
export function normal_(t: Tensor, mean = 0, std = 1, options: RandomInitOptions = {}): Tensor {
  checkNumber('normal_: mean', mean);
  checkNumber('normal_: std', std, { min: 0 });
  return fillRandom('normal_', t, (n, generator) => generator.normal(n, mean, std), options);
}

/** Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, options: XavierOptions = {}): Tensor {
  const bound = Math.sqrt(3) * xavierStd('xavierUniform_', t, options.gain);
  return uniform_(t, -bound, bound, options);
}

/** Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, options: XavierOptions = {}): Tensor {
  return normal_(t, 0, xavierStd('xavierNormal_', t, options.gain), options);
}

/** He et al. (2015): U(-b, b) with b = gain * sqrt(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.size === 0) return t; // torch warns and does nothing; a zero fan would divide by zero
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform_(t, -bound, bound, options);
}

/** He et al. (2015): N(0, std^2) with std = gain / sqrt(fan). */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  if (t.size === 0) return t;
  return normal_(t, 0, kaimingStd(t, options), options);
}

export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

export function constant_(t: Tensor, value: number): Tensor {
  if (typeof value !== 'number' || Number.isNaN(value))
    throw new ArgumentError(`constant_: value must be a number, got ${String(value)}`);
  noGrad(() => t.assign(full(t.shape, value, { dtype: t.dtype, backend: t.backend })));
  return t;
}

function xavierStd(op: string, t: Tensor, gain = 1): number {
  checkNumber(`${op}: gain`, gain, { min: 0 });
  const { fanIn, fanOut } = fanInAndFanOut(t);
  return fanIn + fanOut === 0 ? 0 : gain * Math.sqrt(2 / (fanIn + fanOut));
}

function kaimingStd(t: Tensor, options: KaimingOptions): number {
  const { a = 0, mode = 'fanIn', nonlinearity = 'leakyRelu' } = options;
  if (mode !== 'fanIn' && mode !== 'fanOut') {
    throw new ArgumentError(`kaiming init: mode must be 'fanIn' or 'fanOut', got ${JSON.stringify(mode)}`);
  }
  const fans = fanInAndFanOut(t);
  const fan = mode === 'fanIn' ? fans.fanIn : fans.fanOut;
  return calculateGain(nonlinearity, a) / Math.sqrt(fan);
}

function fillRandom(
  op: string,
  t: Tensor,
  draw: (count: number, generator: Generator) => Float64Array,
  options: RandomInitOptions,
): Tensor {
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: expected a float tensor, got dtype ${t.dtype}`);
  const values = draw(t.size, options.generator ?? defaultGenerator);
  noGrad(() => t.assign(fromHost(values, t.shape, { dtype: t.dtype, backend: t.backend })));
  return t;
}
