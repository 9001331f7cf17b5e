// torch.optim.swa_utils: AveragedModel (stochastic weight averaging, or an exponential moving
// average with `ema`) and updateBn. SWALR, the schedule SWA trains with, is in schedules/swalr.ts.
import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { isFloat } from '../ops/dispatch.js';
import { where } from '../ops/elementwise.js';
import type { Backend } from '../backend/contract.js';
import { LazyModule } from '../nn/lazy.js';
import { Module } from '../nn/module.js';
import { BatchNorm1d, BatchNorm2d } from '../nn/normalization.js';
import { moduleFromConfig } from '../nn/registry.js';
import { checkedModelConfig } from '../nn/reparametrization-config.js';
import { describeValue } from '../nn/checks.js';
import { fullLike, zeros } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { batchesOf } from '../training/evaluate.js';
import { forwardBatch, yieldsFreshBatches, type DataSource } from '../training/types.js';
import { isTensor } from '../tensor/is-tensor.js';
import { rejectUnknownKeys } from './validate.js';

/**
 * How AveragedModel folds a model's parameter into its average: `averaged` is the average so far,
 * `current` the model's value, `numAveraged` the number of models averaged before (a 0-d tensor
 * of the parameter's dtype, as PyTorch passes its n_averaged buffer). Returns the new average.
 */
export type AvgFn = (averaged: Tensor, current: Tensor, numAveraged: Tensor) => Tensor;

/** PyTorch's default: the equal average, averaged + (current - averaged) / (numAveraged + 1). */
export const equalAverage: AvgFn = (averaged, current, numAveraged) =>
  averaged.add(current.sub(averaged).div(numAveraged.add(1)));

/**
 * An exponential moving average for AveragedModel's avgFn: decay * averaged + (1 - decay) *
 * current (PyTorch 2.1's get_ema_avg_fn). `decay` is in [0, 1].
 */
export function ema(decay: number): AvgFn {
  if (typeof decay !== 'number' || !(decay >= 0 && decay <= 1))
    throw new ArgumentError(`ema: invalid decay ${describeValue(decay)} (must be in [0, 1])`);
  return (averaged, current) => averaged.mul(decay).add(current.mul(1 - decay));
}

export interface AveragedModelOptions {
  /** The averaging rule (default: the equal average, `equalAverage`); `ema(decay)` gives an EMA. */
  avgFn?: AvgFn;
  /** Average the buffers too (BatchNorm's running statistics), not only the parameters (default false). */
  useBuffers?: boolean;
  /**
   * Makes the averaged copy of `model` (PyTorch's deepcopy). Default: `moduleFromConfig(model.config())`
   * with the model's weights loaded; a custom module without config() needs this.
   */
  copy?: (model: Module) => Module;
}

const OPTION_NAMES = ['avgFn', 'useBuffers', 'copy'];

/**
 * A running average of a model's weights, like torch.optim.swa_utils.AveragedModel: it holds a
 * copy of the model (`module`, whose weights are the average) and a count `n_averaged` (a
 * buffer, saved in its state dict as in PyTorch). `updateParameters(model)` copies the model's
 * weights on the first call and folds them in with `avgFn` afterwards; `forward` runs the copy.
 *
 *   const swa = new AveragedModel(model);               // SWA: the equal average
 *   const emaModel = new AveragedModel(model, { avgFn: ema(0.999) });
 *   // after each epoch from swaStart on: swa.updateParameters(model); swaScheduler.step();
 *   // at the end: await updateBn(trainData, swa);
 *
 * Runs without host reads. With `useBuffers`, float buffers are averaged too; integer buffers
 * (BatchNorm's num_batches_tracked) are copied from the model, where PyTorch averages them in
 * integer arithmetic.
 */
export class AveragedModel extends Module {
  /** The averaged copy of the model. */
  readonly module: Module;
  /** How many models were averaged so far (an int32 scalar buffer, PyTorch's n_averaged). */
  readonly nAveraged: Tensor;
  readonly avgFn: AvgFn;
  readonly useBuffers: boolean;

  constructor(model: Module, options: AveragedModelOptions = {}) {
    super();
    if (!(model instanceof Module))
      throw new ArgumentError(`AveragedModel: model must be a Module, got ${describeValue(model)}`);
    if (typeof options !== 'object' || options === null)
      throw new ArgumentError(`AveragedModel: options must be an object, got ${describeValue(options)}`);
    rejectUnknownKeys('AveragedModel', options, OPTION_NAMES);
    const avgFn = options.avgFn ?? equalAverage;
    if (typeof avgFn !== 'function')
      throw new ArgumentError(
        `AveragedModel: avgFn must be a function (averaged, current, numAveraged) => Tensor, got ${describeValue(avgFn)}`,
      );
    const useBuffers = options.useBuffers ?? false;
    if (typeof useBuffers !== 'boolean')
      throw new ArgumentError(`AveragedModel: invalid useBuffers ${describeValue(useBuffers)} (must be true or false)`);
    this.avgFn = avgFn;
    this.useBuffers = useBuffers;
    this.module = this.registerModule('module', copyOf(model, options.copy));
    const backend = stateBackend(model);
    this.nAveraged = this.registerBuffer('n_averaged', zeros([], { dtype: 'int32', backend }));
    this.training = model.training;
  }

