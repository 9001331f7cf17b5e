import type { Backend } from '../backend/contract.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { fromHost } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { composite } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { MultiheadAttention } from './attention.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkNumber,
  checkOptions,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
} from './checks.js';
import { Dropout } from './dropout.js';
import { xavierUniform_ } from './init.js';
import { Linear } from './linear.js';
import { ModuleList } from './module-list.js';
import { Module, type ModuleConfig } from './module.js';
import { LayerNorm } from './normalization.js';
import { isTensor } from '../tensor/is-tensor.js';

/*
 * torch.nn's Transformer family: TransformerEncoderLayer, TransformerDecoderLayer, the stacks
 * TransformerEncoder and TransformerDecoder, and Transformer. Parameter names, shapes, the order
 * of the blocks (post-norm, or pre-norm with normFirst), masks and defaults are PyTorch's, so a
 * PyTorch state dict loads 1:1. Everything is composed from MultiheadAttention, Linear,
 * LayerNorm and Dropout, so every backend runs it.
 */

export type TransformerActivation = 'relu' | 'gelu';

export interface TransformerLayerOptions {
  /** The feed-forward block's hidden size (default 2048). */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block, in train mode (default 0.1). */
  dropout?: number;
  /** The feed-forward block's activation (default 'relu'). */
  activation?: TransformerActivation;
  layerNormEps?: number;
  /** Sequences are [batch, seq, feature] (default false: [seq, batch, feature]). */
  batchFirst?: boolean;
  /** LayerNorm before each block (pre-norm) instead of after the residual add (default false). */
  normFirst?: boolean;
  /** Biases in the linear layers and the layer norms (default true). */
  bias?: boolean;
  /** Draws the initial weights; the default generator otherwise. Dropout masks come from the default generator. */
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

const layerOptionNames = [
  'dimFeedforward',
  'dropout',
  'activation',
  'layerNormEps',
  'batchFirst',
  'normFirst',
  'bias',
  'generator',
  'dtype',
  'backend',
] as const;

/** The masks of a TransformerEncoderLayer call (PyTorch's src_mask, src_key_padding_mask, is_causal). */
export interface EncoderLayerMasks {
  /** [S, S] or [batch * nhead, S, S]; bool true = blocked, or float added to the scores. */
  srcMask?: Tensor;
  /** [batch, S]; bool true = padding, or float. */
  srcKeyPaddingMask?: Tensor;
  /** Causal self-attention (without srcMask: the mask is made here). */
  isCausal?: boolean;
}

/** The masks of a TransformerDecoderLayer or TransformerDecoder call. */
export interface DecoderMasks {
  /** [T, T] or [batch * nhead, T, T], for the target's self-attention. */
  tgtMask?: Tensor;
  /** [T, S] or [batch * nhead, T, S], for the attention to the memory. */
  memoryMask?: Tensor;
  tgtKeyPaddingMask?: Tensor;
  memoryKeyPaddingMask?: Tensor;
  tgtIsCausal?: boolean;
  memoryIsCausal?: boolean;
}

/** What encoder and decoder layers share: options, the feed-forward block, input checks, config. */
export abstract class TransformerLayer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly dimFeedforward: number;
  readonly dropoutP: number;
  readonly activation: TransformerActivation;
  readonly layerNormEps: number;
  readonly batchFirst: boolean;
  readonly normFirst: boolean;
  readonly bias: boolean;
  protected readonly creation: { dtype: FloatDType; backend: Backend | string | undefined };
  protected readonly generator: Generator | undefined;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions) {
    super();
    const name = this.typeName;
    checkOptions(name, options, layerOptionNames);
    this.dModel = checkPositiveInteger(`${name}: dModel`, dModel);
    this.nhead = checkPositiveInteger(`${name}: nhead`, nhead);
    this.dimFeedforward = checkPositiveInteger(`${name}: dimFeedforward`, options.dimFeedforward ?? 2048);
    this.dropoutP = checkNumber(`${name}: dropout`, options.dropout ?? 0.1, { min: 0, max: 1 });
    const activation = options.activation ?? 'relu';
    if (activation !== 'relu' && activation !== 'gelu')
      throw new ArgumentError(`${name}: activation must be 'relu' or 'gelu', got ${describeValue(activation)}`);
    this.activation = activation;
    this.layerNormEps = checkNumber(`${name}: layerNormEps`, options.layerNormEps ?? 1e-5, { min: 0 });
    this.batchFirst = checkBoolean(`${name}: batchFirst`, options.batchFirst ?? false);
    this.normFirst = checkBoolean(`${name}: normFirst`, options.normFirst ?? false);
    this.bias = checkBoolean(`${name}: bias`, options.bias ?? true);
    this.creation = { dtype: checkFloatDtype(`${name}: dtype`, options.dtype ?? 'float32'), backend: options.backend };
    this.generator = options.generator;
  }

  protected attention(): MultiheadAttention {
    return new MultiheadAttention(this.dModel, this.nhead, {
      dropout: this.dropoutP,
      bias: this.bias,
      batchFirst: this.batchFirst,
      generator: this.generator,
      ...this.creation,
    });
  }

  protected linear(inFeatures: number, outFeatures: number): Linear {
    return new Linear(inFeatures, outFeatures, { bias: this.bias, generator: this.generator, ...this.creation });
  }

  protected norm(): LayerNorm {
    // PyTorch's bias=False drops the norms' bias too (their weight stays).
    return new LayerNorm(this.dModel, { eps: this.layerNormEps, bias: this.bias, ...this.creation });
  }

  /** linear2(dropout(activation(linear1(x)))); ReLU runs fused with linear1 where a backend can. */
  protected feedForward(x: Tensor, linear1: Linear, dropout: Dropout, linear2: Linear): Tensor {
    const hidden = linear1.forwardActivation(x, this.activation === 'relu' ? 'relu' : 'gelu');
    return linear2.forward(dropout.forward(hidden));
  }

  /** A sequence of this layer's layout and feature size: [S, N, E], [N, S, E] or unbatched [S, E]. */
  protected checkSequence(where: string, what: string, x: unknown): Tensor {
    const layout = this.batchFirst ? '[batch, seq, dModel]' : '[seq, batch, dModel]';
    const t = x as Tensor;
    if (
      typeof x !== 'object' ||
      x === null ||
      (x as { isMyelinTensor?: boolean }).isMyelinTensor !== true ||
      (t.rank !== 3 && t.rank !== 2) ||
      t.shape[t.rank - 1] !== this.dModel
    )
      throw new ShapeError(
        `${where}: ${what} must be ${layout} or unbatched [seq, dModel] with dModel = ${this.dModel}, got ${isTensor(x) ? formatShape(t.shape) : describeValue(x)}`,
      );
    return t;
  }

  /** The options that rebuild this layer (the backend of its weights included). */
  layerOptions(): TransformerLayerOptions {
    return {
      dimFeedforward: this.dimFeedforward,
      dropout: this.dropoutP,
      activation: this.activation,
      layerNormEps: this.layerNormEps,
      batchFirst: this.batchFirst,
      normFirst: this.normFirst,
      bias: this.bias,
      dtype: this.creation.dtype,
      backend: this.parameters()[0]!.backend,
    };
  }

  /** An independent copy with the same weights (PyTorch's copy.deepcopy in the stacks). */
  abstract clone(): TransformerLayer;

  protected copyInto<L extends TransformerLayer>(copy: L): L {
    copy.loadStateDict(this.stateDict());
    copy.train(this.training);
    return copy;
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: this.typeName,
      dModel: this.dModel,
      nhead: this.nhead,
      dimFeedforward: this.dimFeedforward,
      dropout: this.dropoutP,
      activation: this.activation,
      layerNormEps: this.layerNormEps,
      batchFirst: this.batchFirst,
      normFirst: this.normFirst,
      bias: this.bias,
    };
    if (this.creation.dtype !== 'float32') config['dtype'] = this.creation.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `dModel=${this.dModel}, nhead=${this.nhead}, dimFeedforward=${this.dimFeedforward}, activation=${this.activation}, normFirst=${this.normFirst}, batchFirst=${this.batchFirst}`;
  }
}

