// What the three training demos share: how a page follows the training worker and how it
// trains on it. On each worker (start-up or a backend switch) it listens to the page's events,
// sets up, then takes the model carried from the old worker or the one kept in this browser;
// before a switch it pauses and hands its model over. Start/Pause runs one run at a time.
import type { BackendManager, BackendUser } from '../client/backend-manager.js';
import type { WorkerClient } from '../client/worker-client.js';
import { loadModel, type StoredModel } from '../storage/model-store.js';
import { modelFiles, type ModelFiles, type ModelFilesOptions } from '../ui/model-files.js';
import type { Notice } from '../ui/notice.js';
import type { DemoName, WorkerApi, WorkerEvent } from '../worker/protocol.js';

/** The progress events of one demo. */
export type ProgressEvent<D extends DemoName> = Extract<WorkerEvent, { kind: 'progress'; demo: D }>;
/** What the worker answers when a run stops: paused or done, and at which epoch. */
export type RunResult = WorkerApi['run'][1];

export interface TrainingPageOptions<D extends DemoName> extends Omit<
  ModelFilesOptions,
  'demo' | 'client' | 'beforeExport'
> {
  demo: D;
  backends: BackendManager;
  /** Where failed runs, "Moved the model to ..." and move failures are shown. */
  status: Notice;
  /** Each progress event of this demo (a failed run is already shown in `status`). */
  onProgress(event: ProgressEvent<D>): void;
  /** A run starts (true) or has stopped, failed or not (false): the Start button, data-running. */
  showRunning(running: boolean): void;
  /** After a run that did not fail, while it still shows as running: e.g. save the model. */
  finished?(result: RunResult): Promise<void> | void;
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

export interface TrainingPage extends BackendUser {
  readonly files: ModelFiles;
  /** The current worker, null while detached. */
  readonly client: WorkerClient | null;
  /** True while a carried model is being imported (its run continues: keep the curves). */
  readonly carrying: boolean;
  /** True from a run's start until it stops. */
  readonly running: boolean;
  /**
   * Trains until paused or done (`epochs`: that many more); false when no run started (no
   * worker yet, or a run is going).
   */
  run(epochs?: number): Promise<boolean>;
  /** Pauses the run, if one is going (the worker stops at the end of the epoch). */
  pause(): Promise<void>;
}

export function trainingPage<D extends DemoName>(options: TrainingPageOptions<D>): TrainingPage {
  const { demo, status } = options;
  let client: WorkerClient | null = null;
  let unsubscribe: (() => void) | null = null;
  let carrying = false;
  let running = false;
  // The worker reports a failed run twice: a 'failed' status event, then the run call's error.
  let failureShown = false;
  const files = modelFiles({ ...options, client: () => client, beforeExport: () => pause() });

  function setRunning(value: boolean): void {
    running = value;
    options.showRunning(value);
  }

  function onEvent(event: WorkerEvent): void {
    if (event.demo !== demo) return;
    if (event.kind === 'status' && event.status === 'failed') {
      status.show('error', `Training failed: ${event.message ?? 'unknown error'}`);
      failureShown = true;
    }
    // The demo was checked above; TypeScript cannot narrow the union by a generic name.
    if (event.kind === 'progress') options.onProgress(event as ProgressEvent<D>);
  }

  async function run(epochs?: number): Promise<boolean> {
    const current = client;
    if (!current || running) return false;
    setRunning(true);
    failureShown = false;
    try {
      const result = await current.call('run', epochs === undefined ? { demo } : { demo, epochs });
      // After a backend switch the page's worker is another one: what follows a run (a
      // confusion matrix, saving the model) belongs to the new worker's own model.
      if (client === current) await options.finished?.(result);
    } catch (error) {
      // 'WorkerError': the worker itself was stopped or crashed (a backend switch), not the training;
      // a failure the worker reported is on show already.
      if ((error as Error).name !== 'WorkerError' && !failureShown)
        status.show('error', `Training failed: ${(error as Error).message}`);
    } finally {
      setRunning(false);
    }
    return true;
  }

  async function pause(): Promise<void> {
    if (running && client) await client.call('pause', { demo });
  }

  /** Imports the model carried from the old worker; its run goes on here. */
  async function carry(bytes: Uint8Array): Promise<void> {
    carrying = true;
    try {
      await files.importBytes(bytes, `${demo}.safetensors`);
      options.moved?.();
      status.show('info', `Moved the model to ${options.backends.active}.`);
    } catch (error) {
      status.show('error', `Could not move the model: ${(error as Error).message}`);
    } finally {
      carrying = false;
    }
  }

  return {
    files,
    get client() {
      return client;
    },
    get carrying() {
      return carrying;
    },
    get running() {
      return running;
    },
    run,
    pause,
    async attach(next, carried) {
      unsubscribe?.();
      client = next;
      unsubscribe = next.on(onEvent);
      const stored = carried ? null : await loadModel(demo);
      running = false; // whatever ran on the old worker is over
      await options.prepare(stored);
      if (carried) await carry(carried);
      else if (stored) await files.restore();
      options.attached?.();
    },
    async detach() {
      await pause();
      unsubscribe?.();
      unsubscribe = null;
      const bytes = options.hasModel() ? await files.exportBytes() : null;
      client = null;
      return bytes;
    },
  };
}
