import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { rejectUnknownKeys, requireNonNegative } from '../optim/validate.js';
import { LRScheduler } from './scheduler.js';

export interface ReduceLROnPlateauOptions {
  /** 'min': lower metrics are better (a loss); 'max': higher are better (an accuracy). */
  mode?: 'min' | 'max';
  /** new lr = max(lr * factor, minLr); must be < 1. */
  factor?: number;
  /** Epochs without improvement tolerated before the lr is reduced. */
  patience?: number;
  /** The least improvement that counts: relative (best * (1 -+ threshold)) or absolute. */
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  /** Epochs to wait after a reduction before counting bad epochs again. */
  cooldown?: number;
  /** A floor for every group's lr, or one per group. */
  minLr?: number | readonly number[];
  /** A reduction smaller than this is skipped (torch's eps). */
  eps?: number;
}

type Settings = Required<Omit<ReduceLROnPlateauOptions, 'minLr'>> & { minLr: number | number[] };

const KEYS = ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps'] as const;

function requireCount(name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new ArgumentError(`ReduceLROnPlateau: invalid ${name} ${String(value)} (must be an integer >= 0)`);
  return value as number;
}

function resolve(raw: unknown, groups: number): Settings {
  if (typeof raw !== 'object' || raw === null)
    throw new ArgumentError(`ReduceLROnPlateau: expected an options object, got ${String(raw)}`);
  rejectUnknownKeys('ReduceLROnPlateau', raw, KEYS);
  const o = raw as ReduceLROnPlateauOptions;
  const mode = o.mode ?? 'min';
  if (mode !== 'min' && mode !== 'max')
    throw new ArgumentError(`ReduceLROnPlateau: invalid mode '${String(mode)}' (must be 'min' or 'max')`);
  const thresholdMode = o.thresholdMode ?? 'rel';
  if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
    throw new ArgumentError(
      `ReduceLROnPlateau: invalid thresholdMode '${String(thresholdMode)}' (must be 'rel' or 'abs')`,
    );
  const factor = o.factor ?? 0.1;
  if (typeof factor !== 'number' || !(factor >= 0 && factor < 1))
    throw new ArgumentError(`ReduceLROnPlateau: invalid factor ${String(factor)} (must be in [0, 1))`);
  let minLr: number | number[];
  if (Array.isArray(o.minLr)) {
    if (o.minLr.length !== groups)
      throw new ArgumentError(
        `ReduceLROnPlateau: minLr has ${o.minLr.length} entries, but the optimizer has ${groups} parameter groups`,
      );
    minLr = o.minLr.map((v, i) => requireNonNegative('ReduceLROnPlateau', `minLr[${i}]`, v));
  } else {
    minLr = requireNonNegative('ReduceLROnPlateau', 'minLr', o.minLr ?? 0);
  }
  return {
    mode,
    thresholdMode,
    factor,
    minLr,
    patience: requireCount('patience', o.patience ?? 10),
    cooldown: requireCount('cooldown', o.cooldown ?? 0),
    threshold: requireNonNegative('ReduceLROnPlateau', 'threshold', o.threshold ?? 1e-4),
    eps: requireNonNegative('ReduceLROnPlateau', 'eps', o.eps ?? 1e-8),
  };
}

/**
 * Reduces every group's lr by `factor` once the metric passed to step(metric) has not improved
 * for more than `patience` epochs (torch.optim.lr_scheduler.ReduceLROnPlateau).
 */
export class ReduceLROnPlateau extends LRScheduler {
  private settings: Settings;
  /** The best metric so far; null stands for torch's initial +-inf (JSON has no Infinity). */
  private best: number | null = null;
  private numBadEpochs = 0;
  private cooldownCounter = 0;

  constructor(optimizer: Optimizer, options: ReduceLROnPlateauOptions = {}) {
    super(optimizer);
    this.settings = resolve(options, optimizer.paramGroups.length);
    this.lastEpoch = 0;
  }

  protected override get label(): string {
    return 'ReduceLROnPlateau';
  }

  /** Each step needs the monitored value: fit skips the step on an epoch that did not validate. */
  get monitorsMetric(): boolean {
    return true;
  }

  /** Records the epoch's metric (required) and reduces the lrs after too many bad epochs. */
  step(metric?: number): void {
    if (typeof metric !== 'number')
      throw new ArgumentError(
        `ReduceLROnPlateau.step: pass the epoch's metric, e.g. step(validationLoss); got ${String(metric)}`,
      );
    this.lastEpoch += 1;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0; // bad epochs during cooldown do not count
    }
    if (this.numBadEpochs > this.settings.patience) {
      this.reduce();
      this.cooldownCounter = this.settings.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  private isBetter(metric: number): boolean {
    const { mode, thresholdMode, threshold } = this.settings;
    const best = this.best ?? (mode === 'min' ? Infinity : -Infinity);
    if (mode === 'min') return thresholdMode === 'rel' ? metric < best * (1 - threshold) : metric < best - threshold;
    return thresholdMode === 'rel' ? metric > best * (1 + threshold) : metric > best + threshold;
  }

  private reduce(): void {
    const { factor, minLr, eps } = this.settings;
    this.optimizer.paramGroups.forEach((group, i) => {
      const floor = Array.isArray(minLr) ? minLr[i]! : minLr;
      const next = Math.max(group.lr * factor, floor);
      if (group.lr - next > eps) group.lr = next;
    });
  }

  protected options(): Record<string, unknown> {
    const { minLr, ...rest } = this.settings;
    return { ...rest, minLr: Array.isArray(minLr) ? [...minLr] : minLr };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolve(raw, this.optimizer.paramGroups.length);
    return () => {
      this.settings = settings;
    };
  }

  protected override extraState(): Record<string, unknown> {
    const best = this.best !== null && Number.isFinite(this.best) ? this.best : null;
    return { best, numBadEpochs: this.numBadEpochs, cooldownCounter: this.cooldownCounter };
  }

  protected override loadExtraState(state: Record<string, unknown>): () => void {
    const { best, numBadEpochs, cooldownCounter } = state;
    if (best !== null && (typeof best !== 'number' || !Number.isFinite(best))) {
      throw new ArgumentError(
        `ReduceLROnPlateau.loadStateDict: best must be a finite number or null, got ${String(best)}`,
      );
    }
    const bad = requireCount('numBadEpochs', numBadEpochs);
    const cooldown = requireCount('cooldownCounter', cooldownCounter);
    return () => {
      this.best = best as number | null;
      this.numBadEpochs = bad;
      this.cooldownCounter = cooldown;
    };
  }
}
