import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { fromHost, full } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkNumber, describeValue } from './checks.js';
import { orthogonalFromNormal, truncatedStandardNormal } from './init-host.js';

/**
 * Parameter initialisation like torch.nn.init: each function fills `t` in place (assign under
 * noGrad, so references to `t` stay valid) and returns it. Random values come from the seeded
 * host generator, so a seed gives the same weights on every backend.
 */

export type FanMode = 'fanIn' | 'fanOut';
/** Names as in torch.nn.init.calculate_gain, camelCased. */
export type Nonlinearity =
  | 'linear'
  | 'identity'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'convTranspose1d'
  | 'convTranspose2d'
  | 'convTranspose3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leakyRelu'
  | 'selu';

export interface RandomInitOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

export interface XavierOptions extends RandomInitOptions {
  gain?: number;
}

export interface SparseOptions extends RandomInitOptions {
  /** The standard deviation of the entries that stay non-zero (default 0.01, as PyTorch's). */
  std?: number;
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
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'convTranspose1d':
    case 'convTranspose2d':
    case 'convTranspose3d':
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
        `calculateGain: unknown nonlinearity ${JSON.stringify(nonlinearity)}; expected linear, identity, conv1d, conv2d, conv3d, convTranspose1d, convTranspose2d, convTranspose3d, sigmoid, tanh, relu, leakyRelu or selu`,
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

export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

/**
 * torch.nn.init.trunc_normal_: N(mean, std^2) restricted to [a, b] (in the tensor's units, not
 * in standard deviations, as PyTorch's; either bound may be infinite). Drawn exactly by
 * rejection, so even a window far in a tail gives the truncated distribution.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2, options: RandomInitOptions = {}): Tensor {
  checkNumber('truncNormal_: mean', mean);
  if (typeof std !== 'number' || !(std > 0) || !Number.isFinite(std))
    throw new ArgumentError(`truncNormal_: std must be a finite number > 0, got ${describeValue(std)}`);
  if (typeof a !== 'number' || typeof b !== 'number' || Number.isNaN(a) || Number.isNaN(b) || !(a < b))
    throw new ArgumentError(
      `truncNormal_: need bounds a < b (either may be infinite), got a = ${describeValue(a)}, b = ${describeValue(b)}`,
    );
  return fillRandom(
    'truncNormal_',
    t,
    (n, generator) => {
      const z = truncatedStandardNormal(n, (a - mean) / std, (b - mean) / std, generator);
      // mean + std * z can round past a bound by an ulp; PyTorch clamps too.
      for (let i = 0; i < n; i++) z[i] = Math.min(b, Math.max(a, mean + std * z[i]!));
      return z;
    },
    options,
  );
}

/**
 * torch.nn.init.orthogonal_ (Saxe et al. 2013): the tensor viewed as [size(0), rest] becomes
 * gain times a (semi-)orthogonal matrix — orthonormal rows if it is wide, orthonormal columns
 * if it is tall — the Q factor of a standard normal matrix with R's diagonal made positive.
 */
export function orthogonal_(t: Tensor, options: XavierOptions = {}): Tensor {
  if (t.rank < 2)
    throw new ShapeError(`orthogonal_: needs a tensor with at least 2 dimensions, got shape ${formatShape(t.shape)}`);
  const gain = checkNumber('orthogonal_: gain', options.gain ?? 1);
  if (t.size === 0) return t;
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  return fillRandom(
    'orthogonal_',
    t,
    (n, generator) => {
      const q = orthogonalFromNormal(generator.normal(n), rows, cols);
      for (let i = 0; i < n; i++) q[i]! *= gain;
      return q;
    },
    options,
  );
}

/**
 * torch.nn.init.sparse_ (Martens 2010): a 2-D tensor drawn from N(0, std^2), then in every
 * column ceil(sparsity * rows) entries, at rows chosen at random, set to zero.
 */
export function sparse_(t: Tensor, sparsity: number, options: SparseOptions = {}): Tensor {
  if (t.rank !== 2) throw new ShapeError(`sparse_: needs a 2-D tensor, got shape ${formatShape(t.shape)}`);
  checkNumber('sparse_: sparsity', sparsity, { min: 0, max: 1 });
  const std = checkNumber('sparse_: std', options.std ?? 0.01, { min: 0 });
  const [rows, cols] = t.shape as [number, number];
  const zeroed = Math.ceil(sparsity * rows);
  return fillRandom(
    'sparse_',
    t,
    (n, generator) => {
      const values = generator.normal(n, 0, std);
      for (let col = 0; col < cols; col++) {
        const order = generator.permutation(rows);
        for (let k = 0; k < zeroed; k++) values[order[k]! * cols + col] = 0;
      }
      return values;
    },
    options,
  );
}

/** torch.nn.init.eye_: the identity on a 2-D tensor (ones on the main diagonal of a rectangle too). */
export function eye_(t: Tensor): Tensor {
  if (t.rank !== 2) throw new ShapeError(`eye_: needs a 2-D tensor, got shape ${formatShape(t.shape)}`);
  const [rows, cols] = t.shape as [number, number];
  const values = new Float64Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
  return assignHost(t, values);
}

/**
 * torch.nn.init.dirac_: a convolution weight [out, in, ...kernel] (3-D, 4-D or 5-D) that passes
 * its input through: in each of `groups` groups, output channel d of the group takes input
 * channel d at the kernel's centre, for d < min(out / groups, in).
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  if (t.rank < 3 || t.rank > 5)
    throw new ShapeError(
      `dirac_: needs a 3-D, 4-D or 5-D convolution weight [out, in, ...kernel], got shape ${formatShape(t.shape)}`,
    );
  const [out, inChannels, ...kernel] = t.shape as number[];
  checkNumber('dirac_: groups', groups, { min: 1 });
  if (!Number.isInteger(groups) || out! % groups !== 0)
    throw new ArgumentError(`dirac_: groups must be a positive integer dividing ${out} output channels, got ${groups}`);
  const perGroup = out! / groups;
  const kernelSize = kernel.reduce((x, y) => x * y, 1);
  let centre = 0;
  for (const k of kernel) centre = centre * k + Math.floor(k / 2);
  const values = new Float64Array(t.size);
  for (let g = 0; g < groups; g++)
    for (let d = 0; d < Math.min(perGroup, inChannels!); d++)
      values[((g * perGroup + d) * inChannels! + d) * kernelSize + centre] = 1;
  return assignHost(t, values);
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

function assignHost(t: Tensor, values: Float64Array): Tensor {
  noGrad(() => t.assign(fromHost(values, t.shape, { dtype: t.dtype, backend: t.backend })));
  return t;
}

function fillRandom(
  op: string,
  t: Tensor,
  draw: (count: number, generator: Generator) => Float64Array,
  options: RandomInitOptions,
): Tensor {
  if (!isFloat(t.dtype)) throw new DTypeError(`${op}: expected a float tensor, got dtype ${t.dtype}`);
  return assignHost(t, draw(t.size, options.generator ?? defaultGenerator));
}
