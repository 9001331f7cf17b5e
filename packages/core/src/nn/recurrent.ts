import type { Backend } from '../backend/contract.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { relu, sigmoid, tanh } from '../ops/activation.js';
import { add, mul, sub } from '../ops/elementwise.js';
import { gruCellFused, lstmCellFused } from '../ops/fused.js';
import { isFloat } from '../ops/dispatch.js';
import { linear } from '../ops/linalg.js';
import { concat, gather, indexSelect, reshape, slice, stack, transpose } from '../ops/movement.js';
import { tensor, zeros } from '../tensor/creation.js';
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
import { isPackedSequence, type PackedSequence } from './packed-sequence.js';
import { isTensor } from '../tensor/is-tensor.js';

/*
 * RNN, LSTM and GRU with torch.nn's semantics: the same parameter names and shapes (a PyTorch
 * state dict loads 1:1), gate order (LSTM i,f,g,o; GRU r,z,n), initialisation and state layout.
 * One implementation runs all three; each differs only in its cell's step.
 *
 * Per layer and direction the steps' input projections x_t W_ih^T + b_ih are sliced out of the
 * projection of the whole sequence ([seq * batch, gates * hidden], one matmul), or, when the input
 * is narrower than that, each step's input is sliced out and projected by a matmul of its own: a
 * slice's gradient is padded to its source's width and added up, and padding gates * hidden wide
 * gradients was a fifth of an LSTM's training step. The recurrence is one more matmul per step,
 * h W_hh^T + b_hh. On a backend with the fused lstmCell / gruCell kernels the rest of a step is
 * one kernel each way (the LSTM then carries [h | c] as one tensor: see fusedLstmRecurrence);
 * elsewhere it composes primitives.
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

/**
 * Whether a cell's step runs on the backend's fused kernel (`forward` and `backward` both there):
 * every operand a float of one dtype on one backend. Otherwise the step composes primitives.
 */
function fusedCell(forward: unknown, backward: unknown, ...operands: Tensor[]): boolean {
  if (forward === undefined || backward === undefined) return false;
  const [first] = operands;
  return isFloat(first!.dtype) && operands.every((t) => t.dtype === first!.dtype && t.backend === first!.backend);
}

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
  if (fusedCell(h.backend.fused?.gruCell, h.backend.fused?.gruCellBackward, gx, gh, h))
    return [gruCellFused(gx, gh, h), null];
  const r = sigmoid(add(gate(gh, 0, hidden), gate(gx, 0, hidden)));
  const z = sigmoid(add(gate(gh, 1, hidden), gate(gx, 1, hidden)));
  const n = tanh(add(gate(gx, 2, hidden), mul(gate(gh, 2, hidden), r)));
  return [add(mul(sub(h, n), z), n), null];
};

/**
 * How a layer's loop carries its cell's state from step to step: a list of tensors whose rows are
 * the batch's sequences (the loop takes and joins rows of each alike). `start` makes it from the
 * initial h and c, `step` advances it by one input projection gx, `h` and `c` read it.
 */
interface Recurrence {
  start(h0: Tensor, c0: Tensor | null): Tensor[];
  step(gx: Tensor, carry: Tensor[]): Tensor[];
  h(carry: Tensor[]): Tensor;
  c(carry: Tensor[]): Tensor | null;
}

/** A Step's recurrence: the carry is [h] or [h, c]. */
const composedRecurrence = (step: Step, weightHh: Tensor, biasHh: Tensor | null): Recurrence => ({
  start: (h0, c0) => (c0 === null ? [h0] : [h0, c0]),
  step: (gx, [h, c]) => {
    const [hNext, cNext] = step(gx, h!, c ?? null, weightHh, biasHh);
    return cNext === null ? [hNext] : [hNext, cNext];
  },
  h: (carry) => carry[0]!,
  c: (carry) => carry[1] ?? null,
});

/**
 * The LSTM on the backend's lstmCell kernel: the carry is [state, h] with state [batch, 2 hidden]
 * = [h | c], the kernel's one output (so no gate is sliced out of the pre-activations), and h its
 * h half, for the next step's matmul and the output sequence.
 */
const fusedLstmRecurrence = (weightHh: Tensor, biasHh: Tensor | null): Recurrence => {
  const hidden = weightHh.shape[1]!;
  return {
    start: (h0, c0) => [concat([h0, c0!], 1), h0],
    step: (gx, [state, h]) => {
      const next = lstmCellFused(add(linear(h!, weightHh, biasHh), gx), state!);
      return [next, slice(next, [0, 0], [-1, hidden])];
    },
    h: (carry) => carry[1]!,
    c: (carry) => slice(carry[0]!, [0, hidden], [-1, hidden]),
  };
};

