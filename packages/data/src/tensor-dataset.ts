import { isTensor, type Tensor } from '@myelin/core';
import { Dataset, checkIndex } from './dataset.js';
import { DataError } from './errors.js';
import {
  checkHostArray,
  formatShape,
  sizeOfShape,
  type HostArray,
  type NumericArray,
  type Sample,
} from './host-array.js';

/** Rows as nested number arrays, a flat list (one value per row), or a shaped typed array. */
export type ArrayInput = HostArray | readonly (readonly number[])[] | readonly number[];

export interface TensorDatasetOptions {
  /**
   * How plain-number targets are stored: int32 class indices or float32 values (regression,
   * binary cross-entropy). Default: int32 when every target is an integer, float32 otherwise.
   * Typed-array targets keep their own type.
   */
  targetDtype?: 'int32' | 'float32';
}

function toHostArray(input: ArrayInput, role: 'inputs' | 'targets', targetDtype?: 'int32' | 'float32'): HostArray {
  if (!Array.isArray(input)) {
    checkHostArrayInput(input, role);
    const array = input as HostArray;
    checkHostArray(array, `TensorDataset ${role}`);
    if (array.shape.length === 0)
      throw new DataError({
        source: `TensorDataset ${role}`,
        expected: 'a shape [N, ...] with a sample axis',
        found: 'a scalar shape []',
      });
    return array;
  }
  const rows = input as readonly (number | readonly number[])[];
  if (rows.length === 0 || !Array.isArray(rows[0])) {
    const values = rows as readonly number[];
    for (let i = 0; i < values.length; i++) {
      if (typeof values[i] !== 'number')
        throw new DataError({
          source: `TensorDataset ${role}`,
          expected: 'a number',
          found: `${typeof values[i]} at row ${i}`,
        });
    }
    const integers = values.every((v) => Number.isInteger(v));
    const dtype = role === 'targets' ? (targetDtype ?? (integers ? 'int32' : 'float32')) : 'float32';
    if (dtype === 'int32' && !integers)
      throw new DataError({
        source: `TensorDataset ${role}`,
        expected: 'integer class indices for targetDtype int32',
        found: `${values.find((v) => !Number.isInteger(v))}`,
      });
    return { data: dtype === 'int32' ? Int32Array.from(values) : Float32Array.from(values), shape: [values.length] };
  }
  const width = (rows[0] as readonly number[]).length;
  const data =
    role === 'targets' && targetDtype === 'int32'
      ? new Int32Array(rows.length * width)
      : new Float32Array(rows.length * width);
  rows.forEach((row, r) => {
    if (!Array.isArray(row) || row.length !== width) {
      throw new DataError({
        source: `TensorDataset ${role}`,
        expected: `rows of ${width} numbers`,
        found: `${Array.isArray(row) ? `${row.length} values` : typeof row} at row ${r}`,
      });
    }
    for (let c = 0; c < width; c++) {
      const value = row[c];
      if (typeof value !== 'number')
        throw new DataError({
          source: `TensorDataset ${role}`,
          expected: 'a number',
          found: `${typeof value} at row ${r}, column ${c}`,
        });
      data[r * width + c] = value;
    }
  });
  return { data, shape: [rows.length, width] };
}

/**
 * A Tensor (PyTorch's `TensorDataset(x, y)` habit), or anything else that is not rows nor a
 * `{ data: typed array, shape }`, is refused by name: a Tensor's `data` is a method, so the
 * shape check alone would report "found 0 values".
 */
function checkHostArrayInput(input: unknown, role: 'inputs' | 'targets'): void {
  const source = `TensorDataset ${role}`;
  const expected = 'rows (nested number arrays) or { data: a typed array, shape }';
  if (isTensor(input)) {
    throw new DataError({
      source,
      expected,
      found: `a Tensor of shape ${formatShape((input as Tensor).shape)}`,
      detail: 'for tensors use await TensorDataset.fromTensors(inputs, targets)',
    });
  }
  if (typeof input !== 'object' || input === null) throw new DataError({ source, expected, found: String(input) });
  const { data, shape } = input as { data?: unknown; shape?: unknown };
  if (data === undefined || shape === undefined)
    throw new DataError({
      source,
      expected,
      found: `an object with keys ${Object.keys(input).join(', ') || '(none)'}`,
    });
  if (!ArrayBuffer.isView(data) || data instanceof DataView)
    throw new DataError({ source, expected, found: `data of type ${kindOf(data)}` });
  if (!Array.isArray(shape)) throw new DataError({ source, expected, found: `shape of type ${kindOf(shape)}` });
}

