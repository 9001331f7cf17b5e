// The models the demos train: an MLP from the page's form, its optimizer, and words for both.
import {
  Generator,
  cnnConfig,
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
  const side = Math.round(Math.sqrt(inputs));
  const square = side * side === inputs;
  const config =
    network.architecture === 'cnn' && square
      ? cnnOfFlatImages(side, outputs, network, options.head)
      : network.architecture === 'transformer' && square
        ? transformerOverRows(side, outputs, network, options.head)
        : mlpConfig({
            inputShape: [inputs],
            outFeatures: outputs,
            hidden: network.hidden,
            activation: network.activation,
            dropout: network.dropout,
            head: options.head,
          });
  return moduleFromConfig(config, { generator: new Generator(options.seed) });
}

/** Model width of the Transformer demo: each image row becomes a vector of this many features. */
const TRANSFORMER_WIDTH = 32;

/**
 * A flat square image as a sequence of its `side` rows: Unflatten -> Linear(side, 32) ->
 * TransformerEncoderLayer(32, 4 heads; gelu when the form asks for it, else relu) -> the last
 * row's vector -> the form's hidden layers -> outputs.
 */
function transformerOverRows(side: number, outputs: number, network: NetworkConfig, head?: 'sigmoid'): ModuleConfig {
  const classifier = mlpConfig({
    inputShape: [TRANSFORMER_WIDTH],
    outFeatures: outputs,
    hidden: network.hidden,
    activation: network.activation,
    dropout: network.dropout,
    head,
  });
  return {
    type: 'Sequential',
    modules: [
      { type: 'Unflatten', axis: 1, sizes: [side, side] },
      { type: 'Linear', inFeatures: side, outFeatures: TRANSFORMER_WIDTH },
      {
        type: 'TransformerEncoderLayer',
        dModel: TRANSFORMER_WIDTH,
        nhead: 4,
        dimFeedforward: 2 * TRANSFORMER_WIDTH,
        dropout: network.dropout,
        activation: network.activation === 'gelu' ? 'gelu' : 'relu',
        batchFirst: true,
      },
      { type: 'SelectTimeStep', batchFirst: true },
      ...(classifier['modules'] as ModuleConfig[]),
    ],
  };
}

/** Unflatten(1, [1, side, side]) then core's small CNN, for flat square images such as the 8x8 digits. */
function cnnOfFlatImages(side: number, outputs: number, network: NetworkConfig, head?: 'sigmoid'): ModuleConfig {
  const cnn = cnnConfig({
    inputShape: [1, side, side],
    outFeatures: outputs,
    channels: [8, 16],
    kernelSize: 3,
    head: { hidden: network.hidden, activation: network.activation, dropout: network.dropout },
    outputActivation: head,
  });
  return {
    type: 'Sequential',
    modules: [{ type: 'Unflatten', axis: 1, sizes: [1, side, side] }, ...(cnn['modules'] as ModuleConfig[])],
  };
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
        : m.type === 'Conv2d'
          ? `Conv2d(${String(m.inChannels)}->${String(m.outChannels)}, ${String(m.kernelSize)})`
          : m.type === 'Dropout'
            ? `Dropout(${String(m.p ?? 0.5)})`
            : m.type === 'TransformerEncoderLayer'
              ? `TransformerEncoderLayer(${String(m.dModel)}, ${String(m.nhead)} heads)`
              : m.type,
    )
    .join(' ');
}

export function describeModel(model: Module): { parameters: number; layers: string } {
  return { parameters: countParameters(model), layers: describeLayers(model.config()) };
}
