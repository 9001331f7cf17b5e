import type { Backend } from '../backend/contract.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { equal, mul, where } from '../ops/elementwise.js';
import { embedding } from '../ops/normalization.js';
import { arange, fromHost, zeros } from '../tensor/creation.js';
import { defaultGenerator, type Generator } from '../tensor/random.js';
import { composite, tidy } from '../tensor/scope.js';
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

export interface Dropout2dOptions {
  generator?: Generator;
}

/**
 * Zeroes whole channels of [N, C, H, W] (or [C, H, W]) input with probability p in train mode and
 * scales the rest by 1 / (1 - p), like torch.nn.Dropout2d; the identity in eval mode.
 */
export class Dropout2d extends Module {
  readonly p: number;
  readonly generator: Generator | undefined;

  constructor(p = 0.5, options: Dropout2dOptions = {}) {
    super();
    checkOptions('Dropout2d', options, ['generator']);
    this.p = checkNumber('Dropout2d: p', p, { min: 0, max: 1 });
    this.generator = options.generator;
  }

  override get typeName(): string {
    return 'Dropout2d';
  }

  forward(input: Tensor): Tensor {
    if (!this.training || this.p === 0) return input;
    if (!isFloat(input.dtype)) throw new DTypeError(`Dropout2d: expected a float input, got dtype ${input.dtype}`);
    const channels = input.rank === 4 ? input.shape[0]! * input.shape[1]! : input.shape[0]!;
    const maskShape = input.rank === 4 ? [input.shape[0]!, input.shape[1]!, 1, 1] : [input.shape[0]!, 1, 1];
    const mask = (this.generator ?? defaultGenerator).uniform(channels);
    const scale = this.p === 1 ? 0 : 1 / (1 - this.p);
    for (let i = 0; i < mask.length; i++) mask[i] = mask[i]! >= this.p ? scale : 0;
    return composite(() => mul(input, fromHost(mask, maskShape, { dtype: input.dtype, backend: input.backend })));
  }

  override config(): ModuleConfig {
    return { type: 'Dropout2d', p: this.p };
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}