/** A call of `attention` with masks (no weights), inside its forward hooks as `forward` would be. */
function attend(
  attention: MultiheadAttention,
  query: Tensor,
  key: Tensor,
  value: Tensor,
  masks: { attnMask: Tensor | undefined; keyPaddingMask: Tensor | undefined; isCausal: boolean | undefined },
): Tensor {
  return attention.callWithHooks(
    [query, key, value],
    ([q, k, v]) => attention.forwardWithWeights(q!, k!, v!, { ...masks, needWeights: false }).output,
  );
}

/**
 * One encoder block, like torch.nn.TransformerEncoderLayer: self-attention, then a feed-forward
 * block, each with dropout, a residual connection and LayerNorm (after the add by default, before
 * the block with normFirst). Children as in PyTorch: self_attn, linear1, dropout, linear2,
 * norm1, norm2, dropout1, dropout2.
 */
export class TransformerEncoderLayer extends TransformerLayer {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options);
    this.selfAttn = this.registerModule('self_attn', this.attention());
    this.linear1 = this.registerModule('linear1', this.linear(dModel, this.dimFeedforward));
    this.dropout = this.registerModule('dropout', new Dropout(this.dropoutP));
    this.linear2 = this.registerModule('linear2', this.linear(this.dimFeedforward, dModel));
    this.norm1 = this.registerModule('norm1', this.norm());
    this.norm2 = this.registerModule('norm2', this.norm());
    this.dropout1 = this.registerModule('dropout1', new Dropout(this.dropoutP));
    this.dropout2 = this.registerModule('dropout2', new Dropout(this.dropoutP));
  }

  override get typeName(): string {
    return 'TransformerEncoderLayer';
  }

  forward(src: Tensor): Tensor {
    return this.forwardWithMasks(src);
  }

  forwardWithMasks(src: Tensor, masks: EncoderLayerMasks = {}): Tensor {
    const name = `${this.typeName}.forwardWithMasks`;
    checkOptions(name, masks, ['srcMask', 'srcKeyPaddingMask', 'isCausal']);
    this.checkSequence(name, 'src', src);
    const selfAttention = (x: Tensor): Tensor =>
      this.dropout1.forward(
        attend(this.selfAttn, x, x, x, {
          attnMask: masks.srcMask,
          keyPaddingMask: masks.srcKeyPaddingMask,
          isCausal: masks.isCausal,
        }),
      );
    const feedForward = (x: Tensor): Tensor =>
      this.dropout2.forward(this.feedForward(x, this.linear1, this.dropout, this.linear2));
    return composite(() => {
      let x = src;
      if (this.normFirst) {
        x = add(x, selfAttention(this.norm1.forward(x)));
        return add(x, feedForward(this.norm2.forward(x)));
      }
      x = this.norm1.forward(add(x, selfAttention(x)));
      return this.norm2.forward(add(x, feedForward(x)));
    });
  }

  clone(): TransformerEncoderLayer {
    return this.copyInto(new TransformerEncoderLayer(this.dModel, this.nhead, this.layerOptions()));
  }
}

