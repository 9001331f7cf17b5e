import type { Backend } from '../backend/contract.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { attend, causalMask, checkMask, maskBias, type AttentionMask } from '../ops/attention.js';
import { add, logicalOr } from '../ops/elementwise.js';
import { linear } from '../ops/linalg.js';
import { concat, expand, pad, permute, reshape, slice, squeeze, transpose, unsqueeze } from '../ops/movement.js';
import { mean } from '../ops/reduce.js';
import { zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { compositeResults } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkNumber,
  checkOptions,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
} from './checks.js';
import { constant_, xavierNormal_, xavierUniform_ } from './init.js';
import { Linear } from './linear.js';
import { Module, type ModuleConfig } from './module.js';
import { isTensor } from '../tensor/is-tensor.js';

export interface MultiheadAttentionOptions {
  /** Dropout on the attention weights in train mode (default 0). */
  dropout?: number;
  /** Biases of the input and output projections (default true). */
  bias?: boolean;
  /** Learned key and value vectors appended to the keys and values (default false). */
  addBiasKV?: boolean;
  /** A zero key and value appended after the projection (default false). */
  addZeroAttn?: boolean;
  /** The keys' feature size (default embedDim); other than embedDim, the projections are separate weights. */
  kdim?: number;
  /** The values' feature size (default embedDim). */
  vdim?: number;
  /** Inputs and output are [batch, sequence, feature] (default false: [sequence, batch, feature]). */
  batchFirst?: boolean;
  /** Draws the initial weights; the default generator otherwise. Dropout masks come from the default generator. */
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/** The masks and flags of one attention call, as torch.nn.MultiheadAttention.forward takes them. */
export interface MultiheadAttentionCall {
  /**
   * [batch, S] ([S] unbatched): bool, true at the keys to ignore (padding), or float, added to
   * the scores of those keys.
   */
  keyPaddingMask?: Tensor;
  /** Return the attention weights (default true). */
  needWeights?: boolean;
  /**
   * [L, S] or [batch * numHeads, L, S] ([numHeads, L, S] unbatched): bool, true where a query
   * must NOT attend to a key (the opposite of scaledDotProductAttention's bool masks), or float,
   * added to the scores.
   */
  attnMask?: Tensor;
  /** Average the weights over the heads ([batch, L, S], default true) or not ([batch, numHeads, L, S]). */
  averageAttnWeights?: boolean;
  /** Causal attention: without attnMask, each query attends only to the keys at or before it; with one, a hint. */
  isCausal?: boolean;
}

/** The output [L, batch, E] (or as batchFirst / unbatched says) and the weights, null unless asked for. */
export interface MultiheadAttentionResult {
  output: Tensor;
  weights: Tensor | null;
}

/**
 * Multi-head attention like torch.nn.MultiheadAttention: the same parameter names and shapes
 * (`in_proj_weight` [3E, E] and `in_proj_bias` [3E], or `q_proj_weight`, `k_proj_weight`,
 * `v_proj_weight` when kdim or vdim differ from E; `bias_k`, `bias_v`; `out_proj`), the same
 * initialisation, masks and weights, so a PyTorch state dict loads 1:1. Composed from matmul,
 * softmax and movement ops, so every backend runs and differentiates it.
 *
 * `forward(query, key?, value?)` returns the output (self-attention when key and value are
 * omitted), so the layer works in a Sequential; `forwardWithWeights` takes the masks and
 * returns the weights too.
 */
export class MultiheadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  readonly addZeroAttn: boolean;
  readonly inProjWeight: Tensor | null;
  readonly qProjWeight: Tensor | null;
  readonly kProjWeight: Tensor | null;
  readonly vProjWeight: Tensor | null;
  readonly inProjBias: Tensor | null;
  readonly biasK: Tensor | null;
  readonly biasV: Tensor | null;
  readonly outProj: Linear;

