import type { TypedArray } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { isFloat, sizeOf } from '@myelin/core/backend';
import { unsupported } from '../name.js';

/** Slices of at least this many elements are moved with `set`/`subarray` rather than a loop. */
const BULK_COPY = 32;

/**
 * x viewed as [outer, length, inner] and indices flattened to [count]:
 * out[o, t, :] = x[o, indices[t], :].
 */
export function gather(x: HostTensor, indices: HostTensor, axis: number): HostTensor {
  const shape = [...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)];
  const outer = sizeOf(x.shape.slice(0, axis));
  const length = x.shape[axis]!;
  const inner = sizeOf(x.shape.slice(axis + 1));
  const index = indices.data;
  const count = index.length;
  const source = x.data;
  const out = allocate(x.dtype, outer * count * inner);
  let t = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * length;
    for (let i = 0; i < count; i++, t += inner) {
      const s = (base + index[i]!) * inner;
      if (inner >= BULK_COPY) out.set(source.subarray(s, s + inner), t);
      else for (let j = 0; j < inner; j++) out[t + j] = source[s + j]!;
    }
  }
  return { data: out, shape, dtype: x.dtype };
}

/**
 * The adjoint of gather: out (zeros, with `dimSize` entries on `axis`) gets each slice of
 * updates added at its index. Floats accumulate in double, int32 wraps like its storage.
 */
export function scatterAdd(updates: HostTensor, indices: HostTensor, axis: number, dimSize: number): HostTensor {
  const dtype = updates.dtype;
  if (dtype === 'bool') throw unsupported('scatterAdd', dtype, 'cast to int32 or float32 first');
  const indexRank = indices.shape.length;
  const shape = [...updates.shape.slice(0, axis), dimSize, ...updates.shape.slice(axis + indexRank)];
  const outer = sizeOf(updates.shape.slice(0, axis));
  const inner = sizeOf(updates.shape.slice(axis + indexRank));
  const index = indices.data;
  const count = index.length;
  const source = updates.data;
  const acc: TypedArray = isFloat(dtype) ? new Float64Array(sizeOf(shape)) : new Int32Array(sizeOf(shape));
  let s = 0;
  for (let o = 0; o < outer; o++) {
    const base = o * dimSize;
    for (let i = 0; i < count; i++, s += inner) {
      const t = (base + index[i]!) * inner;
      for (let j = 0; j < inner; j++) acc[t + j] = acc[t + j]! + source[s + j]!;
    }
  }
  const out = dtype === 'float32' ? new Float32Array(acc) : acc;
  return { data: out, shape, dtype };
}
