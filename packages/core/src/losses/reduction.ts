import { ArgumentError } from '../errors.js';
import { mean, sum } from '../ops/reduce.js';
import type { Tensor } from '../tensor/tensor.js';

/** How a loss turns per-element losses into its result, as in PyTorch. */
export type Reduction = 'mean' | 'sum' | 'none';

const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];

/** Options every loss takes. */
export interface ReductionOptions {
  /** 'mean' (default) averages, 'sum' adds up, 'none' returns the per-element losses. */
  reduction?: Reduction;
}

/**
 * The reduction named in `options`, or an error naming the bad value and the allowed ones
 * (`allowed`: a loss with more reductions than the usual three, such as KLDivLoss's 'batchmean').
 */
export function checkReduction<R extends string = Reduction>(
  owner: string,
  reduction: unknown = 'mean',
  allowed: readonly R[] = REDUCTIONS as readonly string[] as readonly R[],
): R {
  if (typeof reduction !== 'string' || !(allowed as readonly string[]).includes(reduction)) {
    const names = allowed.map((r) => `'${r}'`);
    throw new ArgumentError(
      `${owner}: reduction must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, got ${JSON.stringify(reduction) ?? String(reduction)}`,
    );
  }
  return reduction as R;
}

/** Applies an unweighted reduction to per-element losses. */
export function reduce(losses: Tensor, reduction: Reduction): Tensor {
  switch (reduction) {
    case 'none':
      return losses;
    case 'sum':
      return sum(losses);
    case 'mean':
      return mean(losses);
  }
}
