import { CheckpointError } from './errors.js';
import { describe } from './safetensors.js';

/** How a non-finite number is written, since JSON has no NaN or Infinity (metrics often hold them). */
const NUMBER_TAG = '$number';

/**
 * Turns a value into plain JSON data, or throws a CheckpointError naming the path of the first
 * thing JSON cannot carry (a Tensor, a typed array, a function, a cycle...). NaN and +-Infinity
 * become `{"$number": "NaN" | "Infinity" | "-Infinity"}`; `toJSON` methods are honoured;
 * undefined object members are dropped, as JSON.stringify does.
 */
export function toJsonValue(value: unknown, path: string, seen: Set<object> = new Set()): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : { [NUMBER_TAG]: String(value) };
  if (typeof value !== 'object') throw new CheckpointError(`${path} is ${describe(value)}, which JSON cannot hold`);
  if (
    (value as { isMyelinTensor?: boolean }).isMyelinTensor ||
    ArrayBuffer.isView(value) ||
    value instanceof Map ||
    value instanceof Set
  ) {
    throw new CheckpointError(
      `${path} is ${describe(value)}, which the checkpoint's JSON cannot hold; tensors belong in modelState or optimizerState, and arrays must be plain arrays (Array.from)`,
    );
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function')
    return toJsonValue((value as { toJSON(): unknown }).toJSON(), path, seen);
  if (seen.has(value)) throw new CheckpointError(`${path} refers back to itself (a cycle), which JSON cannot hold`);
  seen.add(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((item, i) => (item === undefined ? null : toJsonValue(item, `${path}[${i}]`, seen)));
  } else {
    const record: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item !== undefined) record[key] = toJsonValue(item, `${path}.${key}`, seen);
    }
    out = record;
  }
  seen.delete(value);
  return out;
}

/** The reviver for JSON.parse that undoes `toJsonValue`'s encoding of non-finite numbers. */
export function reviveJsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const tagged = (value as Record<string, unknown>)[NUMBER_TAG];
    if (keys.length === 1 && (tagged === 'NaN' || tagged === 'Infinity' || tagged === '-Infinity'))
      return Number(tagged);
  }
  return value;
}
