import { BackendError } from '../errors.js';
import { BACKEND_CONTRACT_VERSION, type Backend } from './contract.js';

/** Creates a backend instance; called once, the first time the backend is used. */
export type BackendFactory = () => Backend;

interface Registration {
  readonly factory: BackendFactory;
  readonly priority: number;
  instance: Backend | null;
}

const registrations = new Map<string, Registration>();
let activeName: string | null = null;

/**
 * Makes a backend available under `name`. With no `setBackend` call, the registered backend
 * of highest `priority` becomes the default. Registering a name again replaces it.
 */
export function registerBackend(name: string, factory: BackendFactory, options: { priority?: number } = {}): void {
  registrations.set(name, { factory, priority: options.priority ?? 0, instance: null });
}

/** Removes a backend from the registry; if it was active, the default applies again. */
export function removeBackend(name: string): void {
  registrations.delete(name);
  if (activeName === name) activeName = null;
}

/** The names of every registered backend. */
export function registeredBackends(): string[] {
  return [...registrations.keys()];
}

/** Selects the backend that new tensors are created on. */
export function setBackend(name: string): Backend {
  const backend = instantiate(name);
  activeName = name;
  return backend;
}

/** The active backend, or the named one. Throws a BackendError naming what is registered. */
export function getBackend(name?: string): Backend {
  if (name !== undefined) return instantiate(name);
  if (activeName === null) activeName = defaultBackendName();
  return instantiate(activeName);
}

function defaultBackendName(): string {
  let best: [string, Registration] | null = null;
  for (const entry of registrations) {
    if (best === null || entry[1].priority > best[1].priority) best = entry;
  }
  if (best === null) {
    throw new BackendError(
      "no backend is registered: import '@myelin/backend-cpu-reference' (or another backend package) before creating tensors",
    );
  }
  return best[0];
}

function instantiate(name: string): Backend {
  const registration = registrations.get(name);
  if (registration === undefined) {
    const known = registeredBackends();
    throw new BackendError(
      `unknown backend '${name}': registered backends are ${known.length ? known.map((n) => `'${n}'`).join(', ') : 'none'}`,
    );
  }
  if (registration.instance === null) {
    const backend = registration.factory();
    checkContractVersion(backend);
    registration.instance = backend;
  }
  return registration.instance;
}

/** Refuses a backend built against another version of the contract. */
export function checkContractVersion(backend: Backend): void {
  if (backend.contractVersion !== BACKEND_CONTRACT_VERSION) {
    throw new BackendError(
      `backend '${backend.name}' implements contract version ${backend.contractVersion}, but this @myelin/core needs version ${BACKEND_CONTRACT_VERSION}`,
    );
  }
}

/**
 * What a backend package's `probe()` reports: whether it can run here, why not, and details
 * (adapter, device, versions). `myelin info` prints one per installed backend.
 */
export interface BackendProbe {
  usable: boolean;
  /**
   * False when usable but not a good automatic choice (WebGPU on a software adapter): an
   * explicit `--backend` still takes it, `--backend auto` passes it over. Default true.
   */
  auto?: boolean;
  /** Why not usable (or, with `auto: false`, why not chosen automatically), and what to do. */
  reason?: string;
  /** When usable, one short line for a status bar: "SIMD true, threads 1", the adapter's name. */
  summary?: string;
  details?: Record<string, string>;
}
