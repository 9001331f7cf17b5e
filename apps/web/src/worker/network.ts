// The models the demos train: an MLP from the page's form, its optimizer, and words for both.
import {
  Generator,
  mlpConfig,
  moduleFromConfig,
  optimizerFromConfig,
  type Module,
  type ModuleConfig,
  type Optimizer,
} from '@myelin/core';
import type { NetworkConfig, TrainingConfig } from './protocol.js';

/** input -> [Linear -> activation -> Dropout?] per hidden size -> Linear(., outputs) [-> head], as core lays it out. */
export function buildMlp(
  inputs: number,
  outputs: number,
  network: NetworkConfig,
  options: { seed: number; head?: 'sigmoid' },
): Module {
  const config = mlpConfig({ inputShape: [inputs], outFeatures: outputs, ...network, head: options.head });
  return moduleFromConfig(config, { generator: new Generator(options.seed) });
}

export function buildOptimizer(model: Module, training: Pick<TrainingConfig, 'optimizer' | 'lr'>): Optimizer {
  return optimizerFromConfig(model.parameters(), { type: training.optimizer, lr: training.lr });
}

export function countParameters(model: Module): number {
  return model.parameters().reduce((total, p) => total + p.size, 0);
}

/** "Linear(2->8) Tanh Linear(8->1) Sigmoid", from a Sequential's config. */
export function describeLayers(config: ModuleConfig): string {
  const modules =
    config.type === 'Sequential' && Array.isArray(config.modules) ? (config.modules as ModuleConfig[]) : [config];
  return modules
    .map((m) =>
      m.type === 'Linear'
        ? `Linear(${String(m.inFeatures)}->${String(m.outFeatures)})`
        : m.type === 'Dropout'
          ? `Dropout(${String(m.p ?? 0.5)})`
          : m.type,
    )
    .join(' ');
}

export function describeModel(model: Module): { parameters: number; layers: string } {
  return { parameters: countParameters(model), layers: describeLayers(model.config()) };
}
