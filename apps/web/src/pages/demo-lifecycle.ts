// How a demo page follows the training worker: on each worker (start-up or a backend switch)
// it listens to its events, sets up, then takes the model carried from the old worker or the
// one kept in this browser; before a switch it pauses and hands its model over.
import type { BackendManager, BackendUser } from '../client/backend-manager.js';
import type { WorkerClient } from '../client/worker-client.js';
import { loadModel, type StoredModel } from '../storage/model-store.js';
import { modelFiles, type ModelFiles, type ModelFilesOptions } from '../ui/model-files.js';
import type { Notice } from '../ui/notice.js';
import type { WorkerEvent } from '../worker/protocol.js';

export interface DemoLifecycleOptions extends Omit<ModelFilesOptions, 'client' | 'beforeExport'> {
  backends: BackendManager;
  /** Where "Moved the model to ..." and move failures are shown. */
  status: Notice;
  onEvent(event: WorkerEvent): void;
  /** Pause training (before a switch and before an export). */
  pause(): Promise<void>;
  /**
   * On a new worker, before a model arrives: reset the run state and set the model up.
   * `stored` is the model kept in this browser (null when one is carried over, or none is kept).
   */
  prepare(stored: StoredModel | null): Promise<void>;
  /** Whether there is a model worth carrying to the next worker. */
  hasModel(): boolean;
  /** After a carried model was imported, the same run going on: e.g. show its curves again. */
  moved?(): void;
  /** At the end of every attach. */
  attached?(): void;
}

export interface DemoLifecycle extends BackendUser {
  readonly files: ModelFiles;
  /** The current worker, null while detached. */
  readonly client: WorkerClient | null;
  /** True while a carried model is being imported (its run continues: keep the curves). */
  readonly carrying: boolean;
}

export function demoLifecycle(options: DemoLifecycleOptions): DemoLifecycle {
  let client: WorkerClient | null = null;
  let unsubscribe: (() => void) | null = null;
  let carrying = false;
  const files = modelFiles({ ...options, client: () => client, beforeExport: () => options.pause() });
  return {
    files,
    get client() {
      return client;
    },
    get carrying() {
      return carrying;
    },
    async attach(next, carried) {
      unsubscribe?.();
      client = next;
      unsubscribe = next.on((event) => options.onEvent(event));
      const stored = carried ? null : await loadModel(options.demo);
      await options.prepare(stored);
      if (carried) {
        carrying = true;
        try {
          await files.importBytes(carried, `${options.demo}.safetensors`);
          options.moved?.();
          options.status.show('info', `Moved the model to ${options.backends.active}.`);
        } catch (error) {
          options.status.show('error', `Could not move the model: ${(error as Error).message}`);
        } finally {
          carrying = false;
        }
      } else if (stored) {
        await files.restore();
      }
      options.attached?.();
    },
    async detach() {
      await options.pause();
      unsubscribe?.();
      unsubscribe = null;
      const bytes = options.hasModel() ? await files.exportBytes() : null;
      client = null;
      return bytes;
    },
  };
}