/**
 * One decoder block, like torch.nn.TransformerDecoderLayer: masked self-attention over the
 * target, attention to the encoder's output (the memory), a feed-forward block; each with
 * dropout, a residual connection and LayerNorm. Children as in PyTorch: self_attn,
 * multihead_attn, linear1, dropout, linear2, norm1..3, dropout1..3.
 */
export class TransformerDecoderLayer extends TransformerLayer {
  readonly selfAttn: MultiheadAttention;
  readonly multiheadAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;

  constructor(dModel: number, nhead: number, options: TransformerLayerOptions = {}) {
    super(dModel, nhead, options);
    this.selfAttn = this.registerModule('self_attn', this.attention());
    this.multiheadAttn = this.registerModule('multihead_attn', this.attention());
    this.linear1 = this.registerModule('linear1', this.linear(dModel, this.dimFeedforward));
    this.dropout = this.registerModule('dropout', new Dropout(this.dropoutP));
    this.linear2 = this.registerModule('linear2', this.linear(this.dimFeedforward, dModel));
    this.norm1 = this.registerModule('norm1', this.norm());
    this.norm2 = this.registerModule('norm2', this.norm());
    this.norm3 = this.registerModule('norm3', this.norm());
    this.dropout1 = this.registerModule('dropout1', new Dropout(this.dropoutP));
    this.dropout2 = this.registerModule('dropout2', new Dropout(this.dropoutP));
    this.dropout3 = this.registerModule('dropout3', new Dropout(this.dropoutP));
  }

  override get typeName(): string {
    return 'TransformerDecoderLayer';
  }

