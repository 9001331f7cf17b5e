import type { Backend } from '../backend/contract.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { relu, sigmoid, tanh } from '../ops/activation.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { linear } from '../ops/linalg.js';
import { concat, reshape, slice, stack, transpose } from '../ops/movement.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, compositeResults } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkInteger,
  checkNumber,
  checkOptions,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
} from './checks.js';
import { Dropout } from './dropout.js';
import { uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

/*
 * RNN, LSTM and GRU with torch.nn's semantics: the same parameter names and shapes (a PyTorch
 * state dict loads 1:1), gate order (LSTM i,f,g,o; GRU r,z,n), initialisation and state layout.
 * One implementation runs all three; each differs only in its cell's step.
 *
 * Per layer and direction the input projection of every step is one matmul, x W_ih^T + b_ih over
 * [seq * batch, input]; the recurrence is then one matmul per step, h W_hh^T + b_hh.
 */

/** A cell's weights, as PyTorch's all_weights lists them: [weight_ih, weight_hh, bias_ih, bias_hh]. */
export type CellWeights = readonly [weightIh: Tensor, weightHh: Tensor, biasIh: Tensor | null, biasHh: Tensor | null];

/**
 * One step of a cell: `gx` is this step's input projection x W_ih^T + b_ih ([batch, gates *
 * hidden]); `h` and `c` (LSTM only, else null) the previous state. Returns the new [h, c].
 */
type Step = (
  gx: Tensor,
  h: Tensor,
  c: Tensor | null,
  weightHh: Tensor,
  biasHh: Tensor | null,
) => [Tensor, Tensor | null];

/** Gate `index` of `gates` [batch, n * hidden]: its columns index * hidden .. (index + 1) * hidden. */
const gate = (gates: Tensor, index: number, hidden: number): Tensor => slice(gates, [0, index * hidden], [-1, hidden]);

/** LSTM: i, f, g, o = chunks of gx + h W_hh^T + b_hh; c' = f c + i g; h' = o tanh(c') (ATen's LSTMCell). */
const lstmStep: Step = (gx, h, c, weightHh, biasHh) => {
  const hidden = h.shape[1]!;
  const gates = add(linear(h, weightHh, biasHh), gx);
  const i = sigmoid(gate(gates, 0, hidden));
  const f = sigmoid(gate(gates, 1, hidden));
  const g = tanh(gate(gates, 2, hidden));
  const o = sigmoid(gate(gates, 3, hidden));
  const cNext = add(mul(f, c!), mul(i, g));
  return [mul(o, tanh(cNext)), cNext];
};

/**
 * GRU with PyTorch's n gate, n = tanh(W_in x + b_in + r (W_hn h + b_hn)) (not the paper's
 * r applied to h before the matmul), and h' = (1 - z) n + z h written as ATen does, n + z (h - n).
 */
const gruStep: Step = (gx, h, _c, weightHh, biasHh) => {
  const hidden = h.shape[1]!;
  const gh = linear(h, weightHh, biasHh);
  const r = sigmoid(add(gate(gh, 0, hidden), gate(gx, 0, hidden)));
  const z = sigmoid(add(gate(gh, 1, hidden), gate(gx, 1, hidden)));
  const n = tanh(add(gate(gx, 2, hidden), mul(gate(gh, 2, hidden), r)));
  return [add(mul(sub(h, n), z), n), null];
};

/** Elman RNN: h' = tanh(gx + h W_hh^T + b_hh), or relu. */
const rnnStep =
  (nonlinearity: (x: Tensor) => Tensor): Step =>
  (gx, h, _c, weightHh, biasHh) => [nonlinearity(add(linear(h, weightHh, biasHh), gx)), null];
const rnnTanhStep = rnnStep(tanh);
const rnnReluStep = rnnStep(relu);

/**
 * The steps of x [seq, ...] as tensors of shape x.shape[1:], split by halves: a slice's gradient
 * is zero-padded to its source's extent, so slicing each of n steps straight from x would make
 * the backward pass O(n^2) in x's size; halving keeps it O(n log n).
 */
function unstack(x: Tensor, into: Tensor[] = []): Tensor[] {
  const n = x.shape[0]!;
  const rest = x.shape.slice(1);
  if (n <= 2) {
    for (let t = 0; t < n; t++) into.push(reshape(slice(x, [t], [1]), rest));
  } else {
    const half = Math.ceil(n / 2);
    unstack(slice(x, [0], [half]), into);
    unstack(slice(x, [half], [n - half]), into);
  }
  return into;
}

const isTensor = (value: unknown): value is Tensor =>
  typeof value === 'object' && value !== null && (value as { isMyelinTensor?: boolean }).isMyelinTensor === true;

function checkCellState(where: string, name: string, value: unknown, batch: number, hidden: number): Tensor {
  if (!isTensor(value)) throw new ArgumentError(`${where}: ${name} must be a Tensor, got ${describeValue(value)}`);
  if (!shapesEqual(value.shape, [batch, hidden]))
    throw new ShapeError(
      `${where}: ${name} has shape ${formatShape(value.shape)}, expected ${formatShape([batch, hidden])} ([batch, hidden])`,
    );
  return value;
}

/** One cell step from an input [batch, input] (the public cells): the projection, then `step`. */
function cellStep(
  where: string,
  step: Step,
  input: Tensor,
  h: unknown,
  c: unknown,
  weights: CellWeights,
): [Tensor, Tensor | null] {
  const [weightIh, weightHh, biasIh, biasHh] = weights;
  const hidden = weightHh.shape[1]!;
  if (input.rank !== 2 || input.shape[1] !== weightIh.shape[1])
    throw new ShapeError(
      `${where}: input has shape ${formatShape(input.shape)}, expected [batch, ${weightIh.shape[1]}] (weight_ih is ${formatShape(weightIh.shape)})`,
    );
  const batch = input.shape[0]!;
  const h0 = checkCellState(where, 'h', h, batch, hidden);
  const c0 = c === undefined ? null : checkCellState(where, 'c', c, batch, hidden);
  return step(linear(input, weightIh, biasIh), h0, c0, weightHh, biasHh);
}

/**
 * One LSTM step as torch.lstm_cell: input [batch, input], h and c [batch, hidden], weights as
 * LSTM's (weight_ih [4 hidden, input], weight_hh [4 hidden, hidden], gates i,f,g,o). Returns
 * [h', c']; outside `tidy`, dispose h' last (it holds the intermediates c''s graph shares).
 */
export function lstmCell(
  input: Tensor,
  state: readonly [h: Tensor, c: Tensor],
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh: Tensor | null = null,
  biasHh: Tensor | null = null,
): [Tensor, Tensor] {
  const [h, c] = compositeResults(() => {
    const [hNext, cNext] = cellStep('lstmCell', lstmStep, input, state[0], state[1], [
      weightIh,
      weightHh,
      biasIh,
      biasHh,
    ]);
    return [hNext, cNext!];
  });
  return [h!, c!];
}

/** A one-state cell's step as a function: (input, h, weightIh, weightHh, biasIh?, biasHh?) -> h'. */
export type HiddenCell = (
  input: Tensor,
  h: Tensor,
  weightIh: Tensor,
  weightHh: Tensor,
  biasIh?: Tensor | null,
  biasHh?: Tensor | null,
) => Tensor;

const hiddenCell =
  (name: string, step: Step): HiddenCell =>
  (input, h, weightIh, weightHh, biasIh = null, biasHh = null) =>
    composite(() => cellStep(name, step, input, h, undefined, [weightIh, weightHh, biasIh, biasHh])[0]);

/** One GRU step as torch.gru_cell: gates r,z,n with PyTorch's n gate (see GRU); h [batch, hidden]. Returns h'. */
export const gruCell: HiddenCell = hiddenCell('gruCell', gruStep);
/** One Elman RNN step as torch.rnn_tanh_cell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh). */
export const rnnTanhCell: HiddenCell = hiddenCell('rnnTanhCell', rnnTanhStep);
/** One Elman RNN step as torch.rnn_relu_cell: h' = relu(x W_ih^T + b_ih + h W_hh^T + b_hh). */
export const rnnReluCell: HiddenCell = hiddenCell('rnnReluCell', rnnReluStep);

export type RNNNonlinearity = 'tanh' | 'relu';

export interface RNNBaseOptions {
  /** Stacked layers (default 1): each runs on the previous one's output sequence. */
  numLayers?: number;
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Input and output are [batch, seq, feature] instead of [seq, batch, feature] (default false); the state is not affected. */
  batchFirst?: boolean;
  /** Dropout on each layer's output except the last, in train mode only (default 0; no effect with one layer). */
  dropout?: number;
  /** Also run each layer backwards over the sequence and concatenate both directions' outputs (default false). */
  bidirectional?: boolean;
  /** Draws the initial weights; the default generator otherwise. Dropout masks come from the default generator. */
  generator?: Generator;
  dtype?: FloatDType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

export type LSTMOptions = RNNBaseOptions;
export type GRUOptions = RNNBaseOptions;
export interface RNNOptions extends RNNBaseOptions {
  /** The cell's activation (default 'tanh'). */
  nonlinearity?: RNNNonlinearity;
}

/** The state of GRU and RNN: h [numLayers * numDirections, batch, hiddenSize] ([numLayers * numDirections, hiddenSize] unbatched). */
export interface HiddenState {
  h: Tensor;
}

/** LSTM's state: h and the cell state c, both [numLayers * numDirections, batch, hiddenSize] (no batch axis unbatched). */
export interface LSTMState {
  h: Tensor;
  c: Tensor;
}

/** What `forwardWithState` returns: every step's output (as `forward`) and the final state. */
export interface RecurrentResult<S> {
  /** [seq, batch, numDirections * hiddenSize] ([batch, seq, ...] with batchFirst, [seq, ...] unbatched). */
  output: Tensor;
  /** The state after the last step, per layer and direction: layer 0 forward, layer 0 reverse, layer 1 forward, ... */
  state: S;
}

/** Which cell an RNNBase runs (LSTM, GRU, or the Elman RNN with tanh or relu). */
export type RecurrentMode = 'LSTM' | 'GRU' | 'RNN_TANH' | 'RNN_RELU';
const steps: Record<RecurrentMode, Step> = {
  LSTM: lstmStep,
  GRU: gruStep,
  RNN_TANH: rnnTanhStep,
  RNN_RELU: rnnReluStep,
};
const gateCounts: Record<RecurrentMode, number> = { LSTM: 4, GRU: 3, RNN_TANH: 1, RNN_RELU: 1 };
const baseOptions = ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'generator', 'dtype', 'backend'];

/**
 * What RNN, LSTM and GRU share, like torch.nn.RNNBase: the parameters (weight_ih_l{k},
 * weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, and ..._reverse for the backward direction), the
 * checks, and the loop over layers, directions and steps; the subclasses choose the cell.
 */
export abstract class RNNBase<S extends HiddenState> extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  readonly dropout: number;
  readonly bidirectional: boolean;
  /** Per layer and direction (layer 0 forward, layer 0 reverse, ...): [weight_ih, weight_hh, bias_ih, bias_hh], as PyTorch's all_weights (biases null without bias). */
  readonly allWeights: readonly CellWeights[];
  readonly #mode: RecurrentMode;
  readonly #dropoutLayer: Dropout;

  protected constructor(mode: RecurrentMode, inputSize: number, hiddenSize: number, options: RNNOptions) {
    super();
    const name = mode === 'LSTM' || mode === 'GRU' ? mode : 'RNN';
    checkOptions(name, options, name === 'RNN' ? [...baseOptions, 'nonlinearity'] : baseOptions);
    this.#mode = mode;
    this.inputSize = checkPositiveInteger(`${name}: inputSize`, inputSize);
    this.hiddenSize = checkPositiveInteger(`${name}: hiddenSize`, hiddenSize);
    this.numLayers = checkPositiveInteger(`${name}: options.numLayers`, options.numLayers ?? 1);
    this.bias = checkBoolean(`${name}: options.bias`, options.bias ?? true);
    this.batchFirst = checkBoolean(`${name}: options.batchFirst`, options.batchFirst ?? false);
    this.dropout = checkNumber(`${name}: options.dropout`, options.dropout ?? 0, { min: 0, max: 1 });
    this.bidirectional = checkBoolean(`${name}: options.bidirectional`, options.bidirectional ?? false);
    const creation = {
      dtype: checkFloatDtype(`${name}: options.dtype`, options.dtype ?? 'float32'),
      backend: options.backend,
    };
    const gates = gateCounts[mode] * hiddenSize;
    const weights: CellWeights[] = [];
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (let direction = 0; direction < this.numDirections; direction++) {
        const suffix = `_l${layer}${direction === 1 ? '_reverse' : ''}`;
        const layerInput = layer === 0 ? inputSize : hiddenSize * this.numDirections;
        const param = (kind: string, shape: number[]): Tensor =>
          this.registerParameter(`${kind}${suffix}`, zeros(shape, creation));
        weights.push([
          param('weight_ih', [gates, layerInput]),
          param('weight_hh', [gates, hiddenSize]),
          this.bias ? param('bias_ih', [gates]) : null,
          this.bias ? param('bias_hh', [gates]) : null,
        ]);
      }
    }
    this.allWeights = weights;
    this.#dropoutLayer = new Dropout(this.dropout);
    this.resetParameters(options.generator);
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** PyTorch's init: every weight and bias U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), in registration order. */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const parameter of this.parameters()) uniform_(parameter, -bound, bound, { generator });
  }

  /** Every step's output, as PyTorch's `output` (the state starts at zeros), so the layer fits in a Sequential. */
  forward(input: Tensor): Tensor {
    return composite(() => this.#run(input, undefined, false)[0]!);
  }

  /**
   * Every step's output and the final state, from `state` (zeros if omitted). Outside `tidy`,
   * dispose `output` last: it holds the intermediates the state's graph shares.
   */
  forwardWithState(input: Tensor, state?: S): RecurrentResult<S> {
    const [output, h, c] = compositeResults(() => this.#run(input, state, true));
    return { output: output!, state: (this.#mode === 'LSTM' ? { h, c } : { h }) as S };
  }

  /** 'LSTM(10 -> 20)': how errors name the layer. */
  get #label(): string {
    return `${this.typeName}(${this.inputSize} -> ${this.hiddenSize})`;
  }

  /** [output, h_n, c_n (LSTM)], or just [output] without `withState`. */
  #run(input: Tensor, state: S | undefined, withState: boolean): Tensor[] {
    const expected = this.batchFirst ? `[batch, seq, ${this.inputSize}]` : `[seq, batch, ${this.inputSize}]`;
    if ((input.rank !== 2 && input.rank !== 3) || input.shape[input.rank - 1] !== this.inputSize)
      throw new ShapeError(
        `${this.#label} got input of shape ${formatShape(input.shape)}: expected ${expected} or unbatched [seq, ${this.inputSize}]`,
      );
    const dtype = this.allWeights[0]![0].dtype;
    if (input.dtype !== dtype)
      throw new DTypeError(
        `${this.#label} got input of dtype ${input.dtype}, but its parameters are ${dtype}; cast the input`,
      );
    const unbatched = input.rank === 2;
    let x = unbatched
      ? reshape(input, [input.shape[0]!, 1, this.inputSize])
      : this.batchFirst
        ? transpose(input, 0, 1)
        : input;
    const [length, batch] = x.shape as [number, number];
    if (length === 0)
      throw new ShapeError(`${this.#label} got input of shape ${formatShape(input.shape)}: the sequence is empty`);
    const [h0, c0] = this.#initialState(state, batch, unbatched);
    const step = steps[this.#mode];
    const directions = this.numDirections;
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    const at = (s: Tensor, k: number): Tensor => reshape(slice(s, [k], [1]), [batch, this.hiddenSize]);
    for (let layer = 0; layer < this.numLayers; layer++) {
      const flat = reshape(x, [length * batch, x.shape[2]!]);
      const outputs: Tensor[] = [];
      for (let direction = 0; direction < directions; direction++) {
        const k = layer * directions + direction;
        const [weightIh, weightHh, biasIh, biasHh] = this.allWeights[k]!;
        const projected = unstack(reshape(linear(flat, weightIh, biasIh), [length, batch, -1]));
        let h = at(h0, k);
        let c = c0 === null ? null : at(c0, k);
        const hs = new Array<Tensor>(length);
        for (let i = 0; i < length; i++) {
          const t = direction === 0 ? i : length - 1 - i;
          [h, c] = step(projected[t]!, h, c, weightHh, biasHh);
          hs[t] = h;
        }
        outputs.push(stack(hs));
        finalH.push(h);
        if (c !== null) finalC.push(c);
      }
      x = directions === 1 ? outputs[0]! : concat(outputs, 2);
      if (layer < this.numLayers - 1 && this.training && this.dropout > 0) x = this.#dropoutLayer.forward(x);
    }
    const output = unbatched ? reshape(x, [length, -1]) : this.batchFirst ? transpose(x, 0, 1) : x;
    if (!withState) return [output];
    const finalState = (finals: Tensor[]): Tensor => {
      const s = stack(finals);
      return unbatched ? reshape(s, [finals.length, this.hiddenSize]) : s;
    };
    return c0 === null ? [output, finalState(finalH)] : [output, finalState(finalH), finalState(finalC)];
  }

  /** The given state checked (with a batch axis added when unbatched), or zeros; [h0, c0 or null]. */
  #initialState(state: S | undefined, batch: number, unbatched: boolean): [Tensor, Tensor | null] {
    const names = this.#mode === 'LSTM' ? ['h', 'c'] : ['h'];
    const stateful = this.numLayers * this.numDirections;
    const [weight] = this.allWeights[0]!;
    if (state === undefined) {
      const zero = (): Tensor =>
        zeros([stateful, batch, this.hiddenSize], { dtype: weight.dtype, backend: weight.backend });
      return [zero(), names.length === 2 ? zero() : null];
    }
    const where = `${this.#label}: the initial state`;
    if (typeof state !== 'object' || state === null || Array.isArray(state))
      throw new ArgumentError(`${where} must be an object { ${names.join(', ')} }, got ${describeValue(state)}`);
    checkOptions(where, state, names);
    const shape = unbatched ? [stateful, this.hiddenSize] : [stateful, batch, this.hiddenSize];
    const meaning = unbatched
      ? '[numLayers * numDirections, hiddenSize] for unbatched input'
      : '[numLayers * numDirections, batch, hiddenSize]';
    const tensors = names.map((name) => {
      const value: unknown = (state as unknown as Record<string, unknown>)[name];
      if (!isTensor(value))
        throw new ArgumentError(
          `${where} needs ${name}, a Tensor of shape ${formatShape(shape)}; got ${describeValue(value)}`,
        );
      if (!shapesEqual(value.shape, shape))
        throw new ShapeError(
          `${where}: ${name} has shape ${formatShape(value.shape)}, expected ${formatShape(shape)} (${meaning})`,
        );
      if (value.dtype !== weight.dtype)
        throw new DTypeError(`${where}: ${name} has dtype ${value.dtype}, but the parameters are ${weight.dtype}`);
      return unbatched ? reshape(value, [stateful, 1, this.hiddenSize]) : value;
    });
    return [tensors[0]!, tensors[1] ?? null];
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: this.typeName,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bias: this.bias,
      batchFirst: this.batchFirst,
      dropout: this.dropout,
      bidirectional: this.bidirectional,
    };
    if (this.#mode !== 'LSTM' && this.#mode !== 'GRU')
      config['nonlinearity'] = this.#mode === 'RNN_TANH' ? 'tanh' : 'relu';
    const dtype = this.allWeights[0]![0].dtype;
    if (dtype !== 'float32') config['dtype'] = dtype;
    return config;
  }

  protected override extraRepr(): string {
    const extra = [`${this.inputSize}, ${this.hiddenSize}`];
    if (this.numLayers !== 1) extra.push(`numLayers=${this.numLayers}`);
    if (this.#mode === 'RNN_RELU') extra.push(`nonlinearity=relu`);
    if (!this.bias) extra.push('bias=false');
    if (this.batchFirst) extra.push('batchFirst=true');
    if (this.dropout !== 0) extra.push(`dropout=${this.dropout}`);
    if (this.bidirectional) extra.push('bidirectional=true');
    return extra.join(', ');
  }
}

/**
 * Long short-term memory, like torch.nn.LSTM: per step, with gates in PyTorch's order i, f, g, o,
 *   i = sigmoid(W_ii x + b_ii + W_hi h + b_hi), f = sigmoid(...), g = tanh(...), o = sigmoid(...),
 *   c' = f c + i g, h' = o tanh(c').
 * Input [seq, batch, inputSize] ([batch, seq, inputSize] with batchFirst) or unbatched [seq, inputSize].
 */
export class LSTM extends RNNBase<LSTMState> {
  constructor(inputSize: number, hiddenSize: number, options: LSTMOptions = {}) {
    super('LSTM', inputSize, hiddenSize, options);
  }

  override get typeName(): string {
    return 'LSTM';
  }
}

/**
 * Gated recurrent unit, like torch.nn.GRU: per step, with gates in PyTorch's order r, z, n,
 *   r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(...),
 *   n = tanh(W_in x + b_in + r (W_hn h + b_hn)), h' = (1 - z) n + z h.
 */
export class GRU extends RNNBase<HiddenState> {
  constructor(inputSize: number, hiddenSize: number, options: GRUOptions = {}) {
    super('GRU', inputSize, hiddenSize, options);
  }

  override get typeName(): string {
    return 'GRU';
  }
}

/** Elman RNN, like torch.nn.RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) per step (or relu with nonlinearity 'relu'). */
export class RNN extends RNNBase<HiddenState> {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNOptions = {}) {
    const given = typeof options === 'object' && options !== null ? options.nonlinearity : undefined; // else super's error
    const nonlinearity = given ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new ArgumentError(`RNN: options.nonlinearity must be 'tanh' or 'relu', got ${describeValue(nonlinearity)}`);
    super(nonlinearity === 'tanh' ? 'RNN_TANH' : 'RNN_RELU', inputSize, hiddenSize, options);
    this.nonlinearity = nonlinearity;
  }

  override get typeName(): string {
    return 'RNN';
  }
}

export interface SelectTimeStepOptions {
  /** The input is [batch, seq, feature] (default false: [seq, batch, feature]), as the recurrent layer's batchFirst. */
  batchFirst?: boolean;
}

/**
 * Picks one step of a sequence, `output[index]` in PyTorch (`output[:, index]` with batchFirst):
 * [seq, batch, feature] -> [batch, feature], and unbatched [seq, feature] -> [feature]. The
 * default index -1 is the last step, so `LSTM -> SelectTimeStep -> Linear` classifies a sequence
 * in a Sequential. For a bidirectional layer the reverse half of the last step has seen only
 * that step; the final state of forwardWithState holds both directions' summaries.
 */
export class SelectTimeStep extends Module {
  readonly index: number;
  readonly batchFirst: boolean;

  constructor(index = -1, options: SelectTimeStepOptions = {}) {
    super();
    checkOptions('SelectTimeStep', options, ['batchFirst']);
    this.index = checkInteger('SelectTimeStep: index', index);
    this.batchFirst = checkBoolean('SelectTimeStep: options.batchFirst', options.batchFirst ?? false);
  }

  override get typeName(): string {
    return 'SelectTimeStep';
  }

  forward(input: Tensor): Tensor {
    const axis = input.rank === 3 && this.batchFirst ? 1 : 0;
    const length = input.shape[axis] ?? 0;
    const at = this.index < 0 ? this.index + length : this.index;
    if ((input.rank !== 2 && input.rank !== 3) || at < 0 || at >= length) {
      const layout = this.batchFirst ? '[batch, seq, feature]' : '[seq, batch, feature]';
      throw new ShapeError(
        `${this.typeName}(index=${this.index}) got input of shape ${formatShape(input.shape)}: expected ${layout} or unbatched [seq, feature] with step ${this.index} in range`,
      );
    }
    const begin = input.shape.map((_, i) => (i === axis ? at : 0));
    const size = input.shape.map((d, i) => (i === axis ? 1 : d));
    return composite(() =>
      reshape(
        slice(input, begin, size),
        input.shape.filter((_, i) => i !== axis),
      ),
    );
  }

  override config(): ModuleConfig {
    return { type: 'SelectTimeStep', index: this.index, batchFirst: this.batchFirst };
  }

  protected override extraRepr(): string {
    return `index=${this.index}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}