/** Elman RNN: h' = tanh(gx + h W_hh^T + b_hh), or relu. */
const rnnStep =
  (nonlinearity: (x: Tensor) => Tensor): Step =>
  (gx, h, _c, weightHh, biasHh) => [nonlinearity(add(linear(h, weightHh, biasHh), gx)), null];
const rnnTanhStep = rnnStep(tanh);
const rnnReluStep = rnnStep(relu);

/**
 * x's rows split into consecutive blocks of `sizes` rows, by halves: a slice's gradient is
 * zero-padded to its source's extent, so slicing each of n blocks straight from x would make
 * the backward pass O(n^2) in x's size; halving keeps it O(n log n).
 */
function splitRows(x: Tensor, sizes: readonly number[], into: Tensor[] = []): Tensor[] {
  if (sizes.length <= 2) {
    let begin = 0;
    for (const size of sizes) {
      into.push(sizes.length === 1 ? x : slice(x, [begin], [size]));
      begin += size;
    }
  } else {
    const half = Math.ceil(sizes.length / 2);
    const rows = sizes.slice(0, half).reduce((sum, n) => sum + n, 0);
    splitRows(slice(x, [0], [rows]), sizes.slice(0, half), into);
    splitRows(slice(x, [rows]), sizes.slice(half), into);
  }
  return into;
}

/** `count` rows of x from row `begin` (x itself when that is all of it). */
const rows = (x: Tensor, begin: number, count: number): Tensor =>
  begin === 0 && count === x.shape[0] ? x : slice(x, [begin], [count]);

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
export interface RecurrentResult<S, O extends Tensor | PackedSequence = Tensor> {
  /** [seq, batch, numDirections * hiddenSize] ([batch, seq, ...] with batchFirst, [seq, ...] unbatched), or packed as the input. */
  output: O;
  /**
   * The state after the last step, per layer and direction: layer 0 forward, layer 0 reverse, layer 1 forward, ...
   * For packed input, each sequence's own: after its last real step (forward) and after step 0 (reverse), in the original batch order.
   */
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

  override get acceptsPackedSequence(): boolean {
    return true;
  }

  get numDirections(): number {
    return this.bidirectional ? 2 : 1;
  }

  /** PyTorch's init: every weight and bias U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize)), in registration order. */
  resetParameters(generator?: Generator): void {
    const bound = 1 / Math.sqrt(this.hiddenSize);
    for (const parameter of this.parameters()) uniform_(parameter, -bound, bound, { generator });
  }

