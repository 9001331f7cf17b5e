import type { Backend } from '../backend/contract.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { equal, where } from '../ops/elementwise.js';
import { checkEmbeddingBagMode, embeddingBag, type BagOffsets, type EmbeddingBagMode } from '../ops/embedding-bag.js';
import { embedding } from '../ops/normalization.js';
import { arange, zeros } from '../tensor/creation.js';
import type { Generator } from '../tensor/random.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import {
  checkBoolean,
  checkFloatDtype,
  checkOptions,
  checkPositiveInteger,
  describeValue,
  type FloatDType,
} from './checks.js';
import { normal_ } from './init.js';
import { Module, type ModuleConfig } from './module.js';

export interface EmbeddingOptions {
  /**
   * The padding token's row (negative counts from the end): zeros at init, and its lookups take
   * no gradient, so it stays as it is while training (PyTorch's padding_idx).
   */
  paddingIdx?: number;
  generator?: Generator;
  dtype?: FloatDType;
  backend?: Backend | string;
}

/** A lookup table [numEmbeddings, embeddingDim] indexed by int32 ids, like torch.nn.Embedding (weights N(0, 1)). */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkOptions('Embedding', options, ['paddingIdx', 'generator', 'dtype', 'backend']);
    this.numEmbeddings = checkPositiveInteger('Embedding: numEmbeddings', numEmbeddings);
    this.embeddingDim = checkPositiveInteger('Embedding: embeddingDim', embeddingDim);
    this.paddingIdx = checkPaddingIdx(options.paddingIdx, numEmbeddings);
    this.weight = this.registerParameter(
      'weight',
      embeddingTable('Embedding', numEmbeddings, embeddingDim, this.paddingIdx, options),
    );
  }

  /**
   * An Embedding holding a copy of `embeddings` [numEmbeddings, embeddingDim] (PyTorch's
   * Embedding.from_pretrained): frozen (no gradient) unless `freeze: false`. The padding row is
   * kept as given.
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number } = {}): Embedding {
    checkOptions('Embedding.fromPretrained', options, ['freeze', 'paddingIdx']);
    return fromTable(
      'Embedding',
      embeddings,
      options.freeze,
      (rows, dim, table) => new Embedding(rows, dim, { ...table, paddingIdx: options.paddingIdx }),
    );
  }

  override get typeName(): string {
    return 'Embedding';
  }

  forward(indices: Tensor): Tensor {
    return embedding(indices, this.weight, this.paddingIdx ?? undefined);
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'Embedding',
      numEmbeddings: this.numEmbeddings,
      embeddingDim: this.embeddingDim,
    };
    if (this.paddingIdx !== null) config['paddingIdx'] = this.paddingIdx;
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}

export interface EmbeddingBagOptions extends EmbeddingOptions {
  /** How a bag's rows combine: 'mean' (default), 'sum' or 'max'. */
  mode?: EmbeddingBagMode;
  /** Offsets carry one more entry, the end of the last bag (PyTorch's include_last_offset). */
  includeLastOffset?: boolean;
}

/**
 * Sums, means or maxima of bags of embedding rows, like torch.nn.EmbeddingBag (weights N(0, 1),
 * the padding row zero): `forward(input, offsets?, perSampleWeights?)` with int32 ids, 2-D
 * [bags, ids] or 1-D with host offsets. The text classifier of PyTorch's torchtext tutorial is
 * EmbeddingBag -> Linear; see embeddingBag.
 */
