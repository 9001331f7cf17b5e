// The page's side of the training worker: typed requests (see worker/protocol.ts) and a
// listener for training events. One client = one worker = one backend.
import type { BackendName, BackendStatus, FromWorker, Method, WorkerApi, WorkerEvent } from '../worker/protocol.js';
import { assetUrls } from './assets.js';

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/** An error the worker raised; `name` is its class (ImportError, CheckpointError, ...). */
export class WorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class WorkerClient {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Set<(event: WorkerEvent) => void>();
  #nextId = 1;
  #terminated = false;
  status: BackendStatus | null = null;

  private constructor(readonly backend: BackendName) {
    this.#worker = new Worker(new URL('../worker/worker.ts', import.meta.url), {
      type: 'module',
      name: `myelin-${backend}`,
    });
    this.#worker.onmessage = (event: MessageEvent<FromWorker>) => this.#receive(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#failAll(
        new WorkerError('WorkerError', `the ${backend} worker failed: ${event.message || 'it could not be loaded'}`),
      );
    };
  }

  /** Starts a worker and its backend; `status.usable` says whether it works here. */
  static async start(backend: BackendName, featureLevel?: 'auto' | 'core' | 'compatibility'): Promise<WorkerClient> {
    const client = new WorkerClient(backend);
    try {
      client.status = await client.call('start', {
        backend,
        assets: assetUrls(),
        ...(featureLevel ? { featureLevel } : {}),
      });
    } catch (error) {
      client.status = { name: backend, usable: false, reason: (error as Error).message };
    }
    return client;
  }

  call<M extends Method>(
    method: M,
    argument: WorkerApi[M][0],
    transfer: Transferable[] = [],
  ): Promise<WorkerApi[M][1]> {
    if (this.#terminated)
      return Promise.reject(new WorkerError('WorkerError', `the ${this.backend} worker was stopped`));
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, method, argument }, transfer);
    });
  }

  on(listener: (event: WorkerEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  terminate(): void {
    this.#terminated = true;
    this.#worker.terminate();
    this.#failAll(new WorkerError('WorkerError', `the ${this.backend} worker was stopped`));
    this.#listeners.clear();
  }

  #receive(message: FromWorker): void {
    if (message.kind === 'result' || message.kind === 'error') {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (message.kind === 'result') pending?.resolve(message.result);
      else pending?.reject(new WorkerError(message.error.name, message.error.message));
      return;
    }
    for (const listener of this.#listeners) listener(message);
  }

  #failAll(error: Error): void {
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
  }
}
