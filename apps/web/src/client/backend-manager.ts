// Which backend the page trains on. At start-up: the one named by ?backend=, else the one this
// browser chose or measured fastest before (localStorage), else the automatic choice over the
// bundled backends' descriptors (../backends.ts): the usable one of highest priority, passing
// over WebGPU on a software adapter (SwiftShader or llvmpipe: for these small models ten times
// slower than the CPU backends) unless nothing else works. The others are probed afterwards,
// one at a time, so the selector can say which work here and why not.
// Switching starts a new worker: tfjs keeps one backend per realm.
import { chooseBackend } from '@myelin/core/backend';
import { WEB_BACKENDS } from '../backends.js';
import type { BackendName, BackendStatus } from '../worker/protocol.js';
import { WorkerClient } from './worker-client.js';

/** The bundled backends' names, in display order. */
export const BACKEND_NAMES: readonly BackendName[] = WEB_BACKENDS.map((d) => d.name);

/** Each bundled backend's title, from its descriptor. */
export const BACKEND_LABELS: Readonly<Record<BackendName, string>> = Object.fromEntries(
  WEB_BACKENDS.map((d) => [d.name, d.title]),
);

const PREFERENCE_KEY = 'myelin-web:backend';

function storedPreference(): BackendName | null {
  try {
    const value = localStorage.getItem(PREFERENCE_KEY);
    return BACKEND_NAMES.includes(value as BackendName) ? (value as BackendName) : null;
  } catch {
    return null;
  }
}

export type ProbeState = BackendStatus | { name: BackendName; usable: null };

export interface BackendUser {
  /** Before a switch: pause and hand over the model (a packed checkpoint), if any. */
  detach(): Promise<Uint8Array | null>;
  /** After start-up or a switch: set up on the new worker, with the carried model if any. */
  attach(client: WorkerClient, carried: Uint8Array | null): Promise<void>;
}

export class BackendManager {
  readonly states = new Map<BackendName, ProbeState>(BACKEND_NAMES.map((name) => [name, { name, usable: null }]));
  client: WorkerClient | null = null;
  readonly #listeners = new Set<() => void>();
  readonly #users = new Set<BackendUser>();
  #switching: Promise<void> | null = null;

  onChange(listener: () => void): void {
    this.#listeners.add(listener);
  }

  /** A page that trains: it is told about every worker change. */
  async use(user: BackendUser): Promise<void> {
    this.#users.add(user);
    if (this.client) await user.attach(this.client, null);
  }

  get active(): BackendName | null {
    return this.client?.backend ?? null;
  }

  async start(requested: BackendName | null): Promise<void> {
    const preferred = requested ?? storedPreference();
    const started = new Map<BackendName, WorkerClient>();
    const startOne = async (name: BackendName): Promise<BackendStatus> => {
      const client = await WorkerClient.start(name);
      started.set(name, client);
      this.#record(client.status!);
      return client.status!;
    };
    let chosen: WorkerClient | null = null;
    if (preferred && (await startOne(preferred)).usable) chosen = started.get(preferred)!;
    if (!chosen) {
      const candidates = WEB_BACKENDS.filter((d) => d.name !== preferred);
      const choice = await chooseBackend(candidates, (d) => startOne(d.name)).catch(() => null);
      if (choice) chosen = started.get(choice.descriptor.name)!;
    }
    for (const client of started.values()) if (client !== chosen) client.terminate();
    if (chosen) {
      this.client = chosen;
      this.#notify();
      for (const user of this.#users) await user.attach(chosen, null);
    }
    void this.#probeRest();
  }

  /** Remembers a choice (the user's, or the fastest measured) for the next visit. */
  remember(name: BackendName): void {
    try {
      localStorage.setItem(PREFERENCE_KEY, name);
    } catch {
      // storage may be unavailable; the choice then lasts for this visit
    }
  }

  /** Moves every page to `name`, carrying each model over as a checkpoint. Throws if it cannot start. */
  switchTo(name: BackendName): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.client?.backend === name) return;
      const next = await WorkerClient.start(name);
      this.#record(next.status!);
      if (!next.status?.usable) {
        next.terminate();
        this.#notify();
        throw new Error(`${BACKEND_LABELS[name]} is not available here: ${next.status?.reason ?? 'unknown reason'}`);
      }
      const users = [...this.#users];
      const carried = await Promise.all(users.map((user) => user.detach().catch(() => null)));
      this.client?.terminate();
      this.client = next;
      this.#notify();
      await Promise.all(users.map((user, i) => user.attach(next, carried[i] ?? null)));
    };
    const previous = this.#switching ?? Promise.resolve();
    const switching = previous.then(run, run);
    this.#switching = switching.finally(() => {
      if (this.#switching === switching) this.#switching = null;
    });
    return switching;
  }

  /** A throwaway worker on `name` (the benchmark), or the active one when it is that backend. */
  async withWorker<T>(name: BackendName, work: (client: WorkerClient) => Promise<T>): Promise<T> {
    if (this.client?.backend === name) return work(this.client);
    const client = await WorkerClient.start(name);
    this.#record(client.status!);
    try {
      if (!client.status?.usable) throw new Error(client.status?.reason ?? 'not available');
      return await work(client);
    } finally {
      client.terminate();
    }
  }

  async #probeRest(): Promise<void> {
    for (const name of BACKEND_NAMES) {
      if (this.states.get(name)?.usable !== null) continue;
      const client = await WorkerClient.start(name);
      this.#record(client.status!);
      client.terminate();
    }
  }

  #record(status: BackendStatus): void {
    this.states.set(status.name, status);
    this.#notify();
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }
}
