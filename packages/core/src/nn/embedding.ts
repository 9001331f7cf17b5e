import type { Backend } from '../backend/contract.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { equal, where } from '../ops/elementwise.js';
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
    const dtype = checkFloatDtype('Embedding: dtype', options.dtype ?? 'float32');
    this.weight = this.registerParameter(
      'weight',
      zeros([numEmbeddings, embeddingDim], { dtype, backend: options.backend }),
    );
    normal_(this.weight, 0, 1, { generator: options.generator });
    if (this.paddingIdx !== null) {
      const row = this.paddingIdx;
      noGrad(() =>
        tidy(() => {
          const isPad = equal(arange(numEmbeddings, { dtype: 'int32', backend: this.weight.backend }), row);
          this.weight.assign(where(isPad.reshape([numEmbeddings, 1]), 0, this.weight));
        }),
      );
    }
  }

  /**
   * An Embedding holding a copy of `embeddings` [numEmbeddings, embeddingDim] (PyTorch's
   * Embedding.from_pretrained): frozen (no gradient) unless `freeze: false`. The padding row is
   * kept as given.
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number } = {}): Embedding {
    checkOptions('Embedding.fromPretrained', options, ['freeze', 'paddingIdx']);
    if (embeddings.rank !== 2 || !isFloat(embeddings.dtype))
      throw new ShapeError(
        `Embedding.fromPretrained: embeddings must be a float [numEmbeddings, embeddingDim] tensor, got ${embeddings.dtype} ${formatShape(embeddings.shape)}`,
      );
    const freeze = checkBoolean('Embedding.fromPretrained: freeze', options.freeze ?? true);
    const [rows, dim] = embeddings.shape as [number, number];
    const module = new Embedding(rows, dim, {
      paddingIdx: options.paddingIdx,
      dtype: embeddings.dtype as FloatDType,
      backend: embeddings.backend,
    });
    module.loadStateDict({ weight: embeddings });
    module.weight.requiresGrad = !freeze;
    return module;
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

function checkPaddingIdx(value: unknown, rows: number): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -rows || value >= rows)
    throw new ArgumentError(
      `Embedding: paddingIdx must be an integer in [${-rows}, ${rows - 1}] (numEmbeddings ${rows}), got ${describeValue(value)}`,
    );
  return value < 0 ? value + rows : value;
}
