import type { BackendHandle, DType, Shape, TypedArray } from '@myelin/core/backend';

/** Row-major host storage with its shape and dtype: what every kernel reads and returns. */
export interface HostTensor {
  readonly data: TypedArray;
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * What a cpu-reference handle holds: row-major storage, its shape and dtype. Kernels never
 * write into an input's `data`, so two handles may share one array (see reshape).
 */
export class CpuHandle implements BackendHandle, HostTensor {
  declare readonly __myelinHandle?: never;
  disposed = false;
  constructor(
    public data: TypedArray,
    readonly shape: Shape,
    readonly dtype: DType,
    /** The backend instance that counts this handle as live. */
    readonly owner: object,
  ) {}
}

/** A zeroed host array of `dtype` (core's, under the name the kernels use). */
export { allocateArray as allocate } from '@myelin/core/backend';
