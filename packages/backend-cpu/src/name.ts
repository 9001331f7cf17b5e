import { type DType, UnsupportedOpError } from '@myelin/core/backend';

/** The registry name of this backend. */
export const CPU_BACKEND_NAME = 'cpu';

/** The typed error for a kernel this backend does not run for `dtype`. */
export function unsupported(op: string, dtype: DType, detail?: string): UnsupportedOpError {
  return new UnsupportedOpError(op, dtype, CPU_BACKEND_NAME, detail);
}
