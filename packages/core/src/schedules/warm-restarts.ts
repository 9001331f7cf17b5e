import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { requireNonNegative } from '../optim/validate.js';
import { ChainableLRScheduler } from './scheduler.js';
import { requireOptions, requirePositiveInteger } from './validate.js';

export interface CosineAnnealingWarmRestartsOptions {
  /** Epochs until the first restart. */
  t0: number;
  /** Each period is tMult times the one before (default 1), an integer. */
  tMult?: number;
  /** The lowest lr (default 0). */
  etaMin?: number;
}

function resolve(raw: unknown): Required<CosineAnnealingWarmRestartsOptions> {
  const o = requireOptions('CosineAnnealingWarmRestarts', raw, ['t0', 'tMult', 'etaMin']);
  return {
    t0: requirePositiveInteger('CosineAnnealingWarmRestarts', 't0', o.t0),
    tMult: requirePositiveInteger('CosineAnnealingWarmRestarts', 'tMult', o.tMult ?? 1),
    etaMin: requireNonNegative('CosineAnnealingWarmRestarts', 'etaMin', o.etaMin ?? 0),
  };
}

/**
 * SGDR (torch.optim.lr_scheduler.CosineAnnealingWarmRestarts): lr = etaMin + (initialLr -
 * etaMin) * (1 + cos(pi * tCur / tI)) / 2, where tCur counts epochs since the last restart and
 * the period tI starts at t0 and is multiplied by tMult at each restart. step() advances one
 * epoch; PyTorch's step(epoch) with a fractional epoch (stepping per batch: epoch + batch /
 * batches) is stepToEpoch(epoch) here, since `fit` passes step() its metric.
 */
export class CosineAnnealingWarmRestarts extends ChainableLRScheduler {
  private settings: Required<CosineAnnealingWarmRestartsOptions>;
  /** Epochs since the last restart (fractional after stepToEpoch), and the current period. */
  private tCur: number;
  private tI: number;

  constructor(optimizer: Optimizer, options: CosineAnnealingWarmRestartsOptions) {
    super(optimizer);
    this.settings = resolve(options);
    this.tI = this.settings.t0;
    this.tCur = -1;
    this.initialStep();
  }

  protected override get label(): string {
    return 'CosineAnnealingWarmRestarts';
  }

  override step(_metric?: number): void {
    if (this.lastEpoch < 0) {
      this.stepToEpoch(0);
      return;
    }
    this.lastEpoch += 1;
    this.tCur += 1;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.settings.tMult;
    }
    this.setLrs(this.chainedLrs());
  }

  /** Sets the lr of `epoch`, a number >= 0 that may be fractional (torch's step(epoch)); lastEpoch becomes its floor. */
  override stepToEpoch(epoch: number): void {
    if (typeof epoch !== 'number' || !Number.isFinite(epoch) || epoch < 0)
      throw new ArgumentError(
        `CosineAnnealingWarmRestarts.stepToEpoch: invalid epoch ${String(epoch)} (must be a finite number >= 0)`,
      );
    const { t0, tMult } = this.settings;
    if (epoch < t0) {
      this.tI = t0;
      this.tCur = epoch;
    } else if (tMult === 1) {
      this.tCur = epoch % t0;
    } else {
      // PyTorch's int(math.log(x, base)): log(x) / log(base), truncated.
      const n = Math.trunc(Math.log((epoch / t0) * (tMult - 1) + 1) / Math.log(tMult));
      this.tCur = epoch - (t0 * (tMult ** n - 1)) / (tMult - 1);
      this.tI = t0 * tMult ** n;
    }
    this.lastEpoch = Math.floor(epoch);
    this.setLrs(this.chainedLrs());
  }

  protected chainedLrs(): number[] {
    const { etaMin } = this.settings;
    return this.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolve(raw);
    return () => {
      this.settings = settings;
    };
  }

  protected override extraState(): Record<string, unknown> {
    return { tCur: this.tCur, tI: this.tI };
  }

  protected override loadExtraState(state: Record<string, unknown>): () => void {
    const { tCur, tI } = state;
    if (typeof tCur !== 'number' || !Number.isFinite(tCur) || tCur < 0)
      throw new ArgumentError(
        `CosineAnnealingWarmRestarts.loadStateDict: tCur must be a finite number >= 0, got ${String(tCur)}`,
      );
    if (!Number.isInteger(tI) || (tI as number) < 1)
      throw new ArgumentError(
        `CosineAnnealingWarmRestarts.loadStateDict: tI must be an integer >= 1, got ${String(tI)}`,
      );
    return () => {
      this.tCur = tCur;
      this.tI = tI as number;
    };
  }
}