  constructor(embedDim: number, numHeads: number, options: MultiheadAttentionOptions = {}) {
    super();
    const name = 'MultiheadAttention';
    checkOptions(name, options, [
      'dropout',
      'bias',
      'addBiasKV',
      'addZeroAttn',
      'kdim',
      'vdim',
      'batchFirst',
      'generator',
      'dtype',
      'backend',
    ]);
    this.embedDim = checkPositiveInteger(`${name}: embedDim`, embedDim);
    this.numHeads = checkPositiveInteger(`${name}: numHeads`, numHeads);
    if (embedDim % numHeads !== 0)
      throw new ArgumentError(`${name}: embedDim (${embedDim}) must be divisible by numHeads (${numHeads})`);
    this.headDim = embedDim / numHeads;
    this.kdim = checkPositiveInteger(`${name}: kdim`, options.kdim ?? embedDim);
    this.vdim = checkPositiveInteger(`${name}: vdim`, options.vdim ?? embedDim);
    this.dropout = checkNumber(`${name}: dropout`, options.dropout ?? 0, { min: 0, max: 1 });
    this.batchFirst = checkBoolean(`${name}: batchFirst`, options.batchFirst ?? false);
    const bias = checkBoolean(`${name}: bias`, options.bias ?? true);
    const addBiasKV = checkBoolean(`${name}: addBiasKV`, options.addBiasKV ?? false);
    this.addZeroAttn = checkBoolean(`${name}: addZeroAttn`, options.addZeroAttn ?? false);
    const creation = { dtype: checkFloatDtype(`${name}: dtype`, options.dtype ?? 'float32'), backend: options.backend };
    const e = embedDim;
    const packed = this.kdim === e && this.vdim === e;
    // Registration order is PyTorch's, so parameters() lists them as named_parameters() does.
    this.inProjWeight = this.registerParameter('in_proj_weight', packed ? zeros([3 * e, e], creation) : null);
    this.qProjWeight = this.registerParameter('q_proj_weight', packed ? null : zeros([e, e], creation));
    this.kProjWeight = this.registerParameter('k_proj_weight', packed ? null : zeros([e, this.kdim], creation));
    this.vProjWeight = this.registerParameter('v_proj_weight', packed ? null : zeros([e, this.vdim], creation));
    this.inProjBias = this.registerParameter('in_proj_bias', bias ? zeros([3 * e], creation) : null);
    this.biasK = this.registerParameter('bias_k', addBiasKV ? zeros([1, 1, e], creation) : null);
    this.biasV = this.registerParameter('bias_v', addBiasKV ? zeros([1, 1, e], creation) : null);
    this.outProj = this.registerModule(
      'out_proj',
      new Linear(e, e, { ...creation, bias, generator: options.generator }),
    );
    this.resetParameters(options.generator);
  }

  override get typeName(): string {
    return 'MultiheadAttention';
  }

  /**
   * PyTorch's init: xavier_uniform_ on the input projection(s), zero input and output
   * projection biases, xavier_normal_ on bias_k and bias_v; out_proj's weight keeps Linear's init.
   */
  resetParameters(generator?: Generator): void {
    for (const w of [this.inProjWeight, this.qProjWeight, this.kProjWeight, this.vProjWeight])
      if (w !== null) xavierUniform_(w, { generator });
    if (this.inProjBias !== null) constant_(this.inProjBias, 0);
    if (this.outProj.bias !== null) constant_(this.outProj.bias, 0);
    for (const b of [this.biasK, this.biasV]) if (b !== null) xavierNormal_(b, { generator });
  }

  /** The attention output; self-attention when key and value are omitted (value defaults to key). */
  forward(query: Tensor, key: Tensor = query, value: Tensor = key): Tensor {
    return this.forwardWithWeights(query, key, value, { needWeights: false }).output;
  }