  forward(tgt: Tensor, memory: Tensor): Tensor {
    return this.forwardWithMasks(tgt, memory);
  }

  forwardWithMasks(tgt: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    const name = `${this.typeName}.forwardWithMasks`;
    checkOptions(name, masks, decoderMaskNames);
    this.checkSequence(name, 'tgt', tgt);
    this.checkSequence(name, 'memory', memory);
    if (memory.rank !== tgt.rank)
      throw new ShapeError(
        `${name}: tgt ${formatShape(tgt.shape)} and memory ${formatShape(memory.shape)} must both be batched or both unbatched`,
      );
    const selfAttention = (x: Tensor): Tensor =>
      this.dropout1.forward(
        attend(this.selfAttn, x, x, x, {
          attnMask: masks.tgtMask,
          keyPaddingMask: masks.tgtKeyPaddingMask,
          isCausal: masks.tgtIsCausal,
        }),
      );
    const crossAttention = (x: Tensor): Tensor =>
      this.dropout2.forward(
        attend(this.multiheadAttn, x, memory, memory, {
          attnMask: masks.memoryMask,
          keyPaddingMask: masks.memoryKeyPaddingMask,
          isCausal: masks.memoryIsCausal,
        }),
      );
    const feedForward = (x: Tensor): Tensor =>
      this.dropout3.forward(this.feedForward(x, this.linear1, this.dropout, this.linear2));
    return composite(() => {
      let x = tgt;
      if (this.normFirst) {
        x = add(x, selfAttention(this.norm1.forward(x)));
        x = add(x, crossAttention(this.norm2.forward(x)));
        return add(x, feedForward(this.norm3.forward(x)));
      }
      x = this.norm1.forward(add(x, selfAttention(x)));
      x = this.norm2.forward(add(x, crossAttention(x)));
      return this.norm3.forward(add(x, feedForward(x)));
    });
  }

  clone(): TransformerDecoderLayer {
    return this.copyInto(new TransformerDecoderLayer(this.dModel, this.nhead, this.layerOptions()));
  }
}

const decoderMaskNames = [
  'tgtMask',
  'memoryMask',
  'tgtKeyPaddingMask',
  'memoryKeyPaddingMask',
  'tgtIsCausal',
  'memoryIsCausal',
] as const;

export interface TransformerStackOptions {
  /** Applied to the last layer's output (PyTorch's norm=..., e.g. a LayerNorm); none by default. */
  norm?: Module | null;
}

function checkNorm(where: string, options: TransformerStackOptions): Module | null {
  checkOptions(where, options, ['norm']);
  const norm = options.norm ?? null;
  if (norm !== null && !(norm instanceof Module))
    throw new ArgumentError(`${where}: norm must be a Module (e.g. a LayerNorm) or null, got ${describeValue(norm)}`);
  return norm;
}

/**
 * What TransformerEncoder and TransformerDecoder share: `numLayers` copies of a layer (PyTorch's
 * _get_clones: the copies start with the layer's weights, and the layer given is not used
 * itself) under `layers`, the optional final norm, and the config.
 */
export abstract class TransformerStack<L extends TransformerLayer> extends Module {
  readonly layers: ModuleList;
  readonly norm: Module | null;
  readonly numLayers: number;

  constructor(
    layer: L,
    kind: abstract new (...args: never[]) => L,
    numLayers: number,
    options: TransformerStackOptions,
  ) {
    super();
    const where = this.typeName;
    const norm = checkNorm(where, options);
    if (!(layer instanceof kind))
      throw new ArgumentError(`${where}: expected a ${kind.name} to copy, got ${describeValue(layer)}`);
    this.numLayers = checkPositiveInteger(`${where}: numLayers`, numLayers);
    const list = new ModuleList();
    for (let i = 0; i < numLayers; i++) list.append(layer.clone());
    this.layers = this.registerModule('layers', list);
    this.norm = norm === null ? null : this.registerModule('norm', norm);
  }

  /** `step` through every layer, then the norm. */
  protected run(input: Tensor, step: (layer: L, x: Tensor) => Tensor): Tensor {
    return composite(() => {
      let x = input;
      for (const layer of this.layers) x = step(layer as L, x);
      return this.norm === null ? x : this.norm.forward(x);
    });
  }

