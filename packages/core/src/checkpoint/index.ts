export { CheckpointError } from './errors.js';
export {
  encodeSafetensors,
  encodeHostSafetensors,
  decodeSafetensors,
  tensorsFromSafetensors,
  SAFETENSORS_DTYPES,
  type DecodedSafetensors,
  type DecodedTensor,
  type HostTensor,
} from './safetensors.js';
export {
  serializeCheckpoint,
  deserializeCheckpoint,
  disposeCheckpoint,
  checkpointFileNames,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type Checkpoint,
  type CheckpointOptimizerState,
  type SerializedCheckpoint,
  type CheckpointFileLocation,
} from './checkpoint.js';
export type {
  CheckpointMeta,
  CheckpointFileInfo,
  CheckpointTensorEntry,
  CheckpointSources,
  OptimizerStateEntry,
} from './checkpoint-meta.js';
export { packCheckpoint, unpackCheckpoint, BUNDLE_META_KEY } from './bundle.js';