  override get typeName(): string {
    return 'AveragedModel';
  }

  forward(input: Tensor, ...rest: Tensor[]): Tensor {
    return this.module.forward(input, ...rest);
  }

  /** The tensors averaged: the copy's parameters, and its buffers with useBuffers. */
  private averagedTensors(model: Module): [string, Tensor][] {
    return this.useBuffers ? [...model.namedParameters(), ...model.namedBuffers()] : model.namedParameters();
  }

  /**
   * Folds `model`'s current weights into the average (the first call copies them), then counts
   * it. `model` must have the averaged model's parameters (and buffers), in order and shape.
   */
  updateParameters(model: Module): void {
    const where_ = 'AveragedModel.updateParameters';
    if (!(model instanceof Module))
      throw new ArgumentError(`${where_}: model must be a Module, got ${describeValue(model)}`);
    const mine = this.averagedTensors(this.module);
    const theirs = this.averagedTensors(model);
    const what = this.useBuffers ? 'parameters and buffers' : 'parameters';
    if (mine.length !== theirs.length)
      throw new ArgumentError(
        `${where_}: the model has ${theirs.length} ${what}, the averaged model ${mine.length}; pass the model it was made from`,
      );
    mine.forEach(([name, average], i) => {
      const [theirName, current] = theirs[i]!;
      if (current.isDisposed) throw new ArgumentError(`${where_}: the model's '${theirName}' was disposed`);
      if (current.shape.length !== average.shape.length || current.shape.some((d, k) => d !== average.shape[k]))
        throw new ShapeError(
          `${where_}: the model's '${theirName}' has shape ${formatShape(current.shape)}, the averaged '${name}' ${formatShape(average.shape)}`,
        );
    });
    tidy(() =>
      noGrad(() => {
        // Every new value is computed and checked before any is assigned: a failing avgFn changes nothing.
        const values = mine.map(([name, average], i) => {
          const source = theirs[i]![1];
          const current = source.backend === average.backend ? source : source.to(average.backend);
          if (!isFloat(average.dtype)) return current.detach();
          const n = this.nAveraged.to(average.backend).cast(average.dtype);
          const folded = this.avgFn(
            average,
            current.dtype === average.dtype ? current : current.cast(average.dtype),
            n,
          );
          if (!isTensor(folded))
            throw new ArgumentError(
              `${where_}: avgFn must return a Tensor, got ${describeValue(folded)} for '${name}'`,
            );
          if (folded.shape.length !== average.shape.length || folded.shape.some((d, k) => d !== average.shape[k]))
            throw new ShapeError(
              `${where_}: avgFn returned shape ${formatShape(folded.shape)} for '${name}' of shape ${formatShape(average.shape)}`,
            );
          // The first update copies the model (n_averaged == 0), as PyTorch does, without reading n.
          return where(n.equal(0), current, folded);
        });
        mine.forEach(([, average], i) => average.assign(values[i]!));
        this.nAveraged.assign(this.nAveraged.add(1));
      }),
    );
  }
}

function copyOf(model: Module, copy: ((model: Module) => Module) | undefined): Module {
  if (copy !== undefined) {
    if (typeof copy !== 'function')
      throw new ArgumentError(`AveragedModel: copy must be a function (model) => Module, got ${describeValue(copy)}`);
    const made = copy(model);
    if (!(made instanceof Module) || made === model)
      throw new ArgumentError(
        `AveragedModel: copy must return a new Module (a copy of the model), got ${made === model ? 'the model itself' : describeValue(made)}`,
      );
    return made;
  }
  let made: Module;
  try {
    made = moduleFromConfig(checkedModelConfig(model));
  } catch (error) {
    throw new ArgumentError(
      `AveragedModel: cannot copy the model from its config (${(error as Error).message}); pass { copy: (model) => ... } that builds a copy`,
    );
  }
  const backend = stateBackend(model);
  const madeBackend = stateBackend(made);
  if (backend !== undefined && madeBackend !== undefined && backend !== madeBackend) {
    made.dispose();
    throw new ArgumentError(
      `AveragedModel: the model is on backend '${backend.name}' but a copy from its config is made on the default backend${madeBackend.name === backend.name ? ` (another '${madeBackend.name}' instance)` : ` '${madeBackend.name}'`}; pass { copy: (model) => ... } that builds the copy on the model's backend`,
    );
  }
  made.loadStateDict(model.stateDict());
  made.train(model.training);
  return made;
}

