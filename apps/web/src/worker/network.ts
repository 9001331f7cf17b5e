// The models the demos train: an MLP from the page's form, its optimizer, and words for both.
import {
  Dropout,
  Linear,
  ReLU,
  Sequential,
  Sigmoid,
  Tanh,
  Generator,
  optimizerFromConfig,
  type Module,
  type ModuleConfig,
  type Optimizer,
} from '@myelin/core';
import type { ActivationName, NetworkConfig, TrainingConfig } from './protocol.js';

const ACTIVATION_TYPES: Record<ActivationName, string | null> = {
  relu: 'ReLU',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  linear: null,
};

function activation(name: ActivationName): Module | null {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'tanh':
      return new Tanh();
    case 'sigmoid':
      return new Sigmoid();
    case 'linear':
      return null;
  }
}

/** input -> [Linear -> activation -> Dropout?] per hidden size -> Linear(., outputs) [-> head]. */
export function buildMlp(
  inputs: number,
  outputs: number,
  network: NetworkConfig,
  options: { seed: number; head?: 'sigmoid' },
): Sequential {
  const generator = new Generator(options.seed);
  const layers: Module[] = [];
  let width = inputs;
  for (const size of network.hidden) {
    layers.push(new Linear(width, size, { generator }));
    const act = activation(network.activation);
    if (act) layers.push(act);
    if (network.dropout > 0) layers.push(new Dropout(network.dropout));
    width = size;
  }
  layers.push(new Linear(width, outputs, { generator }));
  if (options.head === 'sigmoid') layers.push(new Sigmoid());
  return new Sequential(layers);
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

/** The form settings a Sequential MLP corresponds to, or null when the form cannot show it. */
export function networkOfConfig(config: ModuleConfig): NetworkConfig | null {
  if (config.type !== 'Sequential' || !Array.isArray(config.modules)) return null;
  const modules = config.modules as ModuleConfig[];
  const lastLinear = modules.map((m) => m.type).lastIndexOf('Linear');
  if (lastLinear < 0) return null;
  const byType = new Map(Object.entries(ACTIVATION_TYPES).map(([name, type]) => [type, name as ActivationName]));
  const hidden: number[] = [];
  const activations = new Set<ActivationName>();
  let dropout = 0;
  for (const m of modules.slice(0, lastLinear)) {
    if (m.type === 'Linear') hidden.push(Number(m.outFeatures));
    else if (m.type === 'Dropout') dropout = Number(m.p ?? 0.5);
    else if (byType.has(m.type)) activations.add(byType.get(m.type)!);
    else return null;
  }
  if (activations.size > 1) return null;
  const act = [...activations][0] ?? (hidden.length > 0 ? 'linear' : 'relu');
  return { hidden, activation: act, dropout };
}

export function describeModel(model: Module): { parameters: number; layers: string } {
  return { parameters: countParameters(model), layers: describeLayers(model.config()) };
}