  /** The config under the name of its layer option (encoderLayer / decoderLayer). */
  protected stackConfig(layerKey: string): ModuleConfig {
    return {
      type: this.typeName,
      [layerKey]: this.layers.at(0).config(),
      numLayers: this.numLayers,
      norm: this.norm === null ? null : this.norm.config(),
    };
  }
}

/**
 * A stack of `numLayers` encoder layers, like torch.nn.TransformerEncoder: each a copy of
 * `encoderLayer` (so, as in PyTorch, they start with equal weights; the layer given is not used
 * itself), then the optional norm. Parameters: layers.0.self_attn.in_proj_weight, ..., norm.weight.
 */
export class TransformerEncoder extends TransformerStack<TransformerEncoderLayer> {
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super(encoderLayer, TransformerEncoderLayer, numLayers, options);
  }

  override get typeName(): string {
    return 'TransformerEncoder';
  }

  forward(src: Tensor): Tensor {
    return this.forwardWithMasks(src);
  }

  /** PyTorch's forward(src, mask, src_key_padding_mask, is_causal). */
  forwardWithMasks(src: Tensor, masks: { mask?: Tensor; srcKeyPaddingMask?: Tensor; isCausal?: boolean } = {}): Tensor {
    checkOptions('TransformerEncoder.forwardWithMasks', masks, ['mask', 'srcKeyPaddingMask', 'isCausal']);
    const layerMasks: EncoderLayerMasks = {
      srcMask: masks.mask,
      srcKeyPaddingMask: masks.srcKeyPaddingMask,
      isCausal: masks.isCausal,
    };
    return this.run(src, (layer, x) => layer.callWithHooks([x], ([y]) => layer.forwardWithMasks(y!, layerMasks)));
  }

  override config(): ModuleConfig {
    return this.stackConfig('encoderLayer');
  }
}

/** A stack of decoder layers, like torch.nn.TransformerDecoder (copies of `decoderLayer`, then the optional norm). */
export class TransformerDecoder extends TransformerStack<TransformerDecoderLayer> {
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: TransformerStackOptions = {}) {
    super(decoderLayer, TransformerDecoderLayer, numLayers, options);
  }

  override get typeName(): string {
    return 'TransformerDecoder';
  }

  forward(tgt: Tensor, memory: Tensor): Tensor {
    return this.forwardWithMasks(tgt, memory);
  }

  forwardWithMasks(tgt: Tensor, memory: Tensor, masks: DecoderMasks = {}): Tensor {
    checkOptions('TransformerDecoder.forwardWithMasks', masks, decoderMaskNames);
    return this.run(tgt, (layer, x) =>
      layer.callWithHooks([x, memory], ([y, m]) => layer.forwardWithMasks(y!, m!, masks)),
    );
  }

  override config(): ModuleConfig {
    return this.stackConfig('decoderLayer');
  }
}

export interface TransformerOptions extends TransformerLayerOptions {
  /** The model's feature size (default 512). */
  dModel?: number;
  /** Attention heads (default 8). */
  nhead?: number;
  numEncoderLayers?: number;
  numDecoderLayers?: number;
}

/** The masks of a Transformer call (PyTorch's forward arguments after src and tgt). */
export interface TransformerMasks extends DecoderMasks {
  srcMask?: Tensor;
  srcKeyPaddingMask?: Tensor;
  srcIsCausal?: boolean;
}

/**
 * The encoder-decoder model of "Attention Is All You Need", like torch.nn.Transformer: an
 * encoder of numEncoderLayers layers and a LayerNorm, a decoder of numDecoderLayers layers and
 * a LayerNorm; every weight matrix is then re-drawn with xavier_uniform_, as PyTorch does.
 * forward(src, tgt) returns the decoder's output ([T, N, dModel], or batchFirst).
 */
export class Transformer extends Module {
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;

