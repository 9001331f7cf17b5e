import type { Backend, DType, TypedArray } from '../backend/contract.js';
import { getBackend } from '../backend/registry.js';
import { allocateArray, isFloat } from '../backend/dtypes.js';
import { ArgumentError, DTypeError, ShapeError, formatShape } from '../errors.js';
import { type Generator, defaultGenerator } from './random.js';
import { resolveShape, sizeOf } from './shape.js';
import { Tensor, type NestedArray } from './tensor.js';

export interface CreationOptions {
  /** Defaults to float32 (bool for nested booleans, the array's own type for typed arrays). */
  dtype?: DType;
  /** A backend instance or registered name; the active backend by default. */
  backend?: Backend | string;
  requiresGrad?: boolean;
}

export interface RandomOptions extends CreationOptions {
  /** Draw from this generator instead of the default one. */
  generator?: Generator;
}

/**
 * The most elements one tensor may hold: the longest typed array JavaScript engines allocate
 * (2^32). Creating a larger tensor is an ArgumentError naming the shape, not a RangeError.
 */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/** The shape, resolved and checked against MAX_TENSOR_ELEMENTS. */
function creatableShape(op: string, shape: readonly number[]): number[] {
  const resolved = resolveShape(op, shape);
  const size = sizeOf(resolved);
  if (size > MAX_TENSOR_ELEMENTS) {
    throw new ArgumentError(
      `${op}: shape ${formatShape(resolved)} has ${size.toExponential(3)} elements, over the limit of ${MAX_TENSOR_ELEMENTS.toLocaleString('en-US')} (2^32) elements per tensor`,
    );
  }
  return resolved;
}

/** Runs an allocation; an engine's RangeError (out of memory, too long) becomes an ArgumentError naming the shape. */
function allocating<T>(op: string, shape: readonly number[], dtype: DType, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new ArgumentError(
      `${op}: cannot allocate a ${dtype} tensor of shape ${formatShape(shape)} (${sizeOf(shape).toLocaleString('en-US')} elements): ${error.message}`,
      { cause: error },
    );
  }
}

function resolveBackend(backend: Backend | string | undefined): Backend {
  return typeof backend === 'object' ? backend : getBackend(backend);
}

/** The dtype a typed array stores natively; other typed arrays (bytes, int16...) are converted to float32. */
function dtypeOfArray(values: ArrayBufferView): DType {
  if (values instanceof Float32Array) return 'float32';
  if (values instanceof Float64Array) return 'float64';
  if (values instanceof Int32Array) return 'int32';
  return 'float32';
}

/** Whether `values` already is the storage array of `dtype` (bool is stored as Uint8Array). */
function nativeStorage(values: ArrayBufferView, dtype: DType): boolean {
  const storage = { float32: Float32Array, float64: Float64Array, int32: Int32Array, bool: Uint8Array }[dtype];
  return values.constructor === storage;
}

/** Makes a tensor from host values that are already laid out row-major. */
export function fromHost(values: ArrayLike<number>, shape: readonly number[], options: CreationOptions = {}): Tensor {
  const backend = resolveBackend(options.backend);
  const dtype = options.dtype ?? (ArrayBuffer.isView(values) ? dtypeOfArray(values) : 'float32');
  if (!backend.dtypes.includes(dtype))
    throw new DTypeError(`backend '${backend.name}' has no dtype ${dtype} (it has ${backend.dtypes.join(', ')})`);
  const resolved = resolveShape('tensor', shape);
  if (values.length !== sizeOf(resolved)) {
    throw new ShapeError(
      `tensor: ${values.length} values do not fill shape ${formatShape(resolved)} (${sizeOf(resolved)} elements)`,
    );
  }
  let storage: TypedArray;
  if (ArrayBuffer.isView(values) && nativeStorage(values, dtype)) {
    storage = values as TypedArray;
  } else {
    storage = allocateArray(dtype, values.length);
    for (let i = 0; i < values.length; i++) storage[i] = dtype === 'bool' ? (values[i] ? 1 : 0) : values[i]!;
  }
  const requiresGrad = checkRequiresGrad('tensor', dtype, options.requiresGrad);
  const result = new Tensor(backend.fromData(storage, resolved, dtype), resolved, dtype, backend);
  result.requiresGrad = requiresGrad;
  return result;
}

/**
 * Creates a tensor from a number, nested arrays of numbers/booleans, or a typed array with
 * `shape` (1-D by default).
 */
export function tensor(
  data: NestedArray | TypedArray,
  options: CreationOptions & { shape?: readonly number[] } = {},
): Tensor {
  if (ArrayBuffer.isView(data)) return fromHost(data, options.shape ?? [data.length], options);
  const shape: number[] = [];
  for (let level: NestedArray = data; Array.isArray(level); level = level[0]!) {
    shape.push(level.length);
    if (level.length === 0) break;
  }
  const flat: number[] = [];
  let sawBoolean = false;
  const walk = (value: NestedArray, depth: number, path: number[]): void => {
    if (Array.isArray(value)) {
      if (depth >= shape.length || value.length !== shape[depth]) {
        throw new ShapeError(
          `tensor: ragged nested array at index [${path.join(',')}]: expected ${depth < shape.length ? `length ${shape[depth]}` : 'a number'}, got an array of length ${value.length}`,
        );
      }
      value.forEach((item, i) => walk(item, depth + 1, [...path, i]));
    } else {
      if (depth !== shape.length)
        throw new ShapeError(
          `tensor: ragged nested array at index [${path.join(',')}]: expected an array of length ${shape[depth]}, got ${value}`,
        );
      if (typeof value === 'boolean') sawBoolean = true;
      else if (typeof value !== 'number')
        throw new ArgumentError(
          `tensor: expected numbers or booleans, got ${typeof value} at index [${path.join(',')}]`,
        );
      flat.push(Number(value));
    }
  };
  walk(data, 0, []);
  const finalShape = options.shape ?? shape;
  return fromHost(flat, finalShape, { ...options, dtype: options.dtype ?? (sawBoolean ? 'bool' : 'float32') });
}

