import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { gather, pad, reshape } from '../ops/movement.js';
import { padSequence } from '../ops/tensor-utils.js';
import { tensor } from '../tensor/creation.js';
import { composite, compositeResults } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkBoolean, checkInteger, checkNumber, checkOptions, describeValue } from './checks.js';
import { hostIntegers } from '../tensor/host-integers.js';

/*
 * torch.nn.utils.rnn's variable-length batches. A PackedSequence holds only the real steps,
 * time-major with the batch sorted by decreasing length: step t's rows are the first
 * batchSizes[t] sequences. The bookkeeping (batch sizes, orders) lives on the host, as torch
 * keeps batch_sizes on the CPU, so packing, unpacking and the recurrent loop never wait on a
 * device result; the data moves by one gather, whose gradient is a scatter.
 */

const isIntegerList = (value: unknown): value is number[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isSafeInteger(v));

/** Checks that `order` is a permutation of 0..size-1. */
function checkPermutation(what: string, order: unknown, size: number): readonly number[] {
  const seen = new Set(isIntegerList(order) ? order : []);
  if (!isIntegerList(order) || order.length !== size || seen.size !== size || order.some((i) => i < 0 || i >= size))
    throw new ArgumentError(
      `${what} must be a permutation of 0..${size - 1} (one entry per sequence), got ${describeValue(order)}`,
    );
  return [...order];
}

/**
 * A batch of sequences of different lengths with their padding left out, like
 * torch.nn.utils.rnn.PackedSequence. RNN, LSTM and GRU take it and return one; build it with
 * packPaddedSequence or packSequence rather than by hand.
 */
export class PackedSequence {
  /** The real steps, [sum of lengths, ...features]: step 0 of every sequence, then step 1 of those that have one, ... */
  readonly data: Tensor;
  /** How many sequences have step t (non-increasing, batchSizes[0] is the batch); on the host, as torch's batch_sizes. */
  readonly batchSizes: readonly number[];
  /** sortedIndices[i]: the original batch index of the i-th longest sequence; null when the batch came sorted. */
  readonly sortedIndices: readonly number[] | null;
  /** The inverse permutation: unsortedIndices[b] is where sequence b sits in the sorted batch. */
  readonly unsortedIndices: readonly number[] | null;
  /** The first row of each step. */
  readonly #offsets: number[] = [];

  constructor(
    data: Tensor,
    batchSizes: readonly number[],
    sortedIndices: readonly number[] | null = null,
    unsortedIndices: readonly number[] | null = null,
  ) {
    if (
      !isIntegerList(batchSizes) ||
      batchSizes.length === 0 ||
      batchSizes.some((n, t) => n < 1 || (t > 0 && n > batchSizes[t - 1]!))
    )
      throw new ArgumentError(
        `PackedSequence: batchSizes must be a non-empty, non-increasing list of positive integers, got ${describeValue(batchSizes)}`,
      );
    const total = batchSizes.reduce((sum, n) => sum + n, 0);
    if (data.rank < 1 || data.shape[0] !== total)
      throw new ShapeError(
        `PackedSequence: data has shape ${formatShape(data.shape)}, but batchSizes add up to ${total} steps: data must be [${total}, ...features]`,
      );
    const batch = batchSizes[0]!;
    this.data = data;
    this.batchSizes = [...batchSizes];
    for (let t = 0, offset = 0; t < batchSizes.length; offset += batchSizes[t]!, t++) this.#offsets.push(offset);
    this.sortedIndices =
      sortedIndices === null ? null : checkPermutation('PackedSequence: sortedIndices', sortedIndices, batch);
    this.unsortedIndices =
      unsortedIndices === null
        ? this.sortedIndices === null
          ? null
          : invertPermutation(this.sortedIndices)
        : checkPermutation('PackedSequence: unsortedIndices', unsortedIndices, batch);
  }

  /** The number of sequences. */
  get batchSize(): number {
    return this.batchSizes[0]!;
  }

  /** Each sequence's length, in the original batch order. */
  get lengths(): number[] {
    return Array.from({ length: this.batchSize }, (_, b) => this.#sortedLength(this.sortedPosition(b)));
  }

  /** Where sequence b (original order) sits in the sorted batch. */
  sortedPosition(b: number): number {
    return this.unsortedIndices === null ? b : this.unsortedIndices[b]!;
  }

  /** The row of `data` that holds step t of the sequence at sorted position s (which must have that step). */
  row(t: number, s: number): number {
    return this.#offsets[t]! + s;
  }

  /** The same batch with other data of as many rows (a layer's output). */
  withData(data: Tensor): PackedSequence {
    return new PackedSequence(data, this.batchSizes, this.sortedIndices, this.unsortedIndices);
  }

  /** Frees `data`, so a PackedSequence can be disposed like a tensor. */
  dispose(): void {
    this.data.dispose();
  }

  #sortedLength(s: number): number {
    let length = 0;
    while (length < this.batchSizes.length && this.batchSizes[length]! > s) length++;
    return length;
  }
}

