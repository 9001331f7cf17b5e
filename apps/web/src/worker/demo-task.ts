// What every demo in the worker has: a model with its optimizer, a training session, and the
// checks an imported checkpoint must pass before it replaces them.
import type { Checkpoint, Module, ModuleConfig, Optimizer } from '@myelin/core';
import { buildMlp, buildOptimizer } from './network.js';
import type { DemoName, NetworkConfig, TrainingConfig } from './protocol.js';
import type { TrainingSession } from './session.js';

/** An optimizer config (core's optimizerFromConfig form) with its learning rate: every option it was built with. */
export type DemoOptimizerConfig = { type: string; lr: number; [option: string]: unknown };

/** The model a demo trains and what is needed to export it. */
export interface TrainedModel {
  model: Module;
  optimizer: Optimizer;
  /** The optimizer settings, saved with the checkpoint so an import rebuilds the same optimizer. */
  optimizerConfig: DemoOptimizerConfig;
  epoch: number;
  /** The imported checkpoint's other extras (e.g. myelin train's run config), written back on export. */
  inherited?: Record<string, unknown>;
}

export interface DemoTask {
  readonly demo: DemoName;
  readonly session: TrainingSession | null;
  readonly current: TrainedModel | null;
  /** Facts the checkpoint's extra.web records for this demo (e.g. the digits preprocessing). */
  exportExtra(): Record<string, unknown>;
  /**
   * Throws an ImportError, saying what was expected, for a model this demo cannot use (wrong
   * input or output size, unsupported preprocessing); returns the preprocessing in words.
   */
  checkImport(modelConfig: ModuleConfig, checkpoint: Checkpoint): { preprocessing?: string };
  /** Replaces the model (already validated and loaded) and rebuilds the session around it. */
  adopt(trained: TrainedModel, checkpoint: Checkpoint): Promise<void>;
}

/** A new model from a demo's form: its MLP (initial weights from the form's seed) and optimizer. */
export function newTrainedModel(
  inputs: number,
  outputs: number,
  config: NetworkConfig & TrainingConfig,
  head?: 'sigmoid',
): TrainedModel {
  const model = buildMlp(inputs, outputs, config, { seed: config.seed, ...(head ? { head } : {}) });
  return {
    model,
    optimizer: buildOptimizer(model, config),
    optimizerConfig: { type: config.optimizer, lr: config.lr },
    epoch: 0,
  };
}

/** What setup and adopt do before a task takes a new model: stop its training, free the old one. */
export async function releaseModel(task: {
  session: TrainingSession | null;
  current: TrainedModel | null;
}): Promise<void> {
  await task.session?.stop();
  task.current?.model.dispose();
  task.current?.optimizer.dispose();
  task.current = null;
}

/** A file the page cannot use; the message is shown as it is. */
export class ImportError extends Error {
  override name = 'ImportError';
}

/** The first Linear's inputs and the last Linear's outputs of a Sequential config. */
export function linearEnds(config: ModuleConfig): { inputs: number; outputs: number } | null {
  const modules =
    config.type === 'Sequential' && Array.isArray(config.modules) ? (config.modules as ModuleConfig[]) : [config];
  const linears = modules.filter((m) => m?.type === 'Linear');
  if (linears.length === 0) return null;
  const outputs = Number(linears[linears.length - 1]!.outFeatures);
  // A CNN over flat images starts by unflattening them: its input size is that of the unflattened axis.
  const first = modules[0];
  if (first?.type === 'Unflatten' && Array.isArray(first.sizes))
    return { inputs: (first.sizes as number[]).reduce((a, b) => a * b, 1), outputs };
  return { inputs: Number(linears[0]!.inFeatures), outputs };
}

/** Refuses a model whose input or output size differs from what the demo feeds it. */
export function expectEnds(config: ModuleConfig, inputs: number, outputs: number, demoLabel: string): void {
  const ends = linearEnds(config);
  if (ends === null)
    throw new ImportError(
      `This model has no Linear layer, so it cannot be the ${demoLabel} network (${inputs} inputs, ${outputs} outputs).`,
    );
  if (ends.inputs !== inputs || ends.outputs !== outputs) {
    throw new ImportError(
      `This model takes ${ends.inputs} input${ends.inputs === 1 ? '' : 's'} and gives ${ends.outputs} output${ends.outputs === 1 ? '' : 's'}; the ${demoLabel} needs ${inputs} input${inputs === 1 ? '' : 's'} and ${outputs} output${outputs === 1 ? '' : 's'}.`,
    );
  }
}
