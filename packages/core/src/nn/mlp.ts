import { ArgumentError } from '../errors.js';
import type { ModuleConfig } from './module.js';

/** The activations an MLP config names; 'linear' means none. */
export const MLP_ACTIVATIONS = [
  'relu',
  'tanh',
  'sigmoid',
  'leaky-relu',
  'elu',
  'gelu',
  'silu',
  'mish',
  'softplus',
  'selu',
  'relu6',
  'hardswish',
  'prelu',
  'celu',
  'rrelu',
  'log-sigmoid',
  'tanhshrink',
  'softshrink',
  'hardshrink',
  'linear',
] as const;
export type MlpActivation = (typeof MLP_ACTIVATIONS)[number];

/** The module type each activation name stands for (null: no module). */
const ACTIVATION_MODULES: Readonly<Record<MlpActivation, string | null>> = {
  relu: 'ReLU',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  'leaky-relu': 'LeakyReLU',
  elu: 'ELU',
  gelu: 'GELU',
  silu: 'SiLU',
  mish: 'Mish',
  softplus: 'Softplus',
  selu: 'SELU',
  relu6: 'ReLU6',
  hardswish: 'Hardswish',
  prelu: 'PReLU',
  celu: 'CELU',
  rrelu: 'RReLU',
  'log-sigmoid': 'LogSigmoid',
  tanhshrink: 'Tanhshrink',
  softshrink: 'Softshrink',
  hardshrink: 'Hardshrink',
  linear: null,
};

/** The layers between input and output: what a run config's `{ type: 'mlp' }` and the demos' forms set. */
export interface MlpLayers {
  /** Widths of the hidden layers, input side first; [] is a single Linear layer. */
  hidden: readonly number[];
  /** After each hidden Linear layer (default 'relu'). */
  activation?: MlpActivation;
  /** Dropout probability after each hidden activation (default 0: none). */
  dropout?: number;
}

export interface MlpConfigOptions extends MlpLayers {
  /** The shape of one sample (without the batch axis); more than one axis puts a Flatten first. */
  inputShape: readonly number[];
  outFeatures: number;
  /** An activation after the output layer, e.g. 'sigmoid' for BCELoss (default 'linear': none). */
  head?: MlpActivation;
}

/**
 * An MLP as a Sequential config, the form `module.config()` returns and checkpoints store:
 * [Flatten] -> (Linear -> activation [-> Dropout]) per hidden width -> Linear(., outFeatures) [-> head].
 * Build it with `moduleFromConfig(config, { generator })`.
 */
export function mlpConfig(options: MlpConfigOptions): ModuleConfig {
  const { inputShape, outFeatures, hidden } = options;
  const activation = options.activation ?? 'relu';
  const dropout = options.dropout ?? 0;
  const head = options.head ?? 'linear';
  const positive = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1;
  if (!Array.isArray(inputShape) || !inputShape.every(positive))
    throw new ArgumentError(`mlpConfig: inputShape must be a list of positive integers, got ${show(inputShape)}`);
  if (!positive(outFeatures))
    throw new ArgumentError(`mlpConfig: outFeatures must be a positive integer, got ${show(outFeatures)}`);
  if (!Array.isArray(hidden) || !hidden.every(positive))
    throw new ArgumentError(`mlpConfig: hidden must be a list of positive integers, got ${show(hidden)}`);
  for (const [name, value] of [
    ['activation', activation],
    ['head', head],
  ] as const) {
    if (!MLP_ACTIVATIONS.includes(value))
      throw new ArgumentError(`mlpConfig: ${name} must be one of ${MLP_ACTIVATIONS.join(', ')}, got ${show(value)}`);
  }
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
    throw new ArgumentError(`mlpConfig: dropout must be a number in [0, 1), got ${show(dropout)}`);

  const modules: ModuleConfig[] = [];
  if (inputShape.length > 1) modules.push({ type: 'Flatten' });
  let features = inputShape.reduce((a, b) => a * b, 1);
  const activationModule = ACTIVATION_MODULES[activation];
  for (const width of hidden) {
    modules.push({ type: 'Linear', inFeatures: features, outFeatures: width });
    if (activationModule) modules.push({ type: activationModule });
    if (dropout > 0) modules.push({ type: 'Dropout', p: dropout });
    features = width;
  }
  modules.push({ type: 'Linear', inFeatures: features, outFeatures });
  const headModule = ACTIVATION_MODULES[head];
  if (headModule) modules.push({ type: headModule });
  return { type: 'Sequential', modules };
}

/**
 * The MLP layers a Sequential config corresponds to (mlpConfig's inverse, ignoring a leading
 * Flatten, what follows the last Linear layer and activation options such as LeakyReLU's
 * slope), or null when it is not such an MLP: other module types, or mixed activations.
 */
export function mlpLayersOfConfig(
  config: ModuleConfig,
): { hidden: number[]; activation: MlpActivation; dropout: number } | null {
  if (config?.type !== 'Sequential' || !Array.isArray(config.modules)) return null;
  const modules = (config.modules as ModuleConfig[]).filter((m, i) => !(i === 0 && m?.type === 'Flatten'));
  const lastLinear = modules.map((m) => m?.type).lastIndexOf('Linear');
  if (lastLinear < 0) return null;
  const byModule = new Map(Object.entries(ACTIVATION_MODULES).map(([name, type]) => [type, name as MlpActivation]));
  const hidden: number[] = [];
  const activations = new Set<MlpActivation>();
  let dropout = 0;
  for (const m of modules.slice(0, lastLinear)) {
    if (m.type === 'Linear') hidden.push(Number(m.outFeatures));
    else if (m.type === 'Dropout') dropout = Number(m.p ?? 0.5);
    else if (byModule.has(m.type)) activations.add(byModule.get(m.type)!);
    else return null;
  }
  if (activations.size > 1) return null;
  const activation = [...activations][0] ?? (hidden.length > 0 ? 'linear' : 'relu');
  return { hidden, activation, dropout };
}

function show(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}