export const isPackedSequence = (value: unknown): value is PackedSequence => value instanceof PackedSequence;

function invertPermutation(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((b, i) => (inverse[b] = i));
  return inverse;
}

interface Packing {
  batchSizes: number[];
  sortedIndices: number[] | null;
  /** For each packed row, its row in the input flattened to [batch * seq] (batchFirst) or [seq * batch]. */
  rows: Int32Array;
}

/** The packed layout of sequences with `lengths` in a padded [seq, batch] (or [batch, seq]) block. */
function packing(where: string, lengths: number[], seq: number, batchFirst: boolean, enforceSorted: boolean): Packing {
  const batch = lengths.length;
  lengths.forEach((length, b) => {
    if (length < 1)
      throw new ArgumentError(
        `${where}: every length must be at least 1, but lengths[${b}] is ${length} (lengths ${describeValue(lengths)})`,
      );
    if (length > seq)
      throw new ArgumentError(
        `${where}: lengths[${b}] is ${length}, longer than the input's ${seq} steps (lengths ${describeValue(lengths)})`,
      );
  });
  let order = lengths.map((_, b) => b);
  if (enforceSorted) {
    const at = lengths.findIndex((length, b) => b > 0 && length > lengths[b - 1]!);
    if (at > 0)
      throw new ArgumentError(
        `${where}: lengths must be in decreasing order with enforceSorted (the default), got ${describeValue(lengths)} (lengths[${at}] = ${lengths[at]} > ${lengths[at - 1]}); sort the batch or pass enforceSorted: false`,
      );
  } else {
    order = order.sort((a, b) => lengths[b]! - lengths[a]!); // stable: ties keep their order
  }
  const sortedLengths = order.map((b) => lengths[b]!);
  const batchSizes: number[] = [];
  for (let t = 0; t < sortedLengths[0]!; t++) batchSizes.push(sortedLengths.filter((length) => length > t).length);
  const rows = new Int32Array(sortedLengths.reduce((sum, n) => sum + n, 0));
  let next = 0;
  batchSizes.forEach((size, t) => {
    for (let s = 0; s < size; s++) rows[next++] = batchFirst ? order[s]! * seq + t : t * batch + order[s]!;
  });
  const sorted = enforceSorted || order.every((b, i) => b === i) ? null : order;
  return { batchSizes, sortedIndices: sorted, rows };
}

export interface PackPaddedSequenceOptions {
  /** The input is [batch, seq, ...] (default false: [seq, batch, ...]). */
  batchFirst?: boolean;
  /** Require lengths in decreasing order (default true, as torch); false sorts them and records the order. */
  enforceSorted?: boolean;
}

function packOptions(where: string, options: PackPaddedSequenceOptions, allowed: string[]): [boolean, boolean] {
  checkOptions(where, options, allowed);
  return [
    checkBoolean(`${where}: options.batchFirst`, options.batchFirst ?? false),
    checkBoolean(`${where}: options.enforceSorted`, options.enforceSorted ?? true),
  ];
}

/** Gathers the packed rows of a padded [seq, batch, ...] (or [batch, seq, ...]) block. */
function packRows(padded: Tensor, plan: Packing): Tensor {
  const flat = reshape(padded, [padded.shape[0]! * padded.shape[1]!, ...padded.shape.slice(2)]);
  return gather(flat, tensor(plan.rows, { dtype: 'int32', backend: padded.backend }), 0);
}

/**
 * torch.nn.utils.rnn.pack_padded_sequence: the real steps of a padded batch [seq, batch, ...]
 * ([batch, seq, ...] with batchFirst) whose sequence b has lengths[b] steps.
 */
export function packPaddedSequence(
  input: Tensor,
  lengths: readonly number[] | Tensor,
  options: PackPaddedSequenceOptions = {},
): PackedSequence {
  const where = 'packPaddedSequence';
  const [batchFirst, enforceSorted] = packOptions(where, options, ['batchFirst', 'enforceSorted']);
  const given = hostIntegers(where, 'lengths', lengths);
  if (input.rank < 2)
    throw new ShapeError(
      `${where}: input has shape ${formatShape(input.shape)}, expected ${batchFirst ? '[batch, seq, ...]' : '[seq, batch, ...]'}`,
    );
  const [seq, batch] = batchFirst ? [input.shape[1]!, input.shape[0]!] : [input.shape[0]!, input.shape[1]!];
  if (given.length !== batch)
    throw new ShapeError(
      `${where}: got ${given.length} lengths for a batch of ${batch} (input ${formatShape(input.shape)}${batchFirst ? ', batchFirst' : ''})`,
    );
  const plan = packing(where, given, seq, batchFirst, enforceSorted);
  return new PackedSequence(
    composite(() => packRows(input, plan)),
    plan.batchSizes,
    plan.sortedIndices,
  );
}