export class EmbeddingBag extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  readonly mode: EmbeddingBagMode;
  readonly includeLastOffset: boolean;
  /** The padding row (non-negative), or null. */
  readonly paddingIdx: number | null;
  readonly weight: Tensor;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingBagOptions = {}) {
    super();
    checkOptions('EmbeddingBag', options, ['mode', 'includeLastOffset', 'paddingIdx', 'generator', 'dtype', 'backend']);
    this.numEmbeddings = checkPositiveInteger('EmbeddingBag: numEmbeddings', numEmbeddings);
    this.embeddingDim = checkPositiveInteger('EmbeddingBag: embeddingDim', embeddingDim);
    this.mode = checkEmbeddingBagMode('EmbeddingBag', options.mode ?? 'mean');
    this.includeLastOffset = checkBoolean('EmbeddingBag: includeLastOffset', options.includeLastOffset ?? false);
    this.paddingIdx = checkPaddingIdx(options.paddingIdx, numEmbeddings, 'EmbeddingBag');
    this.weight = this.registerParameter(
      'weight',
      embeddingTable('EmbeddingBag', numEmbeddings, embeddingDim, this.paddingIdx, options),
    );
  }

  /** An EmbeddingBag holding a copy of `embeddings` (PyTorch's from_pretrained): frozen unless `freeze: false`. */
  static fromPretrained(
    embeddings: Tensor,
    options: { freeze?: boolean; mode?: EmbeddingBagMode; includeLastOffset?: boolean; paddingIdx?: number } = {},
  ): EmbeddingBag {
    checkOptions('EmbeddingBag.fromPretrained', options, ['freeze', 'mode', 'includeLastOffset', 'paddingIdx']);
    const { mode, includeLastOffset, paddingIdx } = options;
    return fromTable(
      'EmbeddingBag',
      embeddings,
      options.freeze,
      (rows, dim, table) => new EmbeddingBag(rows, dim, { ...table, mode, includeLastOffset, paddingIdx }),
    );
  }

  override get typeName(): string {
    return 'EmbeddingBag';
  }

  forward(input: Tensor, offsets?: BagOffsets, perSampleWeights?: Tensor): Tensor {
    return embeddingBag(input, this.weight, {
      offsets,
      perSampleWeights,
      mode: this.mode,
      includeLastOffset: this.includeLastOffset,
      paddingIdx: this.paddingIdx ?? undefined,
    });
  }

  override config(): ModuleConfig {
    const config: ModuleConfig = {
      type: 'EmbeddingBag',
      numEmbeddings: this.numEmbeddings,
      embeddingDim: this.embeddingDim,
      mode: this.mode,
    };
    if (this.includeLastOffset) config['includeLastOffset'] = true;
    if (this.paddingIdx !== null) config['paddingIdx'] = this.paddingIdx;
    if (this.weight.dtype !== 'float32') config['dtype'] = this.weight.dtype;
    return config;
  }

  protected override extraRepr(): string {
    return `${this.numEmbeddings}, ${this.embeddingDim}, mode='${this.mode}'${this.paddingIdx === null ? '' : `, paddingIdx=${this.paddingIdx}`}`;
  }
}

/**
 * `fromPretrained` of Embedding and EmbeddingBag: the layer `make` builds (with the table's dtype
 * and backend) holding a copy of `embeddings`, frozen unless `freeze` is false.
 */
function fromTable<M extends Embedding | EmbeddingBag>(
  layer: string,
  embeddings: Tensor,
  freeze: boolean | undefined,
  make: (rows: number, dim: number, table: { dtype: FloatDType; backend: Backend }) => M,
): M {
  if (embeddings.rank !== 2 || !isFloat(embeddings.dtype))
    throw new ShapeError(
      `${layer}.fromPretrained: embeddings must be a float [numEmbeddings, embeddingDim] tensor, got ${embeddings.dtype} ${formatShape(embeddings.shape)}`,
    );
  const frozen = checkBoolean(`${layer}.fromPretrained: freeze`, freeze ?? true);
  const [rows, dim] = embeddings.shape as [number, number];
  const module = make(rows, dim, { dtype: embeddings.dtype as FloatDType, backend: embeddings.backend });
  module.loadStateDict({ weight: embeddings });
  module.weight.requiresGrad = !frozen;
  return module;
}

/** A [rows, dim] table drawn from N(0, 1) with the padding row zero, as PyTorch's Embedding and EmbeddingBag. */
function embeddingTable(
  layer: string,
  rows: number,
  dim: number,
  paddingIdx: number | null,
  options: EmbeddingOptions,
): Tensor {
  const dtype = checkFloatDtype(`${layer}: dtype`, options.dtype ?? 'float32');
  const table = zeros([rows, dim], { dtype, backend: options.backend });
  normal_(table, 0, 1, { generator: options.generator });
  if (paddingIdx !== null)
    noGrad(() =>
      tidy(() => {
        const isPad = equal(arange(rows, { dtype: 'int32', backend: table.backend }), paddingIdx);
        table.assign(where(isPad.reshape([rows, 1]), 0, table));
      }),
    );
  return table;
}

function checkPaddingIdx(value: unknown, rows: number, layer = 'Embedding'): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -rows || value >= rows)
    throw new ArgumentError(
      `${layer}: paddingIdx must be an integer in [${-rows}, ${rows - 1}] (numEmbeddings ${rows}), got ${describeValue(value)}`,
    );
  return value < 0 ? value + rows : value;
}