const kindOf = (value: unknown): string =>
  value === null
    ? 'null'
    : typeof value === 'object'
      ? ((value as object).constructor?.name ?? 'object')
      : typeof value;

/**
 * Samples are rows of one big input array and one big target array. Each sample's
 * `x` is a view into the input buffer, so reading one copies nothing. One-dimensional integer
 * targets come out as class indices (numbers); other targets as views.
 */
export class TensorDataset extends Dataset<Sample> {
  readonly x: HostArray;
  readonly y: HostArray;
  readonly #sampleShape: readonly number[];
  readonly #sampleSize: number;
  readonly #targetShape: readonly number[];
  readonly #targetSize: number;
  readonly #targetsAreIndices: boolean;

  constructor(inputs: ArrayInput, targets: ArrayInput, options: TensorDatasetOptions = {}) {
    super();
    this.x = toHostArray(inputs, 'inputs');
    this.y = toHostArray(targets, 'targets', options.targetDtype);
    this.#sampleShape = Object.freeze(this.x.shape.slice(1));
    this.#sampleSize = sizeOfShape(this.#sampleShape);
    if (this.y.shape[0] !== this.x.shape[0]) {
      throw new DataError({
        source: 'TensorDataset',
        expected: `as many targets as inputs (${this.x.shape[0]}, inputs of shape ${formatShape(this.x.shape)})`,
        found: `${this.y.shape[0]} (targets of shape ${formatShape(this.y.shape)})`,
      });
    }
    if (options.targetDtype !== undefined && this.y.data instanceof Int32Array !== (options.targetDtype === 'int32')) {
      if (options.targetDtype === 'int32' && !this.y.data.every((v) => Number.isInteger(v))) {
        throw new DataError({
          source: 'TensorDataset targets',
          expected: 'integer class indices for targetDtype int32',
          found: 'non-integer values',
        });
      }
      this.y = {
        data: options.targetDtype === 'int32' ? Int32Array.from(this.y.data) : Float32Array.from(this.y.data),
        shape: this.y.shape,
      };
    }
    this.#targetShape = Object.freeze(this.y.shape.slice(1));
    this.#targetSize = sizeOfShape(this.#targetShape);
    this.#targetsAreIndices = this.y.shape.length === 1 && this.y.data instanceof Int32Array;
  }

  /** Reads tensors back to the host (awaiting `data()`, so it works on every backend). */
  static async fromTensors(
    inputs: Tensor,
    targets: Tensor,
    options: TensorDatasetOptions = {},
  ): Promise<TensorDataset> {
    const x: HostArray = { data: (await inputs.data()) as NumericArray, shape: inputs.shape };
    const y: HostArray = { data: (await targets.data()) as NumericArray, shape: targets.shape };
    return new TensorDataset(x, y, options);
  }

  get length(): number {
    return this.x.shape[0]!;
  }

  /** The shape of one sample's x. */
  get sampleShape(): readonly number[] {
    return this.#sampleShape;
  }

  get(index: number): Sample {
    checkIndex(index, this.length, 'TensorDataset');
    const size = this.#sampleSize;
    const x = { data: this.x.data.subarray(index * size, (index + 1) * size), shape: this.#sampleShape };
    const targets = this.y;
    if (this.#targetsAreIndices) return { x, y: targets.data[index]! };
    const targetSize = this.#targetSize;
    return {
      x,
      y: { data: targets.data.subarray(index * targetSize, (index + 1) * targetSize), shape: this.#targetShape },
    };
  }
}
