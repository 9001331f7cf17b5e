import type { DType } from '../backend/contract.js';
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { zeros } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkPositiveInteger } from './checks.js';
import { Linear } from './linear.js';
import type { Module } from './module.js';
import { Sequential } from './sequential.js';

export interface SummaryOptions {
  /** The batch size of the example input (default 1). */
  batchSize?: number;
  /** The example input's dtype (default: the first parameter's, else float32; int32 for an Embedding first). */
  dtype?: DType;
}

/** One row of a summary: a layer (a module without children, or one with parameters of its own). */
export interface LayerSummary {
  /** The dotted name, as in namedModules ('0', 'block.1'); the type alone for the model itself. */
  readonly name: string;
  readonly type: string;
  /** The shape of what its forward returned; null if it did not run for this input. */
  readonly outputShape: readonly number[] | null;
  /** Its own parameter elements (not its children's). */
  readonly parameters: number;
}

/** [4, 1, 28, 28]: spaced, for a table people read. */
const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

/** What `summary` found: each layer's output shape and parameter count, and the totals (Keras' model.summary()). */
export class ModelSummary {
  constructor(
    readonly inputShape: readonly number[],
    readonly outputShape: readonly number[],
    readonly layers: readonly LayerSummary[],
    readonly totalParameters: number,
    readonly trainableParameters: number,
  ) {}

  /** A table: layer (type), output shape, parameters; then the input and the totals. */
  toString(): string {
    const count = (n: number): string => n.toLocaleString('en-US');
    const rows = this.layers.map((l) => [
      l.name === '' ? l.type : `${l.name} (${l.type})`,
      l.outputShape === null ? '(not run)' : shapeText(l.outputShape),
      count(l.parameters),
    ]);
    const header = ['Layer (type)', 'Output shape', 'Parameters'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('   ')
        .trimEnd();
    const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 6);
    return [
      `Input shape: ${shapeText(this.inputShape)}`,
      rule,
      line(header),
      rule,
      ...rows.map(line),
      rule,
      `Output shape: ${shapeText(this.outputShape)}`,
      `Parameters: ${count(this.totalParameters)} (trainable ${count(this.trainableParameters)})`,
    ].join('\n');
  }
}

/**
 * Runs `model` once on zeros of [batchSize, ...inputShape] (without gradients, in eval mode, so
 * BatchNorm's running statistics do not move) and reports every layer's output shape and
 * parameter count, like Keras' model.summary() or torchinfo. The model's training flags are
 * restored afterwards; a wrong input shape fails with the layer's own error.
 */
export function summary(model: Module, inputShape: readonly number[], options: SummaryOptions = {}): ModelSummary {
  if (!Array.isArray(inputShape))
    throw new ArgumentError(
      `summary: inputShape must be an array of sizes (without the batch axis), got ${String(inputShape)}`,
    );
  inputShape.forEach((d, i) => checkPositiveInteger(`summary: inputShape[${i}]`, d));
  const batchSize = checkPositiveInteger('summary: batchSize', options.batchSize ?? 1);
  const modules = model.namedModules();
  // The first float tensor of the state, not parameters(): a lazy layer has none until this forward.
  const first = Object.values(model.stateDict()).find((t) => isFloat(t.dtype));
  const dtype =
    options.dtype ?? (modules.find(([, m]) => m.typeName === 'Embedding') ? 'int32' : (first?.dtype ?? 'float32'));

  const shapes = new Map<Module, readonly number[]>();
  const rows = modules.filter(([, m]) => m.children().length === 0 || ownParameters(m) > 0);
  const shown = new Set(rows.map(([, m]) => m));
  // Sequential runs a Linear and the activation after it as one op (forwardActivation): the
  // activation's forward is not called, so it gets the Linear's (elementwise-equal) output shape.
  const followers = new Map<Module, Module>();
  for (const [, m] of modules) {
    if (!(m instanceof Sequential)) continue;
    const layers = [...m];
    layers.forEach((layer, i) => {
      if (layer instanceof Linear && layers[i + 1] !== undefined) followers.set(layer, layers[i + 1]!);
    });
  }
  const restore: (() => void)[] = [];
  const patch = (m: Module, method: 'forward' | 'forwardActivation' | 'forwardWithWeights') => {
    const own = Object.getOwnPropertyDescriptor(m, method);
    const original = (m as unknown as Record<string, (...args: unknown[]) => Tensor>)[method]!;
    Object.defineProperty(m, method, {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        const output = original.apply(m, args);
        // forwardWithWeights (MultiheadAttention) returns { output, weights }.
        shapes.set(
          m,
          method === 'forwardWithWeights' ? (output as unknown as { output: Tensor }).output.shape : output.shape,
        );
        if (method === 'forwardActivation' && followers.has(m)) shapes.set(followers.get(m)!, output.shape);
        return output;
      },
    });
    restore.push(() =>
      own === undefined
        ? delete (m as unknown as Record<string, unknown>)[method]
        : Object.defineProperty(m, method, own),
    );
  };
  for (const m of shown) {
    patch(m, 'forward');
    if (m instanceof Linear) patch(m, 'forwardActivation');
    if (typeof (m as { forwardWithWeights?: unknown }).forwardWithWeights === 'function')
      patch(m, 'forwardWithWeights');
  }
  const training = modules.map(([, m]) => [m, m.training] as const);
  let outputShape: readonly number[] = [];
  try {
    model.train(false);
    noGrad(() =>
      tidy(() => {
        const input = zeros([batchSize, ...inputShape], { dtype, backend: first?.backend });
        outputShape = model.forward(input).shape;
      }),
    );
  } finally {
    for (const undo of restore.reverse()) undo();
    for (const [m, mode] of training) m.training = mode;
  }
  const layers = rows.map(([name, m]) => ({
    name,
    type: m.typeName,
    outputShape: shapes.get(m) ?? null,
    parameters: ownParameters(m),
  }));
  const parameters = model.parameters();
  const total = parameters.reduce((sum, p) => sum + p.size, 0);
  const trainable = parameters.reduce((sum, p) => sum + (p.requiresGrad ? p.size : 0), 0);
  return new ModelSummary([batchSize, ...inputShape], outputShape, layers, total, trainable);
}

/** The elements of a module's own parameters (their names have no dot). */
function ownParameters(module: Module): number {
  return module
    .namedParameters()
    .filter(([name]) => !name.includes('.'))
    .reduce((sum, [, p]) => sum + p.size, 0);
}
