import { ArgumentError } from '../errors.js';
import type { Tensor } from './tensor.js';
import { isTensor } from './is-tensor.js';

/**
 * Memory scopes. GPU memory is not garbage-collected in time, so core owns disposal: every
 * tensor created while a scope is open belongs to it, and `tidy` disposes all of them except
 * what its function returns (and what `keep` marked).
 *
 * A scope is a plain array, and each tensor records (under SCOPE) the one scope that owns it:
 * `keep` and moving a result to the enclosing scope only change that mark, and a scope skips
 * the tensors it no longer owns when it closes. No hashing per op (this runs for every tensor).
 */
export type Scope = Tensor[];

/** The property under which a tensor records the scope that owns it (null: none). */
export const SCOPE: unique symbol = Symbol('myelin.scope');

const scopes: Scope[] = [];

/** Called by the Tensor constructor: the newest open scope adopts the tensor. */
export function trackTensor(tensor: Tensor): void {
  const n = scopes.length;
  if (n === 0) {
    tensor[SCOPE] = null;
    return;
  }
  const scope = scopes[n - 1]!;
  scope.push(tensor);
  tensor[SCOPE] = scope;
}

/** Removes a tensor from every open scope: it now lives until disposed explicitly. */
export function keep<T extends Tensor>(tensor: T): T {
  tensor[SCOPE] = null;
  return tensor;
}

/** Disposes every tensor `scope` still owns (an op or tidy body threw). */
function disposeOwned(scope: Scope): void {
  for (const tensor of scope) if (tensor[SCOPE] === scope) release(tensor);
}

/** Disposes a tensor its scope owned, and drops its mark (a freed tensor should not keep the scope's list alive). */
function release(tensor: Tensor): void {
  tensor[SCOPE] = null;
  tensor.dispose();
}

/** A value `tidy` may return: tensors anywhere inside arrays and plain objects are kept. */
export type TensorContainer =
  Tensor | number | string | boolean | null | undefined | void | TensorContainer[] | { [key: string]: TensorContainer };

/**
 * Runs `fn`, then disposes every tensor created inside it except the returned ones, which
 * move to the enclosing scope. `fn` must be synchronous: an async function would let the
 * scope close before its tensors are created.
 */
export function tidy<T extends TensorContainer>(fn: () => T): T {
  const scope: Scope = [];
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new ArgumentError('tidy: the function returned a Promise; tidy only takes synchronous functions');
    }
  } catch (error) {
    disposeOwned(scope);
    throw error;
  } finally {
    scopes.pop();
  }
  if (scope.length === 0) return result;
  // The common results (nothing, one tensor) need no set of returned tensors.
  let single: Tensor | null = null;
  let returned: Set<Tensor> | readonly unknown[] | null = null;
  if (result !== null && typeof result === 'object') {
    if (isTensor(result)) single = result;
    else if (isFlatTensorList(result)) returned = result;
    else collectTensors(result, (returned = new Set<Tensor>()));
  }
  const parent = scopes.length > 0 ? scopes[scopes.length - 1]! : null;
  for (const tensor of scope) {
    if (tensor[SCOPE] !== scope) continue;
    if (
      tensor === single ||
      (returned !== null &&
        (Array.isArray(returned) ? returned.includes(tensor) : (returned as Set<Tensor>).has(tensor)))
    ) {
      tensor[SCOPE] = parent;
      parent?.push(tensor);
    } else {
      release(tensor);
    }
  }
  return result;
}

/** A short array of tensors and nulls (what gradient rules return): searched in place. */
function isFlatTensorList(value: object): value is readonly unknown[] {
  if (!Array.isArray(value) || value.length > 4) return false;
  for (const item of value)
    if (item !== null && item !== undefined && !(typeof item === 'object' && isTensor(item))) return false;
  return true;
}

function collectTensors(value: unknown, into: Set<Tensor>): void {
  if (value === null || typeof value !== 'object') return;
  if (isTensor(value)) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const item of value) collectTensors(item, into);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectTensors(item, into);
  }
}

/** Disposes every tensor found in a container (arrays and plain objects are searched). */
export function dispose(container: TensorContainer): void {
  const found = new Set<Tensor>();
  collectTensors(container, found);
  for (const tensor of found) tensor.dispose();
}

/**
 * Runs the body of a composite op (softmax, clamp, ...) so that its intermediates never leak:
 * when the result is on the tape they live exactly as long as the result (its graph needs
 * them); otherwise they are freed at once.
 */
export function composite(fn: () => Tensor): Tensor {
  const scope: Scope = [];
  scopes.push(scope);
  let result: Tensor;
  try {
    result = fn();
  } catch (error) {
    disposeOwned(scope);
    throw error;
  } finally {
    scopes.pop();
  }
  if (result[SCOPE] === scope) trackTensor(result);
  const recorded = result.gradNode !== null;
  for (const intermediate of scope) {
    if (intermediate[SCOPE] !== scope || intermediate === result) continue;
    if (recorded) result.adoptConstant(intermediate);
    else release(intermediate);
  }
  return result;
}

/**
 * Like `composite` for an op with several results (a layer's output and final state): every
 * result leaves the scope, and the intermediates, which the results' graphs share, are tied to
 * the first. Outside `tidy`, dispose the first result last.
 */
export function compositeResults(fn: () => Tensor[]): Tensor[] {
  let rest: Tensor[] = [];
  const first = composite(() => {
    const [head, ...tail] = fn();
    rest = tail;
    for (const t of rest) keep(t); // out of this scope: composite neither adopts nor frees it
    return head!;
  });
  for (const t of rest) trackTensor(t); // owned by the enclosing scope, as a result should be
  return [first, ...rest];
}
