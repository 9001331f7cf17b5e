// Export / import of a demo's model: one .safetensors file (core's packed checkpoint), or the
// files `myelin train` writes (<name>.json + <name>.safetensors [+ .optimizer.safetensors]).
// The model is also kept in IndexedDB, so a reload brings it back.
import type { WorkerClient } from '../client/worker-client.js';
import { loadModel, saveModel } from '../storage/model-store.js';
import type { DemoName, ModelSummary } from '../worker/protocol.js';
import { button } from './controls.js';
import { formatNumber, h, uid } from './dom.js';
import { notice } from './notice.js';

export interface ModelFilesOptions {
  demo: DemoName;
  client(): WorkerClient | null;
  /** The page's form, saved with the model so an import restores it. */
  ui(): Record<string, unknown>;
  /** Pause training first (the worker also waits for the epoch to end). */
  beforeExport(): Promise<void>;
  /** A model was imported or restored: the page updates its form and pictures. */
  onImported(summary: ModelSummary): Promise<void> | void;
}

export interface ModelFiles {
  element: HTMLElement;
  /** Saves the current model to IndexedDB (after training stops). */
  persist(): Promise<void>;
  /** Loads the model kept from an earlier visit, if any; true when one was restored. */
  restore(): Promise<boolean>;
  /** The current model as a packed checkpoint (to carry it to another backend). */
  exportBytes(): Promise<Uint8Array | null>;
  importBytes(bytes: Uint8Array, source: string): Promise<ModelSummary>;
  describe(summary: ModelSummary | null): void;
}

/** A model in one line, as every demo shows it: its layers and how many parameters they have. */
export function describeModel(model: { layers: string; parameters: number }): string {
  return `${model.layers} · ${formatNumber(model.parameters)} parameters`;
}

export function modelFiles(options: ModelFilesOptions): ModelFiles {
  const inputId = uid('import');
  const status = notice();
  status.element.id = `${options.demo}-file-status`;
  const summaryLine = h('p', { class: 'model-summary' });
  const input = h('input', {
    id: inputId,
    type: 'file',
    multiple: true,
    accept: '.safetensors,.json',
    class: 'visually-hidden',
  });

  const requireClient = (): WorkerClient => {
    const client = options.client();
    if (!client) throw new Error('The training worker is still starting.');
    return client;
  };

  const describe = (summary: ModelSummary | null): void => {
    summaryLine.textContent = summary
      ? `${describeModel(summary)} · ${summary.epoch} epoch${summary.epoch === 1 ? '' : 's'}${summary.preprocessing ? ` · input: ${summary.preprocessing}` : ''}`
      : '';
  };

  const exportBytes = async (): Promise<Uint8Array | null> => {
    const client = options.client();
    if (!client) return null;
    await options.beforeExport();
    try {
      return (await client.call('model.export', { demo: options.demo, ui: options.ui() })).bytes;
    } catch {
      return null;
    }
  };

  const importFiles = async (files: { name: string; bytes: Uint8Array }[], what: string): Promise<ModelSummary> => {
    const client = requireClient();
    const summary = await client.call(
      'model.import',
      { demo: options.demo, files },
      files.map((f) => f.bytes.buffer as ArrayBuffer),
    );
    await options.onImported(summary);
    describe(summary);
    void saveModel(options.demo, { bytes: await requireExport(), savedAt: Date.now(), summary });
    status.show(
      'success',
      `${what}: ${summary.layers}${summary.fromCli ? ' (trained by myelin train)' : ''}, ${summary.epoch} epoch${summary.epoch === 1 ? '' : 's'}${summary.optimizerRestored ? ', optimizer state restored' : ''}.`,
    );
    return summary;
  };

  const requireExport = async (): Promise<Uint8Array> => {
    const bytes = await exportBytes();
    if (!bytes) throw new Error('export failed');
    return bytes;
  };

  const onExport = async (): Promise<void> => {
    try {
      const client = requireClient();
      await options.beforeExport();
      const { bytes, summary } = await client.call('model.export', { demo: options.demo, ui: options.ui() });
      const url = URL.createObjectURL(
        new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
      );
      const link = h('a', { href: url, download: `myelin-${options.demo}.safetensors` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      void saveModel(options.demo, { bytes, savedAt: Date.now(), summary });
      status.show(
        'success',
        `Exported myelin-${options.demo}.safetensors (${formatNumber(bytes.length / 1024, 1)} KB): ${summary.layers}.`,
      );
    } catch (error) {
      status.show('error', `Export failed: ${(error as Error).message}`);
    }
  };

  input.addEventListener('change', () => {
    const chosen = [...(input.files ?? [])];
    input.value = '';
    if (chosen.length === 0) return;
    status.show('info', `Reading ${chosen.map((f) => f.name).join(', ')}...`);
    void (async () => {
      try {
        const files = await Promise.all(
          chosen.map(async (file) => ({ name: file.name, bytes: new Uint8Array(await file.arrayBuffer()) })),
        );
        await importFiles(files, `Imported ${chosen.map((f) => f.name).join(' + ')}`);
      } catch (error) {
        status.show('error', `Import failed, nothing was changed. ${(error as Error).message}`);
      }
    })();
  });

  const element = h(
    'section',
    { class: 'panel model-files', 'aria-labelledby': `${inputId}-title` },
    h('h3', { id: `${inputId}-title` }, 'Model file'),
    summaryLine,
    h(
      'div',
      { class: 'button-row' },
      button('Export model', () => void onExport(), {
        title: 'Download the model and optimizer state as one .safetensors checkpoint',
      }),
      h(
        'label',
        {
          for: inputId,
          class: 'button secondary file-button',
          tabindex: '0',
          role: 'button',
          onkeydown: (e: KeyboardEvent) => {
            if (e.key === 'Enter' || e.key === ' ') {
              e.preventDefault();
              input.click();
            }
          },
        },
        'Import model...',
      ),
      input,
    ),
    h(
      'small',
      { class: 'hint' },
      'A file exported here, or the files myelin train writes: choose best.json and best.safetensors (and best.optimizer.safetensors) together.',
    ),
    status.element,
  );

  return {
    element,
    async persist() {
      const client = options.client();
      if (!client) return;
      try {
        const { bytes, summary } = await client.call('model.export', { demo: options.demo, ui: options.ui() });
        await saveModel(options.demo, { bytes, savedAt: Date.now(), summary });
      } catch {
        // nothing to keep
      }
    },
    async restore() {
      const stored = await loadModel(options.demo);
      if (!stored) return false;
      try {
        const summary = await requireClient().call('model.import', {
          demo: options.demo,
          files: [{ name: `${options.demo} (saved in this browser).safetensors`, bytes: stored.bytes }],
        });
        await options.onImported(summary);
        describe(summary);
        const minutes = Math.round((Date.now() - stored.savedAt) / 60_000);
        status.show(
          'info',
          `Restored your last model from this browser (saved ${minutes < 1 ? 'just now' : `${minutes} min ago`}).`,
        );
        return true;
      } catch {
        return false;
      }
    },
    exportBytes,
    async importBytes(bytes, source) {
      const client = requireClient();
      const summary = await client.call('model.import', { demo: options.demo, files: [{ name: source, bytes }] });
      await options.onImported(summary);
      describe(summary);
      return summary;
    },
    describe,
  };
}