  constructor(options: TransformerOptions = {}) {
    super();
    checkOptions('Transformer', options, [
      ...layerOptionNames,
      'dModel',
      'nhead',
      'numEncoderLayers',
      'numDecoderLayers',
    ]);
    const { dModel = 512, nhead = 8, numEncoderLayers = 6, numDecoderLayers = 6, ...layerOptions } = options;
    this.dModel = checkPositiveInteger('Transformer: dModel', dModel);
    this.nhead = checkPositiveInteger('Transformer: nhead', nhead);
    checkPositiveInteger('Transformer: numEncoderLayers', numEncoderLayers);
    checkPositiveInteger('Transformer: numDecoderLayers', numDecoderLayers);
    this.batchFirst = layerOptions.batchFirst ?? false;
    const norm = (): LayerNorm =>
      new LayerNorm(dModel, {
        eps: layerOptions.layerNormEps ?? 1e-5,
        bias: layerOptions.bias ?? true,
        dtype: layerOptions.dtype,
        backend: layerOptions.backend,
      });
    const encoderLayer = new TransformerEncoderLayer(dModel, nhead, layerOptions);
    const decoderLayer = new TransformerDecoderLayer(dModel, nhead, layerOptions);
    try {
      this.encoder = this.registerModule(
        'encoder',
        new TransformerEncoder(encoderLayer, numEncoderLayers, { norm: norm() }),
      );
      this.decoder = this.registerModule(
        'decoder',
        new TransformerDecoder(decoderLayer, numDecoderLayers, { norm: norm() }),
      );
    } finally {
      encoderLayer.dispose();
      decoderLayer.dispose();
    }
    this.resetParameters(layerOptions.generator);
  }

  override get typeName(): string {
    return 'Transformer';
  }

  /** PyTorch's _reset_parameters: xavier_uniform_ on every parameter of more than one axis. */
  resetParameters(generator?: Generator): void {
    for (const p of this.parameters()) if (p.rank > 1) xavierUniform_(p, { generator });
  }

  forward(src: Tensor, tgt: Tensor): Tensor {
    return this.forwardWithMasks(src, tgt);
  }

  forwardWithMasks(src: Tensor, tgt: Tensor, masks: TransformerMasks = {}): Tensor {
    const name = 'Transformer.forwardWithMasks';
    checkOptions(name, masks, [...decoderMaskNames, 'srcMask', 'srcKeyPaddingMask', 'srcIsCausal']);
    const batchAxis = this.batchFirst ? 0 : 1;
    const batched = (src as { rank?: number } | null)?.rank === 3;
    if (batched && (tgt as { rank?: number } | null)?.rank === 3 && src.shape[batchAxis] !== tgt.shape[batchAxis])
      throw new ShapeError(
        `${name}: src ${formatShape(src.shape)} and tgt ${formatShape(tgt.shape)} must have one batch size (axis ${batchAxis}, batchFirst ${this.batchFirst})`,
      );
    const { srcMask, srcKeyPaddingMask, srcIsCausal, ...decoderMasks } = masks;
    return composite(() => {
      const memory = this.encoder.callWithHooks([src], ([x]) =>
        this.encoder.forwardWithMasks(x!, { mask: srcMask, srcKeyPaddingMask, isCausal: srcIsCausal }),
      );
      return this.decoder.callWithHooks([tgt, memory], ([t, m]) => this.decoder.forwardWithMasks(t!, m!, decoderMasks));
    });
  }

  /** A float [size, size] mask: 0 on and below the diagonal, -inf above (PyTorch's generate_square_subsequent_mask). */
  static generateSquareSubsequentMask(
    size: number,
    options: { dtype?: FloatDType; backend?: Backend | string } = {},
  ): Tensor {
    return generateSquareSubsequentMask(size, options);
  }

  override config(): ModuleConfig {
    const layer = this.encoder.layers.at(0) as TransformerEncoderLayer;
    const config: ModuleConfig = {
      ...layer.config(),
      type: 'Transformer',
      numEncoderLayers: this.encoder.numLayers,
      numDecoderLayers: this.decoder.numLayers,
    };
    return config;
  }
}

/** A float [size, size] mask: 0 on and below the diagonal, -inf above, for causal attention. */
export function generateSquareSubsequentMask(
  size: number,
  options: { dtype?: FloatDType; backend?: Backend | string } = {},
): Tensor {
  checkPositiveInteger('generateSquareSubsequentMask: size', size);
  const values = new Float64Array(size * size);
  for (let i = 0; i < size; i++) for (let j = i + 1; j < size; j++) values[i * size + j] = -Infinity;
  return fromHost(values, [size, size], {
    dtype: checkFloatDtype('generateSquareSubsequentMask: dtype', options.dtype ?? 'float32'),
    backend: options.backend,
  });
}
