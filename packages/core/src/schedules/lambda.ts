import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ChainableLRScheduler } from './scheduler.js';
import { requireOptions } from './validate.js';

/** A function of the epoch (0, 1, 2, ...) giving a factor. */
export type EpochFunction = (epoch: number) => number;

export interface LambdaLROptions {
  /** lr = initialLr * lrLambda(epoch): one function for every group, or one per group. */
  lrLambda: EpochFunction | readonly EpochFunction[];
}
export interface MultiplicativeLROptions {
  /** lr = previous lr * lrLambda(epoch) from epoch 1 on: one function for every group, or one per group. */
  lrLambda: EpochFunction | readonly EpochFunction[];
}

function functions(where: string, raw: unknown, groups: number): EpochFunction[] {
  const o = requireOptions(where, raw, ['lrLambda']);
  const given = o.lrLambda;
  if (typeof given === 'function') return new Array<EpochFunction>(groups).fill(given as EpochFunction);
  if (!Array.isArray(given) || given.some((f) => typeof f !== 'function'))
    throw new ArgumentError(
      `${where}: invalid lrLambda ${String(given)} (must be a function of the epoch, or an array of them, one per parameter group)`,
    );
  if (given.length !== groups)
    throw new ArgumentError(
      `${where}: lrLambda has ${given.length} functions, but the optimizer has ${groups} parameter groups`,
    );
  return [...(given as EpochFunction[])];
}

function factor(where: string, lrLambda: EpochFunction, epoch: number): number {
  const value = lrLambda(epoch);
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new ArgumentError(`${where}: lrLambda(${epoch}) returned ${String(value)} (must be a finite number)`);
  return value;
}

/** Functions cannot be stored: the state (like PyTorch's for plain functions) holds no options, and loading accepts none. */
function noOptions(where: string, raw: Record<string, unknown>): () => void {
  requireOptions(`${where}.loadStateDict`, raw, []);
  return () => {};
}

/**
 * lr = initialLr * lrLambda(epoch) (torch.optim.lr_scheduler.LambdaLR). The function is not part
 * of stateDict() (PyTorch saves plain functions as None): make the schedule with the same
 * function, then loadStateDict. schedulerFromConfig cannot build it.
 */
export class LambdaLR extends ChainableLRScheduler {
  private readonly lrLambdas: EpochFunction[];
  constructor(optimizer: Optimizer, options: LambdaLROptions) {
    super(optimizer);
    this.lrLambdas = functions('LambdaLR', options, optimizer.paramGroups.length);
    this.initialStep();
  }
  protected override get label(): string {
    return 'LambdaLR';
  }
  protected chainedLrs(): number[] {
    return this.baseLrs.map((base, i) => base * factor('LambdaLR', this.lrLambdas[i]!, this.lastEpoch));
  }
  protected options(): Record<string, unknown> {
    return {};
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    return noOptions('LambdaLR', raw);
  }
}

/**
 * lr = previous lr * lrLambda(epoch) for epoch >= 1 (torch.optim.lr_scheduler.MultiplicativeLR;
 * it has no closed form: stepToEpoch(epoch) applies lrLambda(epoch) once, as PyTorch's step(epoch)
 * does). The function is not part of stateDict(), as for LambdaLR.
 */
export class MultiplicativeLR extends ChainableLRScheduler {
  private readonly lrLambdas: EpochFunction[];
  constructor(optimizer: Optimizer, options: MultiplicativeLROptions) {
    super(optimizer);
    this.lrLambdas = functions('MultiplicativeLR', options, optimizer.paramGroups.length);
    this.initialStep();
  }
  protected override get label(): string {
    return 'MultiplicativeLR';
  }
  protected chainedLrs(): number[] {
    return this.optimizer.paramGroups.map((group, i) =>
      this.lastEpoch > 0 ? group.lr * factor('MultiplicativeLR', this.lrLambdas[i]!, this.lastEpoch) : group.lr,
    );
  }
  protected options(): Record<string, unknown> {
    return {};
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    return noOptions('MultiplicativeLR', raw);
  }
}
