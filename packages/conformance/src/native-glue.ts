// Probes of a native addon's glue (the raw Node-API functions below a backend), shared by the
// native backends' own tests: the same contract holds for every addon built on core's
// NativePrimitiveAddon / NativeFusedAddon.
import { expect } from 'vitest';
import { NATIVE_CODES, type NativeFusedAddon, type NativePrimitiveAddon } from '@myelin/core/backend';

/** What the optimizer probe needs of an addon, and a synchronous read of a handle's values. */
export interface OptimizerTableAddon {
  addon: Pick<NativePrimitiveAddon, 'fromData' | 'fill'> & Pick<NativeFusedAddon, 'adamUpdateMany' | 'sgdUpdateMany'>;
  read(id: number): ArrayLike<number>;
}

/**
 * The multi-tensor optimizers read their id table once: an `out` array that overlaps `ids` (the
 * glue writes outputs as it goes) gives the same results as a separate one. Before the glue
 * copied the table first, Adam read its own fresh output back as a gradient and SGD read a
 * handle -1 it had just written.
 */
export function expectOptimizerTablesReadOnce({ addon, read }: OptimizerTableAddon): void {
  const F32 = NATIVE_CODES.dtype.float32;
  const values = (ids: Int32Array) => Array.from(ids, (id) => Array.from(read(id)));
  const param = () => addon.fromData(new Float32Array([1, 2]), [2], F32);
  const grad = () => addon.fromData(new Float32Array([0.5, -0.5]), [2], F32);
  const adam = (alias: boolean) => {
    const ids = new Int32Array([param(), grad(), addon.fill([2], 0, F32), addon.fill([2], 0, F32)]);
    const out = alias ? ids.subarray(1) : new Int32Array(3);
    addon.adamUpdateMany(ids, out, 0.1, 0.9, 0.999, 1e-8, 0, 1, 1, 1, 1);
    return values(out);
  };
  expect(adam(true)).toEqual(adam(false));
  const sgd = (alias: boolean) => {
    const ids = new Int32Array([param(), grad(), -1]);
    const out = alias ? ids.subarray(0, 2) : new Int32Array(2);
    addon.sgdUpdateMany(ids, out, 0.1, 0.9, 0, 0, false);
    return values(out);
  };
  expect(sgd(true)).toEqual(sgd(false));
}