/** The backend of a model's first parameter or buffer: its state, as a lazy layer has no parameters() before its first forward. */
function stateBackend(model: Module): Backend | undefined {
  return Object.values(model.stateDict())[0]?.backend;
}

/** A batch as updateBn reads it: a tensor, an array whose first element is the input (PyTorch's), or a { x } batch. */
export type UpdateBnBatch = Tensor | readonly Tensor[] | { x: Tensor | readonly Tensor[] };

export interface UpdateBnOptions {
  /** The epoch a DataLoader is asked for (default 0). */
  epoch?: number;
}

type BatchNormLayer = BatchNorm1d | BatchNorm2d;

/**
 * Recomputes every BatchNorm layer's running mean and variance with one pass over `data`, like
 * torch.optim.swa_utils.update_bn: the statistics are reset, each batch is run through the model
 * in train mode without gradients, and the running statistics become the equal average over the
 * batches (PyTorch's momentum = None; each layer's own momentum is restored afterwards, as is the
 * model's train/eval mode). Use it on an AveragedModel after SWA: averaged weights need their
 * own activation statistics. Batches are tensors, arrays (the first element is the input) or
 * `{ x, y }` batches (a DataLoader); a model without BatchNorm layers is left alone.
 */
export async function updateBn(
  data: DataSource<UpdateBnBatch>,
  model: Module,
  options: UpdateBnOptions = {},
): Promise<void> {
  if (!(model instanceof Module))
    throw new ArgumentError(`updateBn: model must be a Module, got ${describeValue(model)}`);
  rejectUnknownKeys('updateBn', options ?? {}, ['epoch']);
  const epoch = options.epoch ?? 0;
  if (!Number.isInteger(epoch) || epoch < 0)
    throw new ArgumentError(`updateBn: invalid epoch ${describeValue(epoch)} (must be an integer >= 0)`);
  // A built lazy norm runs its materialized BatchNorm, whose running statistics it shares.
  const layers = model
    .namedModules()
    .map(([, m]) => (m instanceof LazyModule ? (m.materialized ?? m) : m))
    .filter(
      (m): m is BatchNormLayer => (m instanceof BatchNorm1d || m instanceof BatchNorm2d) && m.runningMean !== null,
    );
  if (layers.length === 0) return;
  const batches = batchesOf(data, epoch);
  noGrad(() =>
    tidy(() => {
      for (const layer of layers) {
        layer.runningMean!.assign(fullLike(layer.runningMean!, 0));
        layer.runningVar!.assign(fullLike(layer.runningVar!, 1));
        layer.numBatchesTracked!.assign(fullLike(layer.numBatchesTracked!, 0));
      }
    }),
  );
  const wasTraining = model.training;
  const momenta = layers.map((layer) => layer.momentum);
  const counts = layers.map(() => 0);
  // Each layer's k-th batch enters with momentum 1/k: the cumulative average PyTorch's momentum None gives.
  layers.forEach((layer, i) => {
    const forward = Object.getPrototypeOf(layer).forward as (input: Tensor) => Tensor;
    Object.defineProperty(layer, 'forward', {
      configurable: true,
      writable: true,
      value: (input: Tensor): Tensor => {
        counts[i] = counts[i]! + 1;
        (layer as { momentum: number }).momentum = 1 / counts[i]!;
        return forward.call(layer, input);
      },
    });
  });
  const fresh = yieldsFreshBatches(data);
  model.train();
  try {
    for await (const batch of batches) {
      const inputs = batchInput(batch);
      noGrad(() =>
        tidy(() => {
          forwardBatch(model, inputs);
        }),
      );
      if (fresh) disposeBatch(batch);
    }
  } finally {
    layers.forEach((layer, i) => {
      delete (layer as { forward?: unknown }).forward;
      (layer as { momentum: number }).momentum = momenta[i]!;
    });
    model.train(wasTraining);
  }
}

function batchInput(batch: UpdateBnBatch): Tensor | readonly Tensor[] {
  if (isTensor(batch)) return batch;
  if (Array.isArray(batch)) {
    const first: unknown = batch[0];
    if (!isTensor(first))
      throw new ArgumentError(`updateBn: an array batch must start with the input tensor, got ${describeValue(first)}`);
    return first;
  }
  if (typeof batch === 'object' && batch !== null && 'x' in batch) return batch.x;
  throw new ArgumentError(
    `updateBn: a batch must be a tensor, an array whose first element is the input, or { x }, got ${describeValue(batch)}`,
  );
}

function disposeBatch(batch: UpdateBnBatch): void {
  const tensors: unknown[] = isTensor(batch)
    ? [batch]
    : Array.isArray(batch)
      ? batch
      : Object.values(batch as object).flatMap((v: unknown) => (Array.isArray(v) ? v : [v]));
  for (const t of tensors) if (isTensor(t) && !t.isDisposed) t.dispose();
}
