import { ArgumentError, DTypeError, ShapeError, describeValue, formatShape } from '../errors.js';
import { fromHost } from '../tensor/creation.js';
import { composite } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { isFloat } from './dispatch.js';
import { cast, div, greater, logicalAnd, maximum, mul, notEqual, where } from './elementwise.js';
import { gather, reshape, scatterAdd, slice, unsqueeze } from './movement.js';
import { max, sum } from './reduce.js';
import { hostIntegers } from '../tensor/host-integers.js';

/** How EmbeddingBag reduces each bag's embeddings. */
export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

/** Bag starts on the host, as PyTorch's CPU offsets (an int32 tensor is read where the backend reads synchronously). */
export type BagOffsets = readonly number[] | Int32Array | Tensor;

export interface EmbeddingBagOptions {
  /** With 1-D input: where each bag starts (the first must be 0). Not with 2-D input, whose rows are the bags. */
  offsets?: BagOffsets;
  /** 'mean' (default), 'sum' or 'max'. */
  mode?: EmbeddingBagMode;
  /** One weight per id (input's shape), multiplying its embedding; 'sum' mode only, as PyTorch's. */
  perSampleWeights?: Tensor;
  /** `offsets` has one more entry: the end of the last bag (PyTorch's include_last_offset). */
  includeLastOffset?: boolean;
  /** Ids equal to it leave their bag (and a mean's count); negative counts from the end. */
  paddingIdx?: number;
}

const MODES: readonly EmbeddingBagMode[] = ['sum', 'mean', 'max'];

/** `mode` if it is 'sum', 'mean' or 'max', else an error naming it (embeddingBag and EmbeddingBag). */
export function checkEmbeddingBagMode(owner: string, mode: unknown): EmbeddingBagMode {
  if (!MODES.includes(mode as EmbeddingBagMode))
    throw new ArgumentError(`${owner}: mode must be 'sum', 'mean' or 'max', got ${describeValue(mode)}`);
  return mode as EmbeddingBagMode;
}

/**
 * torch.nn.functional.embedding_bag: the sum, mean or max of each bag's embedding rows, without
 * making the [ids, dim] lookups of every bag a padded batch first (fastText-style text
 * classifiers, recommendation models). `input` is int32: 2-D [B, N] (each row a bag) or 1-D with
 * `offsets`. Empty bags (and bags of only padding) give zeros. Sum and mean scatter-add the rows
 * into their bags; max gathers the bags into a padded [B, longest, dim] block.
 */
