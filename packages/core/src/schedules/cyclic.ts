import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { requireBoolean, requireNonNegative, requireUnitInterval } from '../optim/validate.js';
import { momentumOf, setMomentum } from './momentum.js';
import { ChainableLRScheduler, type SchedulerState } from './scheduler.js';
import { perGroup, requireOptions } from './validate.js';

export interface CyclicLROptions {
  /** The lr at the bottom of each cycle (a number, or one per parameter group); it replaces the groups' lrs. */
  baseLr: number | readonly number[];
  /** The lr at the top of the first cycle (a number, or one per parameter group). */
  maxLr: number | readonly number[];
  /** Optimizer steps from baseLr up to maxLr (default 2000). */
  stepSizeUp?: number;
  /** Optimizer steps back down (default stepSizeUp). */
  stepSizeDown?: number;
  /**
   * 'triangular' (default): every cycle the same; 'triangular2': each cycle's height halves;
   * 'exp_range': the height is scaled by gamma^step.
   */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** The base of 'exp_range''s scaling (default 1). */
  gamma?: number;
  /** Cycle momentum (SGD's momentum, Adam's first beta) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  /** The momentum at the top of the lr (default 0.8; a number, or one per group). */
  baseMomentum?: number | readonly number[];
  /** The momentum at the bottom of the lr (default 0.9; a number, or one per group). */
  maxMomentum?: number | readonly number[];
}

interface CyclicSettings {
  baseLr: number[];
  maxLr: number[];
  stepSizeUp: number;
  stepSizeDown: number;
  mode: 'triangular' | 'triangular2' | 'exp_range';
  gamma: number;
  cycleMomentum: boolean;
  baseMomentum: number[];
  maxMomentum: number[];
}

const KEYS = [
  'baseLr',
  'maxLr',
  'stepSizeUp',
  'stepSizeDown',
  'mode',
  'gamma',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
];
const MODES = ['triangular', 'triangular2', 'exp_range'] as const;

function positive(where: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0))
    throw new ArgumentError(`${where}: invalid ${name} ${String(value)} (must be a number > 0)`);
  return value;
}

function resolve(raw: unknown, groups: number): CyclicSettings {
  const o = requireOptions('CyclicLR', raw, KEYS);
  if (o.baseLr === undefined || o.maxLr === undefined)
    throw new ArgumentError(
      `CyclicLR: baseLr and maxLr are required (the lr at the bottom and at the top of a cycle), got baseLr ${String(o.baseLr)} and maxLr ${String(o.maxLr)}`,
    );
  const mode = o.mode ?? 'triangular';
  if (!MODES.includes(mode as never))
    throw new ArgumentError(
      `CyclicLR: invalid mode ${JSON.stringify(mode)} (must be 'triangular', 'triangular2' or 'exp_range')`,
    );
  const stepSizeUp = positive('CyclicLR', 'stepSizeUp', o.stepSizeUp ?? 2000);
  const cycleMomentum = requireBoolean('CyclicLR', 'cycleMomentum', o.cycleMomentum ?? true);
  return {
    baseLr: perGroup('CyclicLR', 'baseLr', o.baseLr, groups, requireNonNegative),
    maxLr: perGroup('CyclicLR', 'maxLr', o.maxLr, groups, requireNonNegative),
    stepSizeUp,
    stepSizeDown: requireNonNegative('CyclicLR', 'stepSizeDown', o.stepSizeDown ?? stepSizeUp),
    mode: mode as CyclicSettings['mode'],
    gamma: requireNonNegative('CyclicLR', 'gamma', o.gamma ?? 1),
    cycleMomentum,
    baseMomentum: perGroup('CyclicLR', 'baseMomentum', o.baseMomentum ?? 0.8, groups, requireUnitInterval),
    maxMomentum: perGroup('CyclicLR', 'maxMomentum', o.maxMomentum ?? 0.9, groups, requireUnitInterval),
  };
}

