import { totalmem } from 'node:os';
import { summary, type Module, type ModuleConfig } from '@myelin/core';
import { CliError, UsageError, describeValue } from '../errors.js';

// --memory-budget: what a run may allocate for its model (parameters, gradients, optimizer
// state, activations of a batch), its dataset and its decoded images, checked before each is
// allocated, so a typo like --hidden 5000000 or a stray label of 1,000,000 is one message
// naming what asked for the memory instead of minutes of swapping or a RangeError.

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  tib: 2 ** 40,
};

export const MEMORY_BUDGET_ALLOWED = 'a size like 2GiB, 512MB, 1.5GB or a number of bytes, > 0';

/** The default budget: half the physical memory. */
export const defaultMemoryBudget = (): number => Math.floor(totalmem() / 2);

/** "2GiB", "512MB", "1.5g", "1000000" -> bytes; anything else is a usage error naming the flag. */
export function parseMemoryBudget(text: string | undefined): number {
  if (text === undefined) return defaultMemoryBudget();
  const match = /^\s*(\d+(?:\.\d+)?|\.\d+)(?:e(\d+))?\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[3]!.toLowerCase()] : undefined;
  const bytes = match && unit !== undefined ? Number(match[1]) * 10 ** Number(match[2] ?? 0) * unit : Number.NaN;
  if (!(bytes >= 1) || !Number.isFinite(bytes))
    throw new UsageError(
      `invalid value for --memory-budget: got ${describeValue(text)}; allowed: ${MEMORY_BUDGET_ALLOWED}`,
    );
  return Math.floor(bytes);
}

/** 15.7 GB, 512 MB, 12 KB (decimal units, as people read sizes). */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['TB', 1e12],
    ['GB', 1e9],
    ['MB', 1e6],
    ['KB', 1e3],
  ] as const) {
    if (bytes >= size) {
      const value = bytes / size;
      return `${value >= 100 ? Math.round(value) : Number(value.toPrecision(3))} ${unit}`;
    }
  }
  return `${bytes} bytes`;
}

export class MemoryBudget {
  constructor(
    readonly bytes: number,
    /** Whether --memory-budget was given (else the default, half the physical memory). */
    readonly given: boolean,
  ) {}

  static fromFlag(text: string | undefined): MemoryBudget {
    return new MemoryBudget(parseMemoryBudget(text), text !== undefined);
  }

  get description(): string {
    return `the memory budget of ${formatBytes(this.bytes)} (--memory-budget${this.given ? '' : ', by default half the physical memory'})`;
  }

  /**
   * Throws when `bytes` exceed the budget: "<what> needs about 15.7 GB for <purpose>, over the
   * memory budget of 12 GB (--memory-budget)". `usage` makes it exit code 2 (a flag asked for it).
   */
  check(bytes: number, what: string, purpose: string, usage: boolean): void {
    if (bytes <= this.bytes) return;
    const message = `${what} needs about ${formatBytes(bytes)} for ${purpose}, over ${this.description}; make it smaller or raise --memory-budget`;
    throw usage ? new UsageError(message) : new CliError(message);
  }
}

/** Parameters of a module config (Linear layers, found anywhere inside Sequential, Residual...). */
export function countParameters(config: unknown): number {
  if (Array.isArray(config)) return config.reduce((sum: number, item) => sum + countParameters(item), 0);
  if (typeof config !== 'object' || config === null) return 0;
  const module = config as Record<string, unknown>;
  if (module.type === 'Linear' && typeof module.inFeatures === 'number' && typeof module.outFeatures === 'number')
    return module.inFeatures * module.outFeatures + (module.bias === false ? 0 : module.outFeatures);
  return Object.values(module).reduce((sum: number, value) => sum + countParameters(value), 0);
}

