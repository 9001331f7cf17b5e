// '@myelin/core/node': checkpoint and atomic file I/O for Node (node:fs/promises). The
// browser-safe format functions live in '@myelin/core'.
export { saveCheckpoint, loadCheckpoint, listCheckpoints, type CheckpointFileOptions } from './checkpoint-files.js';
export {
  writeFileAtomic,
  removeStaleTemporaries,
  nodeFileSystem,
  type AtomicWriteOptions,
  type FileSystemOperations,
  type WritableFile,
} from './atomic-write.js';
export { loadNativeAddon, nativeAddonPath, type NativeAddonErrors, type NativeAddonLoad } from './native-addon.js';