/** A tensor of `shape` filled with `value`. */
export function full(shape: readonly number[], value: number, options: CreationOptions = {}): Tensor {
  const backend = resolveBackend(options.backend);
  const dtype = options.dtype ?? 'float32';
  const resolved = creatableShape('full', shape);
  const requiresGrad = checkRequiresGrad('full', dtype, options.requiresGrad);
  const handle = allocating('full', resolved, dtype, () => backend.fill(resolved, value, dtype));
  const result = new Tensor(handle, resolved, dtype, backend);
  result.requiresGrad = requiresGrad;
  return result;
}

/**
 * Only float tensors take gradients (PyTorch: "Only Tensors of floating point dtype can require
 * gradients"); an int32 or bool tensor marked so would print requires_grad=True and then fail
 * backward() with "does not require gradients".
 */
function checkRequiresGrad(where: string, dtype: DType, requiresGrad: boolean | undefined): boolean {
  if (requiresGrad === true && !isFloat(dtype))
    throw new DTypeError(
      `${where}: only float tensors can require gradients, got dtype ${dtype}; create it as float32 or cast it with .cast('float32')`,
    );
  return requiresGrad ?? false;
}

export const zeros = (shape: readonly number[], options: CreationOptions = {}): Tensor => full(shape, 0, options);
export const ones = (shape: readonly number[], options: CreationOptions = {}): Tensor => full(shape, 1, options);
export const scalar = (value: number, options: CreationOptions = {}): Tensor => full([], value, options);
export const zerosLike = (x: Tensor, options: CreationOptions = {}): Tensor =>
  full(x.shape, 0, { dtype: x.dtype, backend: x.backend, ...options });
export const onesLike = (x: Tensor, options: CreationOptions = {}): Tensor =>
  full(x.shape, 1, { dtype: x.dtype, backend: x.backend, ...options });
export const fullLike = (x: Tensor, value: number, options: CreationOptions = {}): Tensor =>
  full(x.shape, value, { dtype: x.dtype, backend: x.backend, ...options });

/**
 * Evenly spaced values in [start, stop): `arange(5)`, `arange(2, 10, 2)`. float32 unless
 * `dtype` says otherwise.
 */
export function arange(
  startOrStop: number,
  stopOrOptions?: number | CreationOptions,
  step = 1,
  options: CreationOptions = {},
): Tensor {
  const [start, stop, opts] =
    typeof stopOrOptions === 'number' ? [startOrStop, stopOrOptions, options] : [0, startOrStop, stopOrOptions ?? {}];
  if (step === 0 || !Number.isFinite(step))
    throw new ArgumentError(`arange: step must be a finite non-zero number, got ${step}`);
  const count = Math.max(0, Math.ceil((stop - start) / step));
  const values = new Float64Array(count);
  for (let i = 0; i < count; i++) values[i] = start + i * step;
  return fromHost(values, [count], { ...opts, dtype: opts.dtype ?? 'float32' });
}

/** The n x m identity matrix (m = n by default). */
export function eye(n: number, m: number | CreationOptions = n, options: CreationOptions = {}): Tensor {
  const [cols, opts] = typeof m === 'number' ? [m, options] : [n, m];
  const values = new Float64Array(n * cols);
  for (let i = 0; i < Math.min(n, cols); i++) values[i * cols + i] = 1;
  return fromHost(values, [n, cols], { ...opts, dtype: opts.dtype ?? 'float32' });
}

/** Uniform in [low, high) from the seeded host generator, identical on every backend. */
export function rand(shape: readonly number[], options: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const generator = options.generator ?? defaultGenerator;
  const resolved = creatableShape('rand', shape);
  return fromHost(generator.uniform(sizeOf(resolved), options.low ?? 0, options.high ?? 1), resolved, {
    ...options,
    dtype: options.dtype ?? 'float32',
  });
}

/** Normal(mean, std) from the seeded host generator, identical on every backend. */
export function randn(shape: readonly number[], options: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const generator = options.generator ?? defaultGenerator;
  const resolved = creatableShape('randn', shape);
  return fromHost(generator.normal(sizeOf(resolved), options.mean ?? 0, options.std ?? 1), resolved, {
    ...options,
    dtype: options.dtype ?? 'float32',
  });
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: readonly number[], options: RandomOptions = {}): Tensor {
  const generator = options.generator ?? defaultGenerator;
  const resolved = creatableShape('randint', shape);
  return fromHost(generator.integers(sizeOf(resolved), low, high), resolved, {
    ...options,
    dtype: options.dtype ?? 'int32',
  });
}
