import type { Backend } from '../backend/contract.js';
import type { Tensor } from '../tensor/tensor.js';
import { isAccumulating, type MetricLike } from './metrics.js';
import { RunningSum } from './running-sum.js';

/**
 * The device-side sums of a list of metrics for fit and evaluate: one number per plain metric,
 * a vector of statistics per accumulating one (made at its first batch, when its length is
 * known). Values come from the totals read back, on the host.
 */
export class MetricSums {
  readonly #sums: (RunningSum | null)[];

  constructor(
    private readonly backend: Backend,
    private readonly metrics: readonly MetricLike[],
    private readonly what: string,
  ) {
    this.#sums = metrics.map(() => null);
  }

  /** Adds one batch's statistics (call without gradients, inside a tidy). */
  add(output: Tensor, target: Tensor): void {
    this.metrics.forEach((metric, i) => {
      const stats = isAccumulating(metric) ? metric.batchStats(output, target) : metric.batchSum(output, target);
      const label = `${this.what} metric '${metric.name}'`;
      this.#sums[i] ??= new RunningSum(this.backend, label, isAccumulating(metric) ? stats.shape : []);
      this.#sums[i].add(stats);
    });
  }

  /** The totals to read back, one tensor per metric (after at least one add). */
  totals(): Tensor[] {
    return this.#sums.map((sum) => sum!.total);
  }

  /** name -> value from the totals read back (in the order of `totals()`) over `samples`. */
  values(totals: readonly (readonly number[])[], samples: number): Record<string, number> {
    return Object.fromEntries(
      this.metrics.map((metric, i) => [
        metric.name,
        isAccumulating(metric) ? metric.result(totals[i]!, samples) : totals[i]![0]! / samples,
      ]),
    );
  }

  dispose(): void {
    for (const sum of this.#sums) sum?.dispose();
  }
}
