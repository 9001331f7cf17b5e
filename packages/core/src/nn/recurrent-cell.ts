import type { Backend } from '../backend/contract.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { reshape } from '../ops/movement.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite, compositeResults } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkOptions,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
} from './checks.js';
import { uniform_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';
import {
  gruCell,
  lstmCell,
  rnnReluCell,
  rnnTanhCell,
  type HiddenCell,
  type LSTMState,
  type RNNNonlinearity,
} from './recurrent.js';
import { isTensor } from '../tensor/is-tensor.js';

/*
 * RNNCell, LSTMCell and GRUCell: one step of the recurrent layers as modules, like torch.nn's.
 * The parameters are PyTorch's, names and shapes (weight_ih [gates * hidden, input], weight_hh
 * [gates * hidden, hidden], bias_ih, bias_hh), so a PyTorch state dict loads 1:1; each starts
 * U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)) as in PyTorch. Input [batch, inputSize] or
 * unbatched [inputSize]; the state is zeros when omitted.
 */

export interface RNNCellBaseOptions {
  /** Learn bias_ih and bias_hh (default true). */
  bias?: boolean;
  /** Draws the initial weights; the default generator otherwise. */
  generator?: Generator;
  dtype?: FloatDType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
}

export interface RNNCellOptions extends RNNCellBaseOptions {
  /** The cell's activation (default 'tanh'). */
  nonlinearity?: RNNNonlinearity;
}
export type LSTMCellOptions = RNNCellBaseOptions;
export type GRUCellOptions = RNNCellBaseOptions;

/** What RNNCell, LSTMCell and GRUCell share, like torch.nn.RNNCellBase: parameters, checks and the state's shape. */
export abstract class RNNCellBase extends Module {
  readonly inputSize: number;
  readonly hiddenSize: number;
  readonly bias: boolean;
  /** weight_ih: [gates * hiddenSize, inputSize] (gates 4 for LSTM i,f,g,o; 3 for GRU r,z,n; 1 for RNN). */
  readonly weightIh: Tensor;
  /** weight_hh: [gates * hiddenSize, hiddenSize]. */
  readonly weightHh: Tensor;
  readonly biasIh: Tensor | null;
  readonly biasHh: Tensor | null;

  protected constructor(
    name: string,
    gates: number,
    inputSize: number,
    hiddenSize: number,
    options: RNNCellBaseOptions,
    extraOptions: readonly string[] = [],
  ) {
    super();
    checkOptions(name, options, ['bias', 'generator', 'dtype', 'backend', ...extraOptions]);
    this.inputSize = checkPositiveInteger(`${name}: inputSize`, inputSize);
    this.hiddenSize = checkPositiveInteger(`${name}: hiddenSize`, hiddenSize);
    this.bias = checkBoolean(`${name}: options.bias`, options.bias ?? true);
    const creation = {
      dtype: checkFloatDtype(`${name}: options.dtype`, options.dtype ?? 'float32'),
      backend: options.backend,
    };
    const rows = gates * hiddenSize;
    this.weightIh = this.registerParameter('weight_ih', zeros([rows, inputSize], creation));
    this.weightHh = this.registerParameter('weight_hh', zeros([rows, hiddenSize], creation));
    this.biasIh = this.registerParameter('bias_ih', this.bias ? zeros([rows], creation) : null);
    this.biasHh = this.registerParameter('bias_hh', this.bias ? zeros([rows], creation) : null);
    this.resetParameters(options.generator);
  }

  /** PyTorch's init: every weight and bias U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), in registration order. */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const parameter of this.parameters()) uniform_(parameter, -bound, bound, { generator });
  }

  /** 'LSTMCell(10 -> 20)': how errors name the cell. */
  protected get label(): string {
    return `${this.typeName}(${this.inputSize} -> ${this.hiddenSize})`;
  }

  /** Checks the input; whether it is unbatched, and its batch size. */
  protected checkInput(input: Tensor): { unbatched: boolean; batch: number } {
    if (!isTensor(input)) throw new ArgumentError(`${this.label}: input must be a Tensor, got ${describeValue(input)}`);
    if ((input.rank !== 1 && input.rank !== 2) || input.shape[input.rank - 1] !== this.inputSize)
      throw new ShapeError(
        `${this.label} got input of shape ${formatShape(input.shape)}: expected [batch, ${this.inputSize}] or unbatched [${this.inputSize}]`,
      );
    if (input.dtype !== this.weightIh.dtype)
      throw new DTypeError(
        `${this.label} got input of dtype ${input.dtype}, but its parameters are ${this.weightIh.dtype}; cast the input`,
      );
    return { unbatched: input.rank === 1, batch: input.rank === 1 ? 1 : input.shape[0]! };
  }

  /** A state tensor checked and made [batch, hidden], or zeros when absent. */
  protected stateOf(name: string, value: unknown, unbatched: boolean, batch: number, required = false): Tensor {
    const creation = { dtype: this.weightIh.dtype, backend: this.weightIh.backend };
    if (!required && (value === undefined || value === null)) return zeros([batch, this.hiddenSize], creation);
    const shape = unbatched ? [this.hiddenSize] : [batch, this.hiddenSize];
    if (!isTensor(value))
      throw new ArgumentError(
        `${this.label}: ${name} must be a Tensor of shape ${formatShape(shape)}, got ${describeValue(value)}`,
      );
    if (value.rank !== shape.length || value.shape.some((d, i) => d !== shape[i]))
      throw new ShapeError(
        `${this.label}: ${name} has shape ${formatShape(value.shape)}, expected ${formatShape(shape)} (${unbatched ? '[hiddenSize] for unbatched input' : '[batch, hiddenSize]'})`,
      );
    if (value.dtype !== this.weightIh.dtype)
      throw new DTypeError(
        `${this.label}: ${name} has dtype ${value.dtype}, but the parameters are ${this.weightIh.dtype}`,
      );
    return unbatched ? reshape(value, [1, this.hiddenSize]) : value;
  }

  /** A one-state cell's forward (RNNCell, GRUCell): the state checked, the step, the batch axis dropped again for unbatched input. */
  protected hiddenForward(step: HiddenCell, input: Tensor, hx: Tensor | undefined): Tensor {
    return composite(() => {
      const { unbatched, batch } = this.checkInput(input);
      const h = this.stateOf('hx', hx, unbatched, batch);
      const x = unbatched ? reshape(input, [1, this.inputSize]) : input;
      const next = step(x, h, this.weightIh, this.weightHh, this.biasIh, this.biasHh);
      return unbatched ? reshape(next, [this.hiddenSize]) : next;
    });
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: this.typeName,
      inputSize: this.inputSize,
      hiddenSize: this.hiddenSize,
      bias: this.bias,
    };
    if (this.weightIh.dtype !== 'float32') config['dtype'] = this.weightIh.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `${this.inputSize}, ${this.hiddenSize}${this.bias ? '' : ', bias=false'}`;
  }
}

