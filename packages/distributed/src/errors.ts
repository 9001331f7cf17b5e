import { MyelinError } from '@myelin/core';

/** What to install where MPI is missing. */
export const MPI_INSTALL_HINT =
  'install Open MPI (Debian: apt-get install openmpi-bin libopenmpi-dev, or run ./setup), then rebuild with `pnpm --filter @myelin/distributed build`';

/** Distributed training could not start or continue: MPI missing, a bad launch, a world-size mismatch. */
export class DistributedError extends MyelinError {
  override name = 'DistributedError';
}
