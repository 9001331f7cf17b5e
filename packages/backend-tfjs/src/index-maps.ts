// Constant int32 index maps (which element each output reads), built on the host once per
// geometry and tfjs instance, kept alive outside every tidy and reused by the gather kernels.
import type { KernelContext, Tensor } from './context.js';

const caches = new WeakMap<object, Map<string, Tensor>>();
const MAX_CACHED_MAPS = 64;

/** The cached int32 tensor for `key`, built by `build` on a miss (the cache is dropped when full). */
export function cachedIndexMap(ctx: KernelContext, key: string, build: () => Int32Array): Tensor {
  let cache = caches.get(ctx.tf);
  if (cache === undefined) caches.set(ctx.tf, (cache = new Map()));
  const hit = cache.get(key);
  if (hit !== undefined && !hit.isDisposed) return hit;
  if (cache.size >= MAX_CACHED_MAPS) {
    for (const old of cache.values()) old.dispose();
    cache.clear();
  }
  const indices = ctx.tf.keep(ctx.tf.tensor1d(build(), 'int32'));
  cache.set(key, indices);
  return indices;
}
