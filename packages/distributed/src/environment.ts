// Whether this process was started by an MPI launcher, read from the variables launchers set.

/** Rank and size as the launcher announced them, or null when not launched by one. */
export interface LaunchInfo {
  launcher: string;
  rank: number;
  size: number;
  localRank?: number;
}

const LAUNCHERS: { launcher: string; rank: string; size: string; localRank?: string }[] = [
  // Open MPI's mpirun / mpiexec.
  {
    launcher: 'Open MPI',
    rank: 'OMPI_COMM_WORLD_RANK',
    size: 'OMPI_COMM_WORLD_SIZE',
    localRank: 'OMPI_COMM_WORLD_LOCAL_RANK',
  },
  // MPICH / Intel MPI (Hydra) and Slurm's srun with PMI.
  { launcher: 'PMI', rank: 'PMI_RANK', size: 'PMI_SIZE', localRank: 'MPI_LOCALRANKID' },
];

/** The launch this process belongs to, from its environment (OMPI_COMM_WORLD_SIZE, PMI_SIZE, ...). */
export function detectLaunch(env: NodeJS.ProcessEnv = process.env): LaunchInfo | null {
  for (const entry of LAUNCHERS) {
    const size = Number(env[entry.size]);
    const rank = Number(env[entry.rank]);
    if (env[entry.size] !== undefined && Number.isInteger(size) && size >= 1 && Number.isInteger(rank)) {
      const local = entry.localRank ? Number(env[entry.localRank]) : Number.NaN;
      return { launcher: entry.launcher, rank, size, ...(Number.isInteger(local) ? { localRank: local } : {}) };
    }
  }
  return null;
}