/**
 * torch.nn.utils.rnn.pack_sequence: sequences [L_i, ...] of one trailing shape packed
 * (in decreasing length with enforceSorted, the default).
 */
export function packSequence(
  sequences: readonly Tensor[],
  options: Pick<PackPaddedSequenceOptions, 'enforceSorted'> = {},
): PackedSequence {
  const where = 'packSequence';
  const [, enforceSorted] = packOptions(where, options, ['enforceSorted']);
  if (!Array.isArray(sequences) || sequences.length === 0)
    throw new ArgumentError(`${where}: expected a non-empty array of tensors, got ${describeValue(sequences)}`);
  const lengths = sequences.map((s: Tensor) => s.shape[0] ?? 0);
  const plan = packing(where, lengths, Math.max(...lengths), false, enforceSorted);
  return new PackedSequence(
    composite(() => packRows(padSequence(sequences), plan)),
    plan.batchSizes,
    plan.sortedIndices,
  );
}

export interface PadPackedSequenceOptions {
  /** Return [batch, seq, ...] (default false: [seq, batch, ...]). */
  batchFirst?: boolean;
  /** The value of the padded steps (default 0). */
  paddingValue?: number;
  /** Pad to this many steps (default: the longest sequence); at least the longest. */
  totalLength?: number;
}

/** What padPackedSequence returns: the padded batch and each sequence's length, in the original batch order. */
export interface PaddedSequence {
  output: Tensor;
  lengths: number[];
}

/** torch.nn.utils.rnn.pad_packed_sequence: the inverse of packPaddedSequence, in the original batch order. */
export function padPackedSequence(sequence: PackedSequence, options: PadPackedSequenceOptions = {}): PaddedSequence {
  const where = 'padPackedSequence';
  if (!isPackedSequence(sequence))
    throw new ArgumentError(`${where}: expected a PackedSequence, got ${describeValue(sequence)}`);
  checkOptions(where, options, ['batchFirst', 'paddingValue', 'totalLength']);
  const batchFirst = checkBoolean(`${where}: options.batchFirst`, options.batchFirst ?? false);
  const paddingValue = checkNumber(`${where}: options.paddingValue`, options.paddingValue ?? 0);
  const longest = sequence.batchSizes.length;
  const seq = checkInteger(`${where}: options.totalLength`, options.totalLength ?? longest);
  if (seq < longest)
    throw new ArgumentError(
      `${where}: options.totalLength must be at least the longest sequence's ${longest} steps, got ${seq}`,
    );
  const batch = sequence.batchSize;
  const lengths = sequence.lengths;
  const { data } = sequence;
  // Each padded position reads its packed row, or the one padding row appended after them.
  const padding = data.shape[0]!;
  const rows = new Int32Array(seq * batch);
  for (let b = 0; b < batch; b++) {
    const s = sequence.sortedPosition(b);
    for (let t = 0; t < seq; t++)
      rows[batchFirst ? b * seq + t : t * batch + b] = t < lengths[b]! ? sequence.row(t, s) : padding;
  }
  const features = data.shape.slice(1);
  const output = composite(() => {
    const withPadding = pad(data, [[0, 1]], paddingValue);
    const picked = gather(withPadding, tensor(rows, { dtype: 'int32', backend: data.backend }), 0);
    return reshape(picked, [...(batchFirst ? [batch, seq] : [seq, batch]), ...features]);
  });
  return { output, lengths };
}

/** torch.nn.utils.rnn.unpack_sequence: the packed sequences as a list [L_b, ...], in the original batch order. */
export function unpackSequence(sequence: PackedSequence): Tensor[] {
  if (!isPackedSequence(sequence))
    throw new ArgumentError(`unpackSequence: expected a PackedSequence, got ${describeValue(sequence)}`);
  const { data } = sequence;
  return sequence.lengths.map((length, b) => {
    const s = sequence.sortedPosition(b);
    const rows = Int32Array.from({ length }, (_, t) => sequence.row(t, s));
    return composite(() => gather(data, tensor(rows, { dtype: 'int32', backend: data.backend }), 0));
  });
}

/** torch.nn.utils.rnn.unpad_sequence: a padded batch [seq, batch, ...] ([batch, seq, ...] with batchFirst) as a list [lengths[b], ...]. */
export function unpadSequence(
  padded: Tensor,
  lengths: readonly number[] | Tensor,
  options: Pick<PackPaddedSequenceOptions, 'batchFirst'> = {},
): Tensor[] {
  checkOptions('unpadSequence', options, ['batchFirst']);
  // The packed data is an intermediate: tied to the first sequence, as compositeResults does.
  return compositeResults(() =>
    unpackSequence(packPaddedSequence(padded, lengths, { ...options, enforceSorted: false })),
  );
}
