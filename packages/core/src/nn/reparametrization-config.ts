import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Module, ModuleConfig } from './module.js';

/**
 * How a module's config records its reparametrizations (weightNorm, spectralNorm, parametrize),
 * in the order they were applied, under `reparametrizations`, so moduleFromConfig redoes them
 * and a checkpoint's state dict (torch's names) loads into the rebuilt model. Each record
 * describes itself when the config is made (a user's parametrization may refuse then).
 */
type Describe = () => Record<string, unknown>;

interface StoredRecord {
  describe: Describe;
  /** The reparametrized field and the tensor stored for it (weight_v, weight_orig, original). */
  name: string;
  stored: () => Tensor;
}

const recorded = new WeakMap<
  Module,
  { records: Map<object, StoredRecord>; ownConfig: PropertyDescriptor | undefined }
>();
/** How many modules have records: checkedModelConfig checks nothing while none has. */
let recordedModules = 0;
/** During checkedModelConfig's config() call: the modules whose records it reached. */
let reached: Set<Module> | null = null;

/**
 * `model.config()` for a checkpoint (captureCheckpoint, AveragedModel's copy), checked to hold the
 * records of every reparametrized descendant: a container whose config rebuilds its children from
 * its own options (TransformerEncoderLayer, ...) would drop them, and the checkpoint's state dict
 * would not load into the rebuilt model. Refuses then, naming the descendant.
 */
export function checkedModelConfig(model: Module): ModuleConfig {
  if (reached !== null || recordedModules === 0) return model.config();
  reached = new Set();
  let config: ModuleConfig;
  let missing: [string, Module][];
  try {
    config = model.config();
    const seen = reached;
    missing = model.namedModules().filter(([, m]) => recorded.has(m) && !seen.has(m));
  } finally {
    reached = null;
  }
  if (missing.length > 0) {
    const [path, descendant] = missing[0]!;
    const types = [...recorded.get(descendant)!.records.values()].map((r) => r.describe()['type']);
    throw new ArgumentError(
      `${model.typeName}.config(): its descendant '${path}' (${descendant.typeName}) has ${types.join(', ')}, which the config cannot record (a container on its path rebuilds that child from its own options), so a checkpoint would not rebuild it; remove the reparametrization before saving, or reparametrize a layer whose config its container includes (Sequential, ModuleList, ...)`,
    );
  }
  return config;
}

/**
 * Adds a record under `key` (any object; `forgetReparametrization` takes it back). While the
 * module's own config() runs, its field `name` reads `stored()` instead of computing the weight:
 * a config must neither allocate nor advance a power iteration.
 */
export function recordReparametrization(
  module: Module,
  key: object,
  name: string,
  stored: () => Tensor,
  describe: Describe,
): void {
  let entry = recorded.get(module);
  if (entry === undefined) {
    entry = { records: new Map(), ownConfig: Object.getOwnPropertyDescriptor(module, 'config') };
    recorded.set(module, entry);
    recordedModules++;
    const base = module.config.bind(module);
    const records = entry.records;
    Object.defineProperty(module, 'config', {
      configurable: true,
      writable: true,
      value: (): ModuleConfig => {
        reached?.add(module);
        return {
          ...withStoredFields(module, [...records.values()], base),
          reparametrizations: [...records.values()].map((r) => r.describe()),
        };
      },
    });
  }
  entry.records.set(key, { describe, name, stored });
}

/** Runs `body` with each reparametrized field of `module` reading its stored tensor (the first record per name). */
function withStoredFields<T>(module: Module, records: StoredRecord[], body: () => T): T {
  const saved = new Map<string, PropertyDescriptor | undefined>();
  try {
    for (const { name, stored } of records) {
      if (saved.has(name)) continue;
      saved.set(name, Object.getOwnPropertyDescriptor(module, name));
      Object.defineProperty(module, name, { configurable: true, enumerable: true, value: stored() });
    }
    return body();
  } finally {
    for (const [name, descriptor] of saved)
      if (descriptor === undefined) delete (module as unknown as Record<string, unknown>)[name];
      else Object.defineProperty(module, name, descriptor);
  }
}

export function forgetReparametrization(module: Module, key: object): void {
  const entry = recorded.get(module);
  if (entry === undefined || !entry.records.delete(key) || entry.records.size > 0) return;
  recorded.delete(module);
  recordedModules--;
  if (entry.ownConfig === undefined) delete (module as { config?: unknown }).config;
  else Object.defineProperty(module, 'config', entry.ownConfig);
}
