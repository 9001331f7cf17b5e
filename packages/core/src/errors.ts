import type { DType } from './backend/contract.js';

/** Base class of every error Myelin throws on purpose, so callers can tell ours from bugs. */
export class MyelinError extends Error {
  override name = 'MyelinError';
}

/** Shapes that do not fit an op: the message shows every shape involved. */
export class ShapeError extends MyelinError {
  override name = 'ShapeError';
}

/** A dtype an op does not accept. */
export class DTypeError extends MyelinError {
  override name = 'DTypeError';
}

/** A bad argument other than a shape or a dtype (an axis out of range, a negative size...). */
export class ArgumentError extends MyelinError {
  override name = 'ArgumentError';
}

/** Use of a tensor after `dispose()` (its storage is gone). */
export class DisposedTensorError extends MyelinError {
  override name = 'DisposedTensorError';
}

/** A backend was asked for a kernel it does not implement for this dtype. */
export class UnsupportedOpError extends MyelinError {
  override name = 'UnsupportedOpError';
  constructor(
    readonly op: string,
    readonly dtype: DType,
    readonly backend: string,
    detail?: string,
  ) {
    super(`backend '${backend}' does not support op '${op}' for dtype ${dtype}${detail ? `: ${detail}` : ''}`);
  }
}

/** Registry problems: an unknown backend name, a contract version mismatch. */
export class BackendError extends MyelinError {
  override name = 'BackendError';
}

/** Tensors from two different backends met in one op. */
export class BackendMismatchError extends MyelinError {
  override name = 'BackendMismatchError';
}

/** Formats a shape the way error messages print it: [2,3]. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * How a value prints in an error message: strings quoted, numbers and other primitives as
 * written, tensors by shape, arrays and objects as short JSON. The one rendering every usage
 * error in core, the backends and the CLI uses.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value !== 'object' || value === null) return typeof value === 'function' ? 'a function' : String(value);
  // tensor/is-tensor's check, inline: the backend entry (@myelin/core/backend) loads this file and no tensor module.
  if ((value as { isMyelinTensor?: boolean }).isMyelinTensor === true) {
    return `a Tensor of shape ${formatShape((value as { shape: readonly number[] }).shape)}`;
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  if (json === undefined) return Object.prototype.toString.call(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
