// Export and import of a demo's model. Export is core's single-file pack (packCheckpoint);
// import takes that file, or the files `myelin train` writes (<name>.json + <name>.safetensors
// [+ <name>.optimizer.safetensors]). Everything is read and checked before the demo's model is
// replaced, so a corrupt or mismatched upload changes nothing.
import {
  BUNDLE_META_KEY,
  CheckpointError,
  captureCheckpoint,
  deserializeCheckpoint,
  disposeCheckpoint,
  releaseCapturedCheckpoint,
  mlpLayersOfConfig,
  moduleFromConfig,
  optimizerFromConfig,
  packCheckpoint,
  unpackCheckpoint,
  type Checkpoint,
  type Module,
  type ModuleConfig,
  type Optimizer,
} from '@myelin/core';
import { ImportError, type DemoOptimizerConfig, type DemoTask, type TrainedModel } from './demo-task.js';
import { describeLayers } from './network.js';
import type { ModelSummary, UploadedFile } from './protocol.js';

interface WebExtra {
  demo?: string;
  optimizer?: DemoOptimizerConfig;
  ui?: Record<string, unknown>;
  [key: string]: unknown;
}

export async function exportModel(
  task: DemoTask,
  ui: Record<string, unknown>,
): Promise<{ bytes: Uint8Array; summary: ModelSummary }> {
  const trained = task.current;
  if (!trained) throw new ImportError(`The ${task.demo} has no model yet: set it up or train it first.`);
  const extra: WebExtra = { demo: task.demo, optimizer: trained.optimizerConfig, ui, ...task.exportExtra() };
  const checkpoint = captureCheckpoint({ model: trained.model, optimizer: trained.optimizer }, trained.epoch, {
    extra: { ...trained.inherited, web: extra },
  });
  try {
    const bytes = await packCheckpoint(checkpoint);
    return { bytes, summary: summarize(task, checkpoint, `${task.demo}.safetensors`, { optimizerRestored: true }) };
  } finally {
    releaseCapturedCheckpoint(checkpoint);
  }
}

export async function importModel(
  task: DemoTask,
  files: UploadedFile[],
  fallbackOptimizer: DemoOptimizerConfig,
): Promise<ModelSummary> {
  const { checkpoint, source } = readCheckpointFiles(files);
  let model: Module | null = null;
  let optimizer: Optimizer | null = null;
  try {
    const modelConfig = checkpoint.modelConfig;
    if (typeof modelConfig !== 'object' || modelConfig === null) {
      throw new ImportError(
        `${source} has no model config (modelConfig is ${JSON.stringify(modelConfig)}), so the network cannot be rebuilt.`,
      );
    }
    const { preprocessing } = task.checkImport(modelConfig as ModuleConfig, checkpoint);
    try {
      model = moduleFromConfig(modelConfig as ModuleConfig);
      model.loadStateDict(checkpoint.modelState);
    } catch (error) {
      throw new ImportError(`${source}: the model cannot be rebuilt from it: ${(error as Error).message}.`);
    }
    const saved = optimizerConfigOf(checkpoint);
    // The saved config whole (momentum, betas, weightDecay, ...), once optimizerFromConfig has
    // accepted it and the state loaded; its lr filled in from the optimizer when it names none.
    let restoredConfig: DemoOptimizerConfig | null = null;
    if (saved && checkpoint.optimizerState) {
      try {
        optimizer = optimizerFromConfig(model.parameters(), saved);
        const lr = optimizer.paramGroups[0]!.lr;
        optimizer.loadStateDict(checkpoint.optimizerState);
        restoredConfig = { ...saved, lr: typeof saved.lr === 'number' ? saved.lr : lr };
      } catch {
        optimizer?.dispose();
        optimizer = null;
      }
    }
    const optimizerRestored = restoredConfig !== null;
    const optimizerConfig = restoredConfig ?? fallbackOptimizer;
    optimizer ??= optimizerFromConfig(model.parameters(), optimizerConfig);
    const { web: _web, ...inherited } = checkpoint.extra ?? {};
    const trained: TrainedModel = { model, optimizer, optimizerConfig, epoch: checkpoint.epoch, inherited };
    const summary = summarize(task, checkpoint, source, {
      optimizerRestored,
      ...(preprocessing ? { preprocessing } : {}),
    });
    await task.adopt(trained, checkpoint);
    return summary;
  } catch (error) {
    model?.dispose();
    optimizer?.dispose();
    throw error;
  } finally {
    disposeCheckpoint(checkpoint);
  }
}