/**
 * An Elman RNN cell, like torch.nn.RNNCell: h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)
 * (relu with nonlinearity 'relu'). forward(input, hx?) returns h'.
 */
export class RNNCell extends RNNCellBase {
  readonly nonlinearity: RNNNonlinearity;

  constructor(inputSize: number, hiddenSize: number, options: RNNCellOptions = {}) {
    const given = typeof options === 'object' && options !== null ? options.nonlinearity : undefined; // else super's error
    const nonlinearity = given ?? 'tanh';
    if (nonlinearity !== 'tanh' && nonlinearity !== 'relu')
      throw new ArgumentError(
        `RNNCell: options.nonlinearity must be 'tanh' or 'relu', got ${describeValue(nonlinearity)}`,
      );
    super('RNNCell', 1, inputSize, hiddenSize, options, ['nonlinearity']);
    this.nonlinearity = nonlinearity;
  }

  override get typeName(): string {
    return 'RNNCell';
  }

  /** h' from input [batch, inputSize] ([inputSize]) and hx [batch, hiddenSize] ([hiddenSize]; zeros if omitted). */
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.hiddenForward(this.nonlinearity === 'tanh' ? rnnTanhCell : rnnReluCell, input, hx);
  }

  override config(): ModuleConfig {
    return { ...super.config(), nonlinearity: this.nonlinearity };
  }

  protected override extraRepr(): string {
    return `${super.extraRepr()}${this.nonlinearity === 'relu' ? ', nonlinearity=relu' : ''}`;
  }
}

/**
 * A GRU cell, like torch.nn.GRUCell (gates r, z, n; PyTorch's n = tanh(W_in x + b_in +
 * r (W_hn h + b_hn))). forward(input, hx?) returns h'.
 */
export class GRUCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: GRUCellOptions = {}) {
    super('GRUCell', 3, inputSize, hiddenSize, options);
  }

  override get typeName(): string {
    return 'GRUCell';
  }

  /** h' from input [batch, inputSize] ([inputSize]) and hx [batch, hiddenSize] ([hiddenSize]; zeros if omitted). */
  forward(input: Tensor, hx?: Tensor): Tensor {
    return this.hiddenForward(gruCell, input, hx);
  }
}

/**
 * An LSTM cell, like torch.nn.LSTMCell (gates i, f, g, o): c' = f c + i g, h' = o tanh(c').
 * `forwardWithState(input, { h, c }?)` returns both, as PyTorch's (h_1, c_1); `forward(input,
 * h?, c?)` returns h' alone, so the cell fits where one tensor is expected.
 */
export class LSTMCell extends RNNCellBase {
  constructor(inputSize: number, hiddenSize: number, options: LSTMCellOptions = {}) {
    super('LSTMCell', 4, inputSize, hiddenSize, options);
  }

  override get typeName(): string {
    return 'LSTMCell';
  }

  forward(input: Tensor, h?: Tensor, c?: Tensor): Tensor {
    return composite(() => this.#step(input, h, c)[0]!);
  }

  /**
   * h' and c' from input [batch, inputSize] ([inputSize]) and the state { h, c } (each [batch,
   * hiddenSize], [hiddenSize] unbatched; zeros if omitted). Outside `tidy`, dispose h' last.
   */
  forwardWithState(input: Tensor, state?: LSTMState): LSTMState {
    if (state !== undefined && (typeof state !== 'object' || state === null || Array.isArray(state)))
      throw new ArgumentError(`${this.label}: the state must be an object { h, c }, got ${describeValue(state)}`);
    if (state !== undefined) checkOptions(`${this.label}: the state`, state, ['h', 'c']);
    const [h, c] = compositeResults(() => this.#step(input, state?.h, state?.c, state !== undefined));
    return { h: h!, c: c! };
  }

  /** [h', c']; a given state (`required`) needs both tensors, as PyTorch's (h_0, c_0). */
  #step(input: Tensor, h: Tensor | undefined, c: Tensor | undefined, required = false): Tensor[] {
    const { unbatched, batch } = this.checkInput(input);
    const h0 = this.stateOf('h', h, unbatched, batch, required);
    const c0 = this.stateOf('c', c, unbatched, batch, required);
    const x = unbatched ? reshape(input, [1, this.inputSize]) : input;
    const [hNext, cNext] = lstmCell(x, [h0, c0], this.weightIh, this.weightHh, this.biasIh, this.biasHh);
    return unbatched ? [reshape(hNext, [this.hiddenSize]), reshape(cNext, [this.hiddenSize])] : [hNext, cNext];
  }
}
