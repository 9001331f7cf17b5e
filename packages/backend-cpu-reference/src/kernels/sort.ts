import { allocate, type HostTensor } from '../handle.js';

/**
 * The contract's order of two keys: NaN above +Infinity (all NaNs equal), -0 equal to +0.
 * Negative when a sorts before b ascending.
 */
function compareKeys(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  // One of them is NaN (or both).
  const aNaN = a !== a;
  const bNaN = b !== b;
  return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
}

/**
 * Sorts each row of the last axis: [values, int32 indices], both of x's shape. Stable in both
 * directions: equal keys keep ascending index order (the comparator breaks ties by index).
 */
export function sort(x: HostTensor, descending: boolean): [HostTensor, HostTensor] {
  const shape = x.shape;
  const data = x.data;
  const size = data.length;
  const n = shape.length === 0 ? 1 : shape[shape.length - 1]!;
  const values = allocate(x.dtype, size);
  const indices = new Int32Array(size);
  const order = new Int32Array(n);
  const sign = descending ? -1 : 1;
  for (let start = 0; start < size && n > 0; start += n) {
    for (let k = 0; k < n; k++) order[k] = k;
    order.sort((i, j) => sign * compareKeys(data[start + i]!, data[start + j]!) || i - j);
    for (let k = 0; k < n; k++) {
      const i = order[k]!;
      indices[start + k] = i;
      values[start + k] = data[start + i]!;
    }
  }
  return [
    { data: values, shape, dtype: x.dtype },
    { data: indices, shape, dtype: 'int32' },
  ];
}