export function embeddingBag(input: Tensor, weight: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const owner = 'embeddingBag';
  const { offsets, perSampleWeights } = options;
  const mode = checkEmbeddingBagMode(owner, options.mode ?? 'mean');
  if (input.dtype !== 'int32') throw new DTypeError(`${owner}: input must be int32 ids, got dtype ${input.dtype}`);
  if (weight.rank !== 2 || !isFloat(weight.dtype))
    throw new ShapeError(
      `${owner}: weight must be a float [numEmbeddings, dim] tensor, got ${weight.dtype} ${formatShape(weight.shape)}`,
    );
  const [rows, dim] = weight.shape as [number, number];
  const paddingIdx = options.paddingIdx;
  if (paddingIdx !== undefined && (!Number.isInteger(paddingIdx) || paddingIdx < -rows || paddingIdx >= rows))
    throw new ArgumentError(
      `${owner}: paddingIdx must be an integer in [${-rows}, ${rows - 1}] (the weight has ${rows} rows), got ${String(paddingIdx)}`,
    );
  const pad = paddingIdx === undefined ? undefined : paddingIdx < 0 ? paddingIdx + rows : paddingIdx;
  if (perSampleWeights !== undefined) {
    if (mode !== 'sum')
      throw new ArgumentError(`${owner}: perSampleWeights need mode 'sum' (as PyTorch's), got mode '${mode}'`);
    if (!shapesEqual(perSampleWeights.shape, input.shape) || !isFloat(perSampleWeights.dtype))
      throw new ShapeError(
        `${owner}: perSampleWeights must be a float tensor of the input's shape ${formatShape(input.shape)}, got ${perSampleWeights.dtype} ${formatShape(perSampleWeights.shape)}`,
      );
  }
  const bags = bagsOf(owner, input, offsets, options.includeLastOffset ?? false);
  const count = input.size;
  const backend = input.backend;

  return composite(() => {
    const ids = reshape(input, [count]);
    const kept = pad === undefined ? null : notEqual(ids, pad);
    if (mode === 'max') {
      // The bags as a padded block [B, longest]: slots past a bag's end point at id 0 and are masked.
      const longest = Math.max(0, ...bags.lengths);
      const positions = new Int32Array(bags.starts.length * longest);
      const inBag = new Uint8Array(bags.starts.length * longest);
      bags.starts.forEach((start, b) => {
        for (let k = 0; k < bags.lengths[b]!; k++) {
          positions[b * longest + k] = start + k;
          inBag[b * longest + k] = 1;
        }
      });
      const shape = [bags.starts.length, longest];
      const block =
        count === 0
          ? fromHost(positions, shape, { dtype: 'int32', backend })
          : gather(ids, fromHost(positions, shape, { dtype: 'int32', backend }));
      let valid = fromHost(inBag, shape, { dtype: 'bool', backend });
      if (pad !== undefined) valid = logicalAnd(valid, notEqual(block, pad));
      const rowsOfBlock = gather(weight, block, 0); // [B, longest, dim]
      const best = max(where(unsqueeze(valid, -1), rowsOfBlock, -Infinity), 1);
      const nonEmpty = greater(sum(cast(valid, 'int32'), 1), 0);
      return where(unsqueeze(nonEmpty, -1), best, 0);
    }
    // Sum and mean: each row weighted (padding 0, perSampleWeights), scatter-added into its bag;
    // ids in no bag (after an includeLastOffset end) go to an extra slot that is cut off.
    const bagOf = fromHost(bags.bagOfId, [count], { dtype: 'int32', backend });
    const slots = bags.starts.length + 1;
    const looked = gather(weight, ids, 0); // [N, dim]
    let perId: Tensor | null = kept === null ? null : cast(kept, weight.dtype);
    if (perSampleWeights !== undefined) {
      const given = cast(reshape(perSampleWeights, [count]), weight.dtype);
      perId = perId === null ? given : mul(perId, given);
    }
    const weighted = perId === null ? looked : mul(looked, unsqueeze(perId, -1));
    const sums = slice(scatterAdd(weighted, bagOf, 0, slots), [0, 0], [slots - 1, dim]);
    if (mode === 'sum') return sums;
    const members =
      kept === null
        ? fromHost(Float64Array.from(bags.lengths), [slots - 1], { dtype: weight.dtype, backend })
        : slice(scatterAdd(cast(kept, weight.dtype), bagOf, 0, slots), [0], [slots - 1]);
    return div(sums, unsqueeze(maximum(members, 1), -1));
  });
}

interface Bags {
  /** Each bag's first position in the flattened input. */
  starts: number[];
  lengths: number[];
  /** The bag of each position (bags.length for a position in none). */
  bagOfId: Int32Array;
}

function bagsOf(owner: string, input: Tensor, offsets: BagOffsets | undefined, includeLastOffset: boolean): Bags {
  const count = input.size;
  let bounds: number[];
  if (input.rank === 2) {
    if (offsets !== undefined)
      throw new ArgumentError(
        `${owner}: 2-D input ${formatShape(input.shape)} holds one bag per row; offsets are only for 1-D input`,
      );
    const [b, n] = input.shape as [number, number];
    bounds = Array.from({ length: b + 1 }, (_, i) => i * n);
  } else if (input.rank === 1) {
    if (offsets === undefined)
      throw new ArgumentError(
        `${owner}: 1-D input needs offsets (where each bag starts), or give 2-D [bags, ids] input`,
      );
    const starts = hostIntegers(owner, 'offsets', offsets);
    if (includeLastOffset && starts.length === 0)
      throw new ArgumentError(`${owner}: includeLastOffset needs at least one offset (the end of the last bag)`);
    bounds = includeLastOffset ? starts : [...starts, count];
    const bad = bounds.findIndex((v, i) => !Number.isInteger(v) || v < 0 || v > count || (i > 0 && v < bounds[i - 1]!));
    if (bad >= 0 || (starts.length > 0 && starts[0] !== 0))
      throw new ArgumentError(
        `${owner}: offsets must start at 0 and not decrease, each at most the input's ${count} ids, got [${starts.join(', ')}]`,
      );
  } else {
    throw new ShapeError(
      `${owner}: input must be 2-D [bags, ids] or 1-D with offsets, got shape ${formatShape(input.shape)}`,
    );
  }
  const bagCount = bounds.length - 1;
  const bagOfId = new Int32Array(count).fill(bagCount);
  for (let b = 0; b < bagCount; b++) for (let i = bounds[b]!; i < bounds[b + 1]!; i++) bagOfId[i] = b;
  return {
    starts: bounds.slice(0, -1),
    lengths: bounds.slice(1).map((end, b) => end - bounds[b]!),
    bagOfId,
  };
}
