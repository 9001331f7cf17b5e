import { ArgumentError } from '../errors.js';
import type { Tensor } from './tensor.js';

/**
 * Memory scopes. GPU memory is not garbage-collected in time, so core owns disposal: every
 * tensor created while a scope is open belongs to it, and `tidy` disposes all of them except
 * what its function returns (and what `keep` marked).
 */

const scopes: Set<Tensor>[] = [];

/** Called by the Tensor constructor: the newest open scope adopts the tensor. */
export function trackTensor(tensor: Tensor): void {
  scopes[scopes.length - 1]?.add(tensor);
}

/** Removes a tensor from every open scope: it now lives until disposed explicitly. */
export function keep<T extends Tensor>(tensor: T): T {
  for (const scope of scopes) scope.delete(tensor);
  return tensor;
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
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
    if (result instanceof Promise) {
      throw new ArgumentError('tidy: the function returned a Promise; tidy only takes synchronous functions');
    }
  } catch (error) {
    for (const tensor of scope) tensor.dispose();
    throw error;
  } finally {
    scopes.pop();
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned);
  const parent = scopes[scopes.length - 1];
  for (const tensor of scope) {
    if (returned.has(tensor)) parent?.add(tensor);
    else tensor.dispose();
  }
  return result;
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

function isTensor(value: object): value is Tensor {
  return (value as { readonly isMyelinTensor?: boolean }).isMyelinTensor === true;
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
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: Tensor;
  try {
    result = fn();
  } catch (error) {
    for (const tensor of scope) tensor.dispose();
    throw error;
  } finally {
    scopes.pop();
  }
  if (scope.delete(result)) trackTensor(result);
  for (const intermediate of scope) {
    if (result.gradNode !== null) result.adoptConstant(intermediate);
    else intermediate.dispose();
  }
  return result;
}
