// @myelin/distributed: data-parallel training over MPI (Open MPI's mpirun launches the ranks).
export { DistributedError, MPI_INSTALL_HINT } from './errors.js';
export {
  LocalCommunicator,
  MpiCommunicator,
  initMpi,
  type Communicator,
  type ReducePart,
  type ReduceOp,
} from './communicator.js';
export { detectLaunch, type LaunchInfo } from './environment.js';
export { probeMpi, type MpiProbe } from './probe.js';
export { addonPath, type MpiAddon } from './native.js';
export { DistributedDataParallel, type DistributedDataParallelOptions, type CommunicationStats } from './ddp.js';
export { distributedFit, type DistributedFitOptions } from './distributed-fit.js';
export { checkResumeWorldSize, distributedCheckpointExtra, type DistributedRunInfo } from './world-size.js';
