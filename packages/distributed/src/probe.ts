import { detectLaunch } from './environment.js';
import { loadAddon } from './native.js';

/** What `probe()` reports: whether MPI loads here, its version, and whether mpirun started this process. */
export interface MpiProbe {
  usable: boolean;
  /** Why not, with what to install. */
  reason?: string;
  /** e.g. 'Open MPI v4.1.4, package: Debian OpenMPI, ...' (the first line). */
  library?: string;
  details: Record<string, string>;
}

/** Loads the addon (without initialising MPI) and says whether distributed training can run. Never throws. */
export function probeMpi(): MpiProbe {
  const result = loadAddon();
  const launch = detectLaunch();
  const details: Record<string, string> = {
    addon: result.path,
    launched: launch ? `by ${launch.launcher}: rank ${launch.rank} of ${launch.size}` : 'no (run under mpirun -np N)',
  };
  if (result.addon === undefined) return { usable: false, reason: result.error, details };
  try {
    const library = result.addon.libraryVersion().split('\n')[0]!.trim();
    details.library = library;
    return { usable: true, library, details };
  } catch (error) {
    return { usable: false, reason: (error as Error).message, details };
  }
}
