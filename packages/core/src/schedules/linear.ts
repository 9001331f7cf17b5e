import type { Optimizer } from '../optim/optimizer.js';
import { requireFraction, requireNonNegative } from '../optim/validate.js';
import { ClosedFormLRScheduler } from './scheduler.js';
import { requireFactor, requireOptions, requirePositiveInteger } from './validate.js';

export interface LinearLROptions {
  /** The lr factor at epoch 0 (default 1/3), in (0, 1]. */
  startFactor?: number;
  /** The lr factor from epoch totalIters on (default 1), in [0, 1]. */
  endFactor?: number;
  /** Epochs from startFactor to endFactor (default 5). */
  totalIters?: number;
}
export interface ConstantLROptions {
  /** The lr factor before epoch totalIters (default 1/3), in (0, 1]. */
  factor?: number;
  /** The epoch from which the lr is the initial lr again (default 5). */
  totalIters?: number;
}
export interface PolynomialLROptions {
  /** Epochs to decay over, reaching 0 at totalIters (default 5). */
  totalIters?: number;
  /** The polynomial's power (default 1: linear). */
  power?: number;
}

/** torch LinearLR's closed form: initialLr * (start + (end - start) * min(totalIters, epoch) / totalIters). */
export function linearClosedForm(
  baseLr: number,
  epoch: number,
  start: number,
  end: number,
  totalIters: number,
): number {
  return baseLr * (start + ((end - start) * Math.min(totalIters, epoch)) / totalIters);
}

/** torch LinearLR's get_lr(): the factor of this epoch over the factor of the last, applied to the current lr. */
export function linearChained(lr: number, epoch: number, start: number, end: number, totalIters: number): number {
  if (epoch === 0) return lr * start;
  if (epoch > totalIters) return lr;
  return lr * (1 + (end - start) / (totalIters * start + (epoch - 1) * (end - start)));
}

function resolveLinear(raw: unknown): Required<LinearLROptions> {
  const o = requireOptions('LinearLR', raw, ['startFactor', 'endFactor', 'totalIters']);
  return {
    startFactor: requireFactor('LinearLR', 'startFactor', o.startFactor ?? 1 / 3),
    endFactor: requireFraction('LinearLR', 'endFactor', o.endFactor ?? 1),
    totalIters: requirePositiveInteger('LinearLR', 'totalIters', o.totalIters ?? 5),
  };
}

/**
 * The lr factor moves linearly from startFactor to endFactor over totalIters epochs, then stays
 * (torch.optim.lr_scheduler.LinearLR; LinearWarmup is the same with endFactor 1).
 */
export class LinearLR extends ClosedFormLRScheduler {
  private settings: Required<LinearLROptions>;
  constructor(optimizer: Optimizer, options: LinearLROptions = {}) {
    super(optimizer);
    this.settings = resolveLinear(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'LinearLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const { startFactor, endFactor, totalIters } = this.settings;
    return linearClosedForm(baseLr, epoch, startFactor, endFactor, totalIters);
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    const { startFactor, endFactor, totalIters } = this.settings;
    return linearChained(lr, epoch, startFactor, endFactor, totalIters);
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveLinear(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolveConstant(raw: unknown): Required<ConstantLROptions> {
  const o = requireOptions('ConstantLR', raw, ['factor', 'totalIters']);
  return {
    factor: requireFactor('ConstantLR', 'factor', o.factor ?? 1 / 3),
    totalIters: requirePositiveInteger('ConstantLR', 'totalIters', o.totalIters ?? 5),
  };
}

/**
 * lr = initialLr * factor before epoch totalIters, initialLr from then on
 * (torch.optim.lr_scheduler.ConstantLR). Unlike PyTorch, factor 0 is refused: PyTorch accepts it
 * and then divides by zero at totalIters.
 */
export class ConstantLR extends ClosedFormLRScheduler {
  private settings: Required<ConstantLROptions>;
  constructor(optimizer: Optimizer, options: ConstantLROptions = {}) {
    super(optimizer);
    this.settings = resolveConstant(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'ConstantLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const { factor, totalIters } = this.settings;
    return baseLr * (factor + (epoch >= totalIters ? 1 - factor : 0));
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    const { factor, totalIters } = this.settings;
    if (epoch === 0) return lr * factor;
    return epoch === totalIters ? lr * (1 / factor) : lr;
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveConstant(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolvePolynomial(raw: unknown): Required<PolynomialLROptions> {
  const o = requireOptions('PolynomialLR', raw, ['totalIters', 'power']);
  const power = requireNonNegative('PolynomialLR', 'power', o.power ?? 1);
  return { totalIters: requirePositiveInteger('PolynomialLR', 'totalIters', o.totalIters ?? 5), power };
}

/** lr = initialLr * (1 - min(epoch, totalIters) / totalIters)^power (torch.optim.lr_scheduler.PolynomialLR): 0 from totalIters on. */
export class PolynomialLR extends ClosedFormLRScheduler {
  private settings: Required<PolynomialLROptions>;
  constructor(optimizer: Optimizer, options: PolynomialLROptions = {}) {
    super(optimizer);
    this.settings = resolvePolynomial(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'PolynomialLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const { totalIters, power } = this.settings;
    return baseLr * (1 - Math.min(totalIters, epoch) / totalIters) ** power;
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    const { totalIters, power } = this.settings;
    if (epoch === 0 || epoch > totalIters) return lr;
    return lr * ((1 - epoch / totalIters) / (1 - (epoch - 1) / totalIters)) ** power;
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolvePolynomial(raw);
    return () => {
      this.settings = settings;
    };
  }
}
