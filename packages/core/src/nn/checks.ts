import { ArgumentError, DTypeError, describeValue } from '../errors.js';
import type { FloatDType } from '../backend/dtypes.js';
import { rejectUnknownKeys } from '../optim/validate.js';

export type { FloatDType };

/**
 * Argument checks shared by the layer constructors and `moduleFromConfig`. `what` names the
 * argument (`'Linear: inFeatures'`, `"moduleFromConfig: Linear option 'inFeatures'"`), so one
 * check gives the right message in both places.
 */

export { describeValue };

export function checkPositiveInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ArgumentError(`${what} must be a positive integer, got ${describeValue(value)}`);
  }
  return value;
}

export function checkInteger(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new ArgumentError(`${what} must be an integer, got ${describeValue(value)}`);
  }
  return value;
}

export interface NumberRange {
  min?: number;
  max?: number;
  /** Whether `max` itself is excluded (a half-open range). */
  maxExclusive?: boolean;
}

/** A finite number, optionally inside [min, max] (or [min, max)). */
export function checkNumber(what: string, value: unknown, range: NumberRange = {}): number {
  const { min, max, maxExclusive = false } = range;
  const tooLow = min !== undefined && (value as number) < min;
  const tooHigh = max !== undefined && (maxExclusive ? (value as number) >= max : (value as number) > max);
  if (typeof value !== 'number' || !Number.isFinite(value) || tooLow || tooHigh) {
    let allowed = 'a finite number';
    if (min !== undefined && max !== undefined) allowed = `a number in [${min}, ${max}${maxExclusive ? ')' : ']'}`;
    else if (min !== undefined) allowed = `a number >= ${min}`;
    else if (max !== undefined) allowed = `a number ${maxExclusive ? '<' : '<='} ${max}`;
    throw new ArgumentError(`${what} must be ${allowed}, got ${describeValue(value)}`);
  }
  return value;
}

export function checkBoolean(what: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new ArgumentError(`${what} must be true or false, got ${describeValue(value)}`);
  return value;
}

/** Layers hold float parameters only: gradients need them. */
export function checkFloatDtype(what: string, value: unknown): FloatDType {
  if (value !== 'float32' && value !== 'float64') {
    throw new DTypeError(`${what} must be 'float32' or 'float64', got ${describeValue(value)}`);
  }
  return value;
}

/**
 * A layer's options object: not a positional value (PyTorch's `nn.Linear(2, 2, False)` would
 * otherwise be ignored) and no option the layer does not have (`pading`, PyTorch's `padding_idx`).
 */
export function checkOptions(layer: string, options: unknown, allowed: readonly string[]): void {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new ArgumentError(
      `${layer}: options must be an object${allowed.length > 0 ? ` like { ${allowed[0]}: ... }` : ''} (allowed: ${allowed.join(', ')}), got ${describeValue(options)}`,
    );
  rejectUnknownKeys(layer, options, allowed);
}
