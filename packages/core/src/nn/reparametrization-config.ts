import type { Module, ModuleConfig } from './module.js';

/**
 * How a module's config records its reparametrizations (weightNorm, spectralNorm, parametrize),
 * in the order they were applied, under `reparametrizations`, so moduleFromConfig redoes them
 * and a checkpoint's state dict (torch's names) loads into the rebuilt model. Each record
 * describes itself when the config is made (a user's parametrization may refuse then).
 */
type Describe = () => Record<string, unknown>;

const recorded = new WeakMap<Module, { records: Map<object, Describe>; ownConfig: PropertyDescriptor | undefined }>();

/** Adds a record under `key` (any object; `forgetReparametrization` takes it back). */
export function recordReparametrization(module: Module, key: object, describe: Describe): void {
  let entry = recorded.get(module);
  if (entry === undefined) {
    entry = { records: new Map(), ownConfig: Object.getOwnPropertyDescriptor(module, 'config') };
    recorded.set(module, entry);
    const base = module.config.bind(module);
    const records = entry.records;
    Object.defineProperty(module, 'config', {
      configurable: true,
      writable: true,
      value: (): ModuleConfig => ({ ...base(), reparametrizations: [...records.values()].map((d) => d()) }),
    });
  }
  entry.records.set(key, describe);
}

export function forgetReparametrization(module: Module, key: object): void {
  const entry = recorded.get(module);
  if (entry === undefined || !entry.records.delete(key) || entry.records.size > 0) return;
  recorded.delete(module);
  if (entry.ownConfig === undefined) delete (module as { config?: unknown }).config;
  else Object.defineProperty(module, 'config', entry.ownConfig);
}