function optimizerConfigOf(checkpoint: Checkpoint): { type: string; lr?: number; [key: string]: unknown } | null {
  const web = (checkpoint.extra?.web as WebExtra | undefined)?.optimizer;
  if (web && typeof web.type === 'string') return web;
  const cli = (checkpoint.extra?.myelin as { config?: { optimizer?: { type?: unknown } } } | undefined)?.config
    ?.optimizer;
  if (cli && typeof cli.type === 'string') return cli as { type: string };
  return null;
}

function summarize(
  task: DemoTask,
  checkpoint: Checkpoint,
  source: string,
  extra: { optimizerRestored: boolean; preprocessing?: string },
): ModelSummary {
  const config = checkpoint.modelConfig as ModuleConfig;
  const web = checkpoint.extra?.web as WebExtra | undefined;
  const parameters = Object.values(checkpoint.modelState).reduce((total, t) => total + t.size, 0);
  return {
    demo: task.demo,
    layers: describeLayers(config),
    parameters,
    epoch: checkpoint.epoch,
    source,
    network: mlpLayersOfConfig(config),
    fromCli: checkpoint.extra?.myelin !== undefined,
    ...extra,
    ...(web?.ui ? { ui: web.ui } : {}),
  };
}

/** Reads one checkpoint from the uploaded files, or throws a message naming what is wrong. */
export function readCheckpointFiles(files: UploadedFile[]): { checkpoint: Checkpoint; source: string } {
  if (files.length === 0) throw new ImportError('No file was chosen.');
  const metas = files.filter((f) => f.name.endsWith('.json'));
  if (metas.length > 1)
    throw new ImportError(
      `Choose the files of one checkpoint: got ${metas.length} .json files (${metas.map((f) => f.name).join(', ')}).`,
    );
  const unknown = files.filter((f) => !/\.(json|safetensors)$/.test(f.name));
  if (unknown.length > 0) {
    throw new ImportError(
      `${unknown.map((f) => f.name).join(', ')}: not a checkpoint file. Choose a .safetensors file exported by this page, or the <name>.json and <name>.safetensors files that myelin train writes.`,
    );
  }
  try {
    if (metas.length === 0) {
      if (files.length > 1)
        throw new ImportError(
          `Got ${files.length} .safetensors files without a .json: choose one exported file, or add the checkpoint's .json.`,
        );
      const file = files[0]!;
      return { checkpoint: unpackCheckpoint(file.bytes, { source: file.name }), source: file.name };
    }
    const meta = metas[0]!;
    const name = meta.name.slice(0, -'.json'.length);
    const weights = files.find((f) => f.name === `${name}.safetensors`);
    if (!weights) throw new ImportError(`${meta.name} needs ${name}.safetensors (the model's tensors) chosen with it.`);
    const optimizer = files.find((f) => f.name === `${name}.optimizer.safetensors`);
    let text = new TextDecoder().decode(meta.bytes);
    if (!optimizer) text = withoutOptimizer(text);
    const sources = { meta: meta.name, weights: weights.name, optimizer: `${name}.optimizer.safetensors` };
    const checkpoint = deserializeCheckpoint(
      { meta: text, weights: weights.bytes, ...(optimizer ? { optimizer: optimizer.bytes } : {}) },
      { sources },
    );
    return { checkpoint, source: [meta.name, weights.name, ...(optimizer ? [optimizer.name] : [])].join(' + ') };
  } catch (error) {
    if (error instanceof ImportError) throw error;
    if (error instanceof CheckpointError) {
      const hint = error.message.includes(BUNDLE_META_KEY)
        ? ' (a plain weights file: choose it together with its .json)'
        : '';
      throw new ImportError(`Not a usable checkpoint: ${error.message}${hint}.`);
    }
    throw new ImportError(`Not a usable checkpoint: ${(error as Error).message}.`);
  }
}

/** The model part of a checkpoint meta when its optimizer file was not uploaded (the model alone is enough to predict). */
function withoutOptimizer(text: string): string {
  try {
    const meta = JSON.parse(text) as Record<string, unknown>;
    if (meta && typeof meta === 'object' && 'optimizer' in meta) {
      delete meta.optimizer;
      return JSON.stringify(meta);
    }
  } catch {
    // deserializeCheckpoint reports the JSON error with the file name
  }
  return text;
}