/** Checks the options and, as PyTorch does before its base constructor, sets each group's lr (and momentum) to the base. */
function prepare(optimizer: Optimizer, options: CyclicLROptions): CyclicSettings | undefined {
  if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups)) return undefined;
  const settings = resolve(options, optimizer.paramGroups.length);
  if (settings.cycleMomentum) for (const group of optimizer.paramGroups) momentumOf(group, 'CyclicLR');
  optimizer.paramGroups.forEach((group, i) => {
    group.lr = settings.baseLr[i]!;
    if (settings.cycleMomentum) setMomentum(group, settings.baseMomentum[i]!, 'CyclicLR');
  });
  return settings;
}

/**
 * Cyclical learning rates (torch.optim.lr_scheduler.CyclicLR): the lr goes from baseLr up to
 * maxLr in stepSizeUp optimizer steps and back in stepSizeDown, the cycle's height scaled by the
 * mode, while the momentum (SGD's, or Adam's first beta as PyTorch 2 does) moves the other way
 * between maxMomentum and baseMomentum. Stepped after every optimizer step (`interval` 'batch').
 * PyTorch's custom scale_fn and scale_mode are not offered (a config cannot hold a function).
 */
export class CyclicLR extends ChainableLRScheduler {
  private settings: CyclicSettings;

  constructor(optimizer: Optimizer, options: CyclicLROptions) {
    const settings = prepare(optimizer, options);
    super(optimizer);
    this.settings = settings!;
    // PyTorch's first step scales from the groups' initialLr (baseLr unless a schedule set one before); baseLr after.
    this.initialStep();
    this.baseLrs = [...this.settings.baseLr];
  }

  protected override get label(): string {
    return 'CyclicLR';
  }

  override get interval(): 'epoch' | 'batch' {
    return 'batch';
  }

  override loadStateDict(state: SchedulerState): void {
    super.loadStateDict(state);
    if (this.settings.cycleMomentum) this.setMomenta(this.position());
  }

  /** Where lastEpoch is in its cycle: the cycle (from 1), the height's scale (0 at baseLr, 1 at maxLr) and the mode's factor. */
  private position(): { scale: number; factor: number } {
    const { stepSizeUp, stepSizeDown, mode, gamma } = this.settings;
    const totalSize = stepSizeUp + stepSizeDown;
    const stepRatio = stepSizeUp / totalSize;
    const cycle = Math.floor(1 + this.lastEpoch / totalSize);
    const x = 1 + this.lastEpoch / totalSize - cycle;
    const scale = x <= stepRatio ? x / stepRatio : (x - 1) / (stepRatio - 1);
    const factor = mode === 'triangular' ? 1 : mode === 'triangular2' ? 1 / 2 ** (cycle - 1) : gamma ** this.lastEpoch;
    return { scale, factor };
  }

  /** torch's get_lr(), with its side effect on the momentum. */
  protected chainedLrs(): number[] {
    const at = this.position();
    if (this.settings.cycleMomentum) this.setMomenta(at);
    return this.baseLrs.map((base, i) => base + (this.settings.maxLr[i]! - base) * at.scale * at.factor);
  }

  private setMomenta({ scale, factor }: { scale: number; factor: number }): void {
    const { baseMomentum, maxMomentum } = this.settings;
    this.optimizer.paramGroups.forEach((group, i) => {
      const momentum = maxMomentum[i]! - (maxMomentum[i]! - baseMomentum[i]!) * scale * factor;
      setMomentum(group, momentum, 'CyclicLR');
    });
  }

  protected options(): Record<string, unknown> {
    const { baseLr, maxLr, baseMomentum, maxMomentum, ...rest } = this.settings;
    return {
      ...rest,
      baseLr: [...baseLr],
      maxLr: [...maxLr],
      baseMomentum: [...baseMomentum],
      maxMomentum: [...maxMomentum],
    };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolve(raw, this.optimizer.paramGroups.length);
    return () => {
      this.settings = settings;
    };
  }
}
