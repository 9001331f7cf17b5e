import type { Backend } from '../backend/contract.js';
import type { Checkpoint } from './checkpoint.js';
import {
  assembleCheckpoint,
  collectCheckpoint,
  parseCheckpointMeta,
  type CheckpointSources,
} from './checkpoint-meta.js';
import { CheckpointError } from './errors.js';
import { decodeSafetensors, encodeHostSafetensors, type DecodedSafetensors, type HostTensor } from './safetensors.js';

// A whole checkpoint in one safetensors file, for the browser's export/import (layout in
// checkpoint.ts): model tensors by name, optimizer tensors under OPTIMIZER_PREFIX, meta in
// the metadata.

/** The metadata key that holds the checkpoint's meta JSON. */
export const BUNDLE_META_KEY = 'myelin.checkpoint';
/** The prefix of optimizer tensor keys; `/` never appears in a stateDict name. */
export const OPTIMIZER_PREFIX = 'optimizer/';

/** Packs a checkpoint into one safetensors file (reads every tensor; takes none). */
export async function packCheckpoint(checkpoint: Checkpoint): Promise<Uint8Array> {
  const { meta, model, optimizer } = await collectCheckpoint(checkpoint);
  const tensors: Record<string, HostTensor> = { ...model };
  for (const name of Object.keys(model)) {
    if (name.startsWith(OPTIMIZER_PREFIX))
      throw new CheckpointError(
        `packCheckpoint: model tensor '${name}' starts with '${OPTIMIZER_PREFIX}', which the bundle reserves for optimizer state`,
      );
  }
  for (const [key, value] of Object.entries(optimizer ?? {})) tensors[`${OPTIMIZER_PREFIX}${key}`] = value;
  return encodeHostSafetensors(tensors, { format: 'pt', [BUNDLE_META_KEY]: JSON.stringify(meta) });
}

/** Unpacks `packCheckpoint`'s file; its tensors are new and the caller's (see disposeCheckpoint). */
export function unpackCheckpoint(
  bytes: Uint8Array,
  options: { backend?: Backend | string; source?: string } = {},
): Checkpoint {
  const source = options.source ?? 'checkpoint bundle';
  const decoded = decodeSafetensors(bytes, { source });
  const metaText = decoded.metadata[BUNDLE_META_KEY];
  if (metaText === undefined) {
    throw new CheckpointError(
      `${source}: a safetensors file but not a Myelin checkpoint bundle: its metadata has no '${BUNDLE_META_KEY}' entry (keys: ${Object.keys(decoded.metadata).join(', ') || 'none'})`,
      { file: source },
    );
  }
  const sources: CheckpointSources = {
    meta: `${source} metadata`,
    weights: `${source} model tensors`,
    optimizer: `${source} optimizer tensors`,
  };
  const meta = parseCheckpointMeta(metaText, sources.meta);
  const model: DecodedSafetensors = { tensors: {}, metadata: {} };
  const optimizer: DecodedSafetensors = { tensors: {}, metadata: {} };
  for (const [name, value] of Object.entries(decoded.tensors)) {
    if (name.startsWith(OPTIMIZER_PREFIX)) optimizer.tensors[name.slice(OPTIMIZER_PREFIX.length)] = value;
    else model.tensors[name] = value;
  }
  if (meta.optimizer === undefined && Object.keys(optimizer.tensors).length > 0) {
    throw new CheckpointError(
      `${source}: holds optimizer tensors (${Object.keys(optimizer.tensors).join(', ')}) but its meta records no optimizer state`,
      { file: source },
    );
  }
  const backend = options.backend === undefined ? {} : { backend: options.backend };
  return assembleCheckpoint(meta, model, meta.optimizer === undefined ? undefined : optimizer, backend, sources);
}