/** Per-sample activation values of a module config: every Linear output, kept for the backward pass. */
function activationsPerSample(config: unknown): number {
  if (Array.isArray(config)) return config.reduce((sum: number, item) => sum + activationsPerSample(item), 0);
  if (typeof config !== 'object' || config === null) return 0;
  const module = config as Record<string, unknown>;
  if (module.type === 'Linear' && typeof module.outFeatures === 'number') return module.outFeatures;
  return Object.values(module).reduce((sum: number, value) => sum + activationsPerSample(value), 0);
}

/** What the model-size estimate reads from an optimizer config. */
interface OptimizerSummary {
  type?: unknown;
  momentum?: unknown;
  centered?: unknown;
}

/** Tensors of state per parameter of each optimizer type that always has them (besides the gradient). */
const STATE_COPIES: Record<string, [number, string]> = {
  adam: [2, 'Adam state'],
  adamw: [2, 'AdamW state'],
  adagrad: [1, 'Adagrad state'],
  adadelta: [2, 'Adadelta state'],
  adamax: [2, 'Adamax state'],
  nadam: [2, 'NAdam state'],
  radam: [2, 'RAdam state'],
  rprop: [2, 'Rprop state'],
  asgd: [1, 'ASGD state'],
};

/**
 * Copies of the parameters besides the parameters themselves: the gradient plus the optimizer's
 * state (Adam's two moments, SGD's momentum buffer, RMSprop's square average, momentum buffer and
 * gradient average, ...).
 */
export function optimizerCopies(optimizer: OptimizerSummary): { copies: number; name: string } {
  const type = String(optimizer.type ?? '').toLowerCase();
  const momentum = typeof optimizer.momentum === 'number' && optimizer.momentum > 0;
  const known = STATE_COPIES[type];
  if (known !== undefined) return { copies: 1 + known[0], name: known[1] };
  if (type === 'rmsprop')
    return { copies: 2 + (momentum ? 1 : 0) + (optimizer.centered === true ? 1 : 0), name: 'RMSprop state' };
  if (type === 'sgd' && momentum) return { copies: 2, name: 'SGD momentum' };
  return { copies: 1, name: 'gradients' };
}

/**
 * Bytes a model needs while training: float32 parameters x (1 + gradient and optimizer state),
 * plus a batch's activations (forward values and their gradients), from its config before it is
 * built (Linear layers only: enough for the sizes a flag or a stray label sets).
 */
export function modelBytes(
  modelConfig: ModuleConfig,
  optimizer: OptimizerSummary,
  batchSize: number,
): { bytes: number; parameters: number; purpose: string } {
  const { bytes, parameters, state } = trainingBytes(
    countParameters(modelConfig),
    activationsPerSample(modelConfig),
    optimizer,
    batchSize,
  );
  return { bytes, parameters, purpose: `parameters and ${state}` };
}

/**
 * The same for a built model, every layer counted: its parameters as they are, and the outputs
 * of its layers for one sample of `sampleShape` (a forward pass of one sample in eval mode, as
 * `summary` runs it), so convolutions' feature maps and attention count too.
 */
export function builtModelBytes(
  model: Module,
  sampleShape: readonly number[],
  optimizer: OptimizerSummary,
  batchSize: number,
): { bytes: number; parameters: number; purpose: string } {
  const { layers, totalParameters } = summary(model, sampleShape);
  const activations = layers.reduce(
    (sum, layer) => sum + (layer.outputShape === null ? 0 : layer.outputShape.reduce((a, d) => a * d, 1)),
    0,
  );
  const { bytes, parameters, state } = trainingBytes(totalParameters, activations, optimizer, batchSize);
  return {
    bytes,
    parameters,
    purpose: `parameters, ${state} and the activations of a batch of ${batchSize.toLocaleString('en-US')}`,
  };
}

function trainingBytes(
  parameters: number,
  activationsPerSample: number,
  optimizer: OptimizerSummary,
  batchSize: number,
): { bytes: number; parameters: number; state: string } {
  const { copies, name } = optimizerCopies(optimizer);
  const activations = activationsPerSample * batchSize * 2;
  return { bytes: 4 * (parameters * (1 + copies) + activations), parameters, state: name };
}