  /** Attention with masks, returning the weights too, like PyTorch's forward. */
  forwardWithWeights(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    call: MultiheadAttentionCall = {},
  ): MultiheadAttentionResult {
    const name = `${this.typeName}.forwardWithWeights`;
    checkOptions(name, call, ['keyPaddingMask', 'needWeights', 'attnMask', 'averageAttnWeights', 'isCausal']);
    const needWeights = checkBoolean(`${name}: needWeights`, call.needWeights ?? true);
    const average = checkBoolean(`${name}: averageAttnWeights`, call.averageAttnWeights ?? true);
    const isCausal = checkBoolean(`${name}: isCausal`, call.isCausal ?? false);
    const { batched, batch, queries, keys } = this.#checkInputs(name, query, key, value);
    const heads = this.numHeads;
    const [output, weights] = compositeResults(() => {
      // Everything below is batch first and batched: [N, L, E].
      const toInternal = (t: Tensor): Tensor => (!batched ? unsqueeze(t, 0) : this.batchFirst ? t : transpose(t, 0, 1));
      const internal = toInternal(query);
      let [q, k, v] = this.#project(
        internal,
        key === query ? internal : toInternal(key),
        value === key ? (key === query ? internal : toInternal(key)) : toInternal(value),
      );
      let sources = keys;
      const masks = this.#masks(name, call, { batched, batch, queries, keys, isCausal, backend: query.backend });
      if (this.biasK !== null && this.biasV !== null) {
        k = concat([k, expand(this.biasK, [batch, 1, this.embedDim])], 1);
        v = concat([v, expand(this.biasV, [batch, 1, this.embedDim])], 1);
        sources += 1;
        padMasks(masks);
      }
      const heads4 = (t: Tensor, length: number): Tensor =>
        permute(reshape(t, [batch, length, heads, this.headDim]), [0, 2, 1, 3]);
      q = heads4(q, queries);
      k = heads4(k, sources);
      v = heads4(v, sources);
      if (this.addZeroAttn) {
        const zeroRow: [number, number][] = [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
        ];
        k = pad(k, zeroRow);
        v = pad(v, zeroRow);
        padMasks(masks);
      }
      const attended = attend(q, k, v, {
        ...masks,
        scale: 1 / Math.sqrt(this.headDim),
        dropoutP: this.training ? this.dropout : 0,
      });
      const merged = reshape(permute(attended.output, [0, 2, 1, 3]), [batch, queries, this.embedDim]);
      let out = this.outProj.forward(merged);
      out = !batched ? squeeze(out, 0) : this.batchFirst ? out : transpose(out, 0, 1);
      if (!needWeights) return [out];
      let w = average ? mean(attended.weights, 1) : attended.weights;
      if (!batched) w = squeeze(w, 0);
      return [out, w];
    });
    return { output: output!, weights: weights ?? null };
  }

  /**
   * The projections q, k, v ([N, L|S, E]), one linear each on its rows of the packed weight (also
   * for self-attention: three products on [E, E] weight slices cost what one on [3E, E] does, and
   * spare slicing q, k, v out of [N, L, 3E] and padding three gradients back into it).
   */
  #project(query: Tensor, key: Tensor, value: Tensor): [Tensor, Tensor, Tensor] {
    const e = this.embedDim;
    const b = this.inProjBias;
    const biasPart = (i: number): Tensor | null => (b === null ? null : slice(b, [i * e], [e]));
    if (this.inProjWeight !== null) {
      const w = this.inProjWeight;
      const part = (i: number): Tensor => slice(w, [i * e, 0], [e, -1]);
      return [
        linear(query, part(0), biasPart(0)),
        linear(key, part(1), biasPart(1)),
        linear(value, part(2), biasPart(2)),
      ];
    }
    return [
      linear(query, this.qProjWeight!, biasPart(0)),
      linear(key, this.kProjWeight!, biasPart(1)),
      linear(value, this.vProjWeight!, biasPart(2)),
    ];
  }

  /** The call's masks as blocked/bias tensors of shape [N, H|1, L|1, S] for `attend`. */
  #masks(
    name: string,
    call: MultiheadAttentionCall,
    at: {
      batched: boolean;
      batch: number;
      queries: number;
      keys: number;
      isCausal: boolean;
      backend: Tensor['backend'];
    },
  ): AttentionMask {
    const { batched, batch, queries, keys } = at;
    const heads = this.numHeads;
    const dtype = this.outProj.weight.dtype;
    const masks: AttentionMask = {};
    const addMask = (mask: Tensor): void => {
      if (mask.dtype === 'bool') masks.blocked = masks.blocked === undefined ? mask : logicalOr(masks.blocked, mask);
      else masks.bias = masks.bias === undefined ? maskBias(mask, dtype) : add(masks.bias, maskBias(mask, dtype));
    };
    if (call.attnMask !== undefined) {
      const mask = call.attnMask as unknown;
      if (!isTensor(mask) || (mask.rank !== 2 && mask.rank !== 3))
        throw new ShapeError(
          `${name}: attnMask must be a Tensor of shape [L, S] or [${batched ? 'batch * numHeads' : 'numHeads'}, L, S], got ${isTensor(mask) ? formatShape(mask.shape) : describeValue(mask)}`,
        );
      const expected = mask.rank === 2 ? [queries, keys] : [batched ? batch * heads : heads, queries, keys];
      const checked = checkMask(name, 'attnMask', mask, expected);
      if (checked.shape.some((d, i) => d !== expected[i]))
        throw new ShapeError(
          `${name}: attnMask has shape ${formatShape(checked.shape)}, expected ${formatShape(expected)}`,
        );
      addMask(mask.rank === 2 ? checked : reshape(checked, [batch, heads, queries, keys]));
    } else if (at.isCausal) {
      addMask(causalMask(queries, keys, at.backend));
    }
    if (call.keyPaddingMask !== undefined) {
      const expected = batched ? [batch, keys] : [keys];
      const mask = checkMask(name, 'keyPaddingMask', call.keyPaddingMask, expected);
      if (mask.rank !== expected.length || mask.shape.some((d, i) => d !== expected[i]))
        throw new ShapeError(
          `${name}: keyPaddingMask has shape ${formatShape(mask.shape)}, expected ${formatShape(expected)} (${batched ? '[batch, S]' : '[S] for unbatched input'})`,
        );
      addMask(reshape(mask, [batch, 1, 1, keys]));
    }
    return masks;
  }

  #checkInputs(
    name: string,
    query: unknown,
    key: unknown,
    value: unknown,
  ): { batched: boolean; batch: number; queries: number; keys: number } {
    const layout = this.batchFirst ? '[batch, L, E]' : '[L, batch, E]';
    for (const [what, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (!isTensor(t)) throw new ArgumentError(`${name}: ${what} must be a Tensor, got ${describeValue(t)}`);
    }
    const [q, k, v] = [query, key, value] as Tensor[];
    const batched = q!.rank === 3;
    if (!batched && q!.rank !== 2)
      throw new ShapeError(
        `${name}: query must be ${layout} or unbatched [L, E] with E = ${this.embedDim}, got ${formatShape(q!.shape)}`,
      );
    const rank = q!.rank;
    if (q!.shape[rank - 1] !== this.embedDim)
      throw new ShapeError(
        `${name}: query has shape ${formatShape(q!.shape)}, expected ${batched ? layout : '[L, E]'} with E = ${this.embedDim}`,
      );
    const dims: [string, Tensor, number][] = [
      ['key', k!, this.kdim],
      ['value', v!, this.vdim],
    ];
    for (const [what, t, features] of dims) {
      if (t.rank !== rank || t.shape[rank - 1] !== features)
        throw new ShapeError(
          `${name}: ${what} has shape ${formatShape(t.shape)}, expected rank ${rank} like the query (${batched ? layout.replace('L', 'S') : 'unbatched'}) and a last axis of ${features}${what === 'key' ? ' (kdim)' : ' (vdim)'}`,
        );
    }
    const seqAxis = batched && this.batchFirst ? 1 : 0;
    const batchAxis = this.batchFirst ? 0 : 1;
    const batch = batched ? q!.shape[batchAxis]! : 1;
    if (batched && (k!.shape[batchAxis] !== batch || v!.shape[batchAxis] !== batch))
      throw new ShapeError(
        `${name}: query, key and value must have one batch size, got ${formatShape(q!.shape)}, ${formatShape(k!.shape)}, ${formatShape(v!.shape)} (batchFirst ${this.batchFirst})`,
      );
    if (k!.shape[seqAxis] !== v!.shape[seqAxis])
      throw new ShapeError(
        `${name}: key and value must have one sequence length, got ${formatShape(k!.shape)} and ${formatShape(v!.shape)}`,
      );
    return { batched, batch, queries: q!.shape[seqAxis]!, keys: k!.shape[seqAxis]! };
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'MultiheadAttention',
      embedDim: this.embedDim,
      numHeads: this.numHeads,
      dropout: this.dropout,
      bias: this.inProjBias !== null,
      addBiasKV: this.biasK !== null,
      addZeroAttn: this.addZeroAttn,
      kdim: this.kdim,
      vdim: this.vdim,
      batchFirst: this.batchFirst,
    };
    if (this.outProj.weight.dtype !== 'float32') config['dtype'] = this.outProj.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    const sizes =
      this.kdim === this.embedDim && this.vdim === this.embedDim ? '' : `, kdim=${this.kdim}, vdim=${this.vdim}`;
    return `embedDim=${this.embedDim}, numHeads=${this.numHeads}${sizes}, dropout=${this.dropout}, batchFirst=${this.batchFirst}`;
  }
}

/** One more key (bias_k or the zero key): a mask column for it, not blocked and adding 0. */
function padMasks(masks: AttentionMask): void {
  const column = (t: Tensor): Tensor => pad(t, [...t.shape.slice(0, -1).map((): [number, number] => [0, 0]), [0, 1]]);
  if (masks.blocked !== undefined) masks.blocked = column(masks.blocked);
  if (masks.bias !== undefined) masks.bias = column(masks.bias);
}
