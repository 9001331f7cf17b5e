import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { requireNonNegative } from '../optim/validate.js';
import { ChainableLRScheduler } from './scheduler.js';
import { perGroup, requireOptions } from './validate.js';

export interface SWALROptions {
  /** The lr annealed to: one for every group, or one per group. */
  swaLr: number | readonly number[];
  /** Epochs of the annealing (default 10); 0 sets swaLr at once. */
  annealEpochs?: number;
  /** The annealing curve (default 'cos'). */
  annealStrategy?: 'cos' | 'linear';
}

interface Settings {
  swaLrs: number[];
  annealEpochs: number;
  annealStrategy: 'cos' | 'linear';
}

function resolve(raw: unknown, groups: number): Settings {
  const o = requireOptions('SWALR', raw, ['swaLr', 'annealEpochs', 'annealStrategy']);
  if (o.swaLr === undefined)
    throw new ArgumentError('SWALR: swaLr is required (the lr to anneal to: a number, or one per parameter group)');
  const annealEpochs = o.annealEpochs ?? 10;
  if (!Number.isInteger(annealEpochs) || (annealEpochs as number) < 0)
    throw new ArgumentError(`SWALR: invalid annealEpochs ${String(annealEpochs)} (must be an integer >= 0)`);
  const annealStrategy = o.annealStrategy ?? 'cos';
  if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
    throw new ArgumentError(
      `SWALR: invalid annealStrategy ${JSON.stringify(annealStrategy)} (must be 'cos' or 'linear')`,
    );
  return {
    swaLrs: perGroup('SWALR', 'swaLr', o.swaLr, groups, requireNonNegative),
    annealEpochs: annealEpochs as number,
    annealStrategy,
  };
}

/**
 * Anneals each group's lr to a fixed swaLr over annealEpochs epochs, then holds it, like
 * torch.optim.swa_utils.SWALR (PyTorch's recursive rule, so it chains with the lr it finds: the
 * lr another schedule left is where the annealing starts). The schedule stochastic weight
 * averaging trains with once averaging starts:
 *
 *   const swaScheduler = new SWALR(optimizer, { swaLr: 0.05, annealEpochs: 5 });
 *   // each epoch from swaStart on: swa.updateParameters(model); swaScheduler.step();
 *
 * alpha(t) is (1 - cos(pi t)) / 2 for 'cos', t for 'linear', with t = min(1, epoch / annealEpochs);
 * each step sets lr = swaLr * alpha(t) + lr0 * (1 - alpha(t)), where lr0 is the lr the
 * previous step's alpha started from.
 */
export class SWALR extends ChainableLRScheduler {
  private settings: Settings;

  constructor(optimizer: Optimizer, options: SWALROptions) {
    super(optimizer);
    this.settings = resolve(options, optimizer.paramGroups.length);
    this.initialStep();
  }

  protected override get label(): string {
    return 'SWALR';
  }

  private anneal(t: number): number {
    return this.settings.annealStrategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  protected chainedLrs(): number[] {
    const { annealEpochs, swaLrs } = this.settings;
    const step = annealEpochs === 0 ? Math.max(1, this.lastEpoch) : this.lastEpoch;
    const prevT = Math.max(0, Math.min(1, (step - 1) / Math.max(1, annealEpochs)));
    const prevAlpha = this.anneal(prevT);
    const t = Math.max(0, Math.min(1, step / Math.max(1, annealEpochs)));
    const alpha = this.anneal(t);
    return this.optimizer.paramGroups.map((group, i) => {
      const swaLr = swaLrs[i]!;
      const prevLr = prevAlpha === 1 ? swaLr : (group.lr - prevAlpha * swaLr) / (1 - prevAlpha);
      return swaLr * alpha + prevLr * (1 - alpha);
    });
  }

  protected options(): Record<string, unknown> {
    const { swaLrs, annealEpochs, annealStrategy } = this.settings;
    return { swaLr: [...swaLrs], annealEpochs, annealStrategy };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolve(raw, this.optimizer.paramGroups.length);
    return () => {
      this.settings = settings;
    };
  }
}