  /**
   * Every step's output, as PyTorch's `output` (the state starts at zeros), so the layer fits in a
   * Sequential. A PackedSequence gives a PackedSequence: each sequence runs over its own steps only.
   */
  forward(input: Tensor): Tensor;
  forward(input: PackedSequence): PackedSequence;
  forward(input: Tensor | PackedSequence): Tensor | PackedSequence {
    if (!isPackedSequence(input)) return composite(() => this.#run(input, undefined, false)[0]!);
    return input.withData(composite(() => this.#run(input, undefined, false)[0]!));
  }

  /**
   * Every step's output and the final state, from `state` (zeros if omitted; for packed input in
   * the original batch order, as torch). Outside `tidy`, dispose `output` last: it holds the
   * intermediates the state's graph shares.
   */
  forwardWithState(input: Tensor, state?: S): RecurrentResult<S>;
  forwardWithState(input: PackedSequence, state?: S): RecurrentResult<S, PackedSequence>;
  forwardWithState(input: Tensor | PackedSequence, state?: S): RecurrentResult<S, Tensor | PackedSequence> {
    const [output, h, c] = compositeResults(() => this.#run(input, state, true));
    const finalState = (this.#mode === 'LSTM' ? { h, c } : { h }) as S;
    return { output: isPackedSequence(input) ? input.withData(output!) : output!, state: finalState };
  }

  /** 'LSTM(10 -> 20)': how errors name the layer. */
  get #label(): string {
    return `${this.typeName}(${this.inputSize} -> ${this.hiddenSize})`;
  }

  /**
   * [output, h_n, c_n (LSTM)], or just [output] without `withState`; the output is the packed data
   * for packed input. Dense input runs as a packed batch whose sequences all have every step.
   */
  #run(input: Tensor | PackedSequence, state: S | undefined, withState: boolean): Tensor[] {
    const packed = isPackedSequence(input) ? input : null;
    const [data, batchSizes, unbatched, restore] =
      packed === null ? this.#denseSteps(input as Tensor) : [this.#checkPacked(packed), packed.batchSizes, false, null];
    const batch = batchSizes[0]!;
    let [h0, c0] = this.#initialState(state, batch, unbatched);
    const sorted = packed?.sortedIndices ?? null;
    const order = (indices: readonly number[], s: Tensor): Tensor =>
      indexSelect(s, 1, tensor(Int32Array.from(indices), { dtype: 'int32', backend: s.backend }));
    if (sorted !== null) {
      h0 = order(sorted, h0);
      c0 = c0 === null ? null : order(sorted, c0);
    }
    const directions = this.numDirections;
    const finalH: Tensor[] = [];
    const finalC: Tensor[] = [];
    const at = (s: Tensor, k: number): Tensor => reshape(slice(s, [k], [1]), [batch, this.hiddenSize]);
    let x = data;
    for (let layer = 0; layer < this.numLayers; layer++) {
      const outputs: Tensor[] = [];
      for (let direction = 0; direction < directions; direction++) {
        const k = layer * directions + direction;
        const [hs, h, c] = this.#direction(
          k,
          x,
          batchSizes,
          at(h0, k),
          c0 === null ? null : at(c0, k),
          direction === 1,
        );
        outputs.push(hs);
        finalH.push(h);
        if (c !== null) finalC.push(c);
      }
      x = directions === 1 ? outputs[0]! : concat(outputs, 1);
      if (layer < this.numLayers - 1 && this.training && this.dropout > 0) x = this.#dropoutLayer.forward(x);
    }
    const output = restore === null ? x : restore(x);
    if (!withState) return [output];
    const finalState = (finals: Tensor[]): Tensor => {
      const s = stack(finals);
      if (unbatched) return reshape(s, [finals.length, this.hiddenSize]);
      return packed?.unsortedIndices ? order(packed.unsortedIndices, s) : s;
    };
    return c0 === null ? [output, finalState(finalH)] : [output, finalState(finalH), finalState(finalC)];
  }

  /**
   * One layer and direction k over the steps x [rows, features] in packed layout (step t is the
   * next batchSizes[t] rows): step t runs on the first batchSizes[t] sequences only. Forwards, a
   * sequence's final state is set aside when it ends; in reverse, a sequence joins at its own last
   * step with its initial state. Returns [every step's h in x's layout, final h, final c or null].
   */
  #direction(
    k: number,
    x: Tensor,
    batchSizes: readonly number[],
    h0: Tensor,
    c0: Tensor | null,
    reverse: boolean,
  ): [Tensor, Tensor, Tensor | null] {
    const [weightIh, weightHh, biasIh, biasHh] = this.allWeights[k]!;
    const fused = h0.backend.fused;
    const cell =
      c0 !== null && fusedCell(fused?.lstmCell, fused?.lstmCellBackward, x, h0, c0)
        ? fusedLstmRecurrence(weightHh, biasHh)
        : composedRecurrence(steps[this.#mode], weightHh, biasHh);
    // Slice the narrower of the input and its projection (see the top of this file), and the input
    // only when its per-step matmuls cost less than the projection's padded slices: each adds a
    // [gates * hidden, input] term to W_ih's gradient (~ T * gates * hidden * input), where the
    // slices' pads cost ~ T * batch * gates * hidden * log2(T).
    const length = batchSizes.length;
    const inputWidth = x.shape[1]!;
    const perStep = inputWidth <= weightIh.shape[0]! && inputWidth <= batchSizes[0]! * Math.log2(Math.max(2, length));
    const projected = perStep
      ? splitRows(x, batchSizes).map((xt) => linear(xt, weightIh, biasIh))
      : splitRows(linear(x, weightIh, biasIh), batchSizes);
    const hs = new Array<Tensor>(length);
    const initial = cell.start(h0, c0);
    if (!reverse) {
      let carry = initial;
      const ended: Tensor[][] = carry.map(() => []);
      for (let t = 0; t < length; t++) {
        const size = batchSizes[t]!;
        const previous = carry[0]!.shape[0]!;
        if (size < previous) {
          carry = carry.map((s, i) => {
            ended[i]!.unshift(rows(s, size, previous - size));
            return rows(s, 0, size);
          });
        }
        carry = cell.step(projected[t]!, carry);
        hs[t] = cell.h(carry);
      }
      const whole = carry.map((last, i) => (ended[i]!.length === 0 ? last : concat([last, ...ended[i]!])));
      return [concat(hs), cell.h(whole), cell.c(whole)];
    }
    const last = batchSizes[length - 1]!;
    let carry = initial.map((s) => rows(s, 0, last));
    for (let t = length - 1; t >= 0; t--) {
      const size = batchSizes[t]!;
      const current = carry[0]!.shape[0]!;
      if (size > current) carry = carry.map((s, i) => concat([s, rows(initial[i]!, current, size - current)]));
      carry = cell.step(projected[t]!, carry);
      hs[t] = cell.h(carry);
    }
    return [concat(hs), cell.h(carry), cell.c(carry)];
  }

  /**
   * Dense input checked and laid out as packed steps: [data [seq * batch, inputSize], batch sizes
   * (batch at every step), unbatched, how to turn the output rows back into the input's layout].
   */
  #denseSteps(input: Tensor): [Tensor, number[], boolean, (rows: Tensor) => Tensor] {
    const expected = this.batchFirst ? `[batch, seq, ${this.inputSize}]` : `[seq, batch, ${this.inputSize}]`;
    if (!isTensor(input) || (input.rank !== 2 && input.rank !== 3) || input.shape[input.rank - 1] !== this.inputSize)
      throw new ShapeError(
        `${this.#label} got input ${isTensor(input) ? `of shape ${formatShape(input.shape)}` : describeValue(input)}: expected ${expected}, unbatched [seq, ${this.inputSize}] or a PackedSequence`,
      );
    this.#checkDtype(input);
    const unbatched = input.rank === 2;
    const x = unbatched
      ? reshape(input, [input.shape[0]!, 1, this.inputSize])
      : this.batchFirst
        ? transpose(input, 0, 1)
        : input;
    const [length, batch] = x.shape as [number, number];
    if (length === 0)
      throw new ShapeError(`${this.#label} got input of shape ${formatShape(input.shape)}: the sequence is empty`);
    const restore = (output: Tensor): Tensor => {
      const y = reshape(output, [length, batch, -1]);
      return unbatched ? reshape(y, [length, -1]) : this.batchFirst ? transpose(y, 0, 1) : y;
    };
    return [reshape(x, [length * batch, this.inputSize]), new Array<number>(length).fill(batch), unbatched, restore];
  }

  #checkPacked(packed: PackedSequence): Tensor {
    const { data } = packed;
    if (data.rank !== 2 || data.shape[1] !== this.inputSize)
      throw new ShapeError(
        `${this.#label} got a PackedSequence with data of shape ${formatShape(data.shape)}: expected [steps, ${this.inputSize}]`,
      );
    this.#checkDtype(data);
    return data;
  }

  #checkDtype(input: Tensor): void {
    const dtype = this.allWeights[0]![0].dtype;
    if (input.dtype !== dtype)
      throw new DTypeError(
        `${this.#label} got input of dtype ${input.dtype}, but its parameters are ${dtype}; cast the input`,
      );
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
 *
 * Given a PackedSequence, steps count within each sequence: index -1 is each sequence's own last
 * real step (torch's `output[lengths - 1, range(batch)]` on the padded output), index 0 its first;
 * the result is [batch, feature] in the original batch order.
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

  override get acceptsPackedSequence(): boolean {
    return true;
  }

  override get typeName(): string {
    return 'SelectTimeStep';
  }

  forward(input: Tensor | PackedSequence): Tensor {
    if (isPackedSequence(input)) return this.#selectPacked(input);
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

  /** Step `index` of each packed sequence, counted within its own length: one gather. */
  #selectPacked(input: PackedSequence): Tensor {
    const lengths = input.lengths;
    const shortest = Math.min(...lengths);
    if (this.index >= shortest || this.index < -shortest)
      throw new ShapeError(
        `${this.typeName}(index=${this.index}) got a PackedSequence whose shortest sequence has ${shortest} steps: the index must be in [-${shortest}, ${shortest - 1}] for every sequence (lengths ${describeValue(lengths)})`,
      );
    const picked = lengths.map((length, b) =>
      input.row(this.index < 0 ? length + this.index : this.index, input.sortedPosition(b)),
    );
    const { data } = input;
    return composite(() => gather(data, tensor(Int32Array.from(picked), { dtype: 'int32', backend: data.backend }), 0));
  }

  override config(): ModuleConfig {
    return { type: 'SelectTimeStep', index: this.index, batchFirst: this.batchFirst };
  }

  protected override extraRepr(): string {
    return `index=${this.index}${this.batchFirst ? ', batchFirst=true' : ''}`;
  }
}
