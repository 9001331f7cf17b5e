import type { BackendHandle, DType, DTypeArrayMap, Shape, TypedArray } from '@myelin/core/backend';

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

/** A zeroed host array of `dtype`. */
export function allocate<D extends DType>(dtype: D, size: number): DTypeArrayMap[D];
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}
