import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { requireNonNegative } from '../optim/validate.js';
import { ClosedFormLRScheduler } from './scheduler.js';
import { linearChained, linearClosedForm } from './linear.js';
import { requireOptions, requirePositiveInteger } from './validate.js';

export interface StepLROptions {
  stepSize: number;
  gamma?: number;
}
export interface MultiStepLROptions {
  milestones: readonly number[];
  gamma?: number;
}
export interface ExponentialLROptions {
  gamma: number;
}
export interface CosineAnnealingLROptions {
  tMax: number;
  etaMin?: number;
}
export interface LinearWarmupOptions {
  warmupEpochs: number;
  startFactor?: number;
}

function resolveStep(raw: unknown): Required<StepLROptions> {
  const o = requireOptions('StepLR', raw, ['stepSize', 'gamma']);
  return {
    stepSize: requirePositiveInteger('StepLR', 'stepSize', o.stepSize),
    gamma: requireNonNegative('StepLR', 'gamma', o.gamma ?? 0.1),
  };
}

/** lr = initialLr * gamma^floor(epoch / stepSize) (torch StepLR). */
export class StepLR extends ClosedFormLRScheduler {
  private settings: Required<StepLROptions>;
  constructor(optimizer: Optimizer, options: StepLROptions) {
    super(optimizer);
    this.settings = resolveStep(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'StepLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.settings.gamma ** Math.floor(epoch / this.settings.stepSize);
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    return epoch === 0 || epoch % this.settings.stepSize !== 0 ? lr : lr * this.settings.gamma;
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveStep(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolveMultiStep(raw: unknown): { milestones: number[]; gamma: number } {
  const o = requireOptions('MultiStepLR', raw, ['milestones', 'gamma']);
  if (!Array.isArray(o.milestones) || o.milestones.some((m) => !Number.isInteger(m) || m < 0)) {
    throw new ArgumentError(
      `MultiStepLR: invalid milestones ${JSON.stringify(o.milestones)} (must be an array of integers >= 0)`,
    );
  }
  return {
    milestones: [...(o.milestones as number[])].sort((a, b) => a - b),
    gamma: requireNonNegative('MultiStepLR', 'gamma', o.gamma ?? 0.1),
  };
}

/** lr = initialLr * gamma^(number of milestones <= epoch) (torch MultiStepLR; a repeated milestone counts twice). */
export class MultiStepLR extends ClosedFormLRScheduler {
  private settings: { milestones: number[]; gamma: number };
  constructor(optimizer: Optimizer, options: MultiStepLROptions) {
    super(optimizer);
    this.settings = resolveMultiStep(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'MultiStepLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const passed = this.settings.milestones.filter((m) => m <= epoch).length;
    return baseLr * this.settings.gamma ** passed;
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    const hits = this.settings.milestones.filter((m) => m === epoch).length;
    return hits === 0 ? lr : lr * this.settings.gamma ** hits;
  }
  protected options(): Record<string, unknown> {
    return { milestones: [...this.settings.milestones], gamma: this.settings.gamma };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveMultiStep(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolveExponential(raw: unknown): Required<ExponentialLROptions> {
  const o = requireOptions('ExponentialLR', raw, ['gamma']);
  return { gamma: requireNonNegative('ExponentialLR', 'gamma', o.gamma) };
}

/** lr = initialLr * gamma^epoch (torch ExponentialLR). */
export class ExponentialLR extends ClosedFormLRScheduler {
  private settings: Required<ExponentialLROptions>;
  constructor(optimizer: Optimizer, options: ExponentialLROptions) {
    super(optimizer);
    this.settings = resolveExponential(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'ExponentialLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    return baseLr * this.settings.gamma ** epoch;
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    return epoch === 0 ? lr : lr * this.settings.gamma;
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveExponential(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolveCosine(raw: unknown): Required<CosineAnnealingLROptions> {
  const o = requireOptions('CosineAnnealingLR', raw, ['tMax', 'etaMin']);
  return {
    tMax: requirePositiveInteger('CosineAnnealingLR', 'tMax', o.tMax),
    etaMin: requireNonNegative('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0),
  };
}

/**
 * lr = etaMin + (initialLr - etaMin) * (1 + cos(pi * epoch / tMax)) / 2, torch's closed form
 * (`_get_closed_form_lr`): it reaches etaMin at tMax and, past it, rises again (a cosine period of 2 tMax).
 */
export class CosineAnnealingLR extends ClosedFormLRScheduler {
  private settings: Required<CosineAnnealingLROptions>;
  constructor(optimizer: Optimizer, options: CosineAnnealingLROptions) {
    super(optimizer);
    this.settings = resolveCosine(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'CosineAnnealingLR';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const { tMax, etaMin } = this.settings;
    return etaMin + ((baseLr - etaMin) * (1 + Math.cos((Math.PI * epoch) / tMax))) / 2;
  }
  /** torch's recursive rule; at each restart of the cosine's rise it adds the step from etaMin. */
  protected override chainedLr(lr: number, baseLr: number, epoch: number): number {
    const { tMax, etaMin } = this.settings;
    if (epoch === 0) return lr;
    if ((epoch - 1 - tMax) % (2 * tMax) === 0) return lr + ((baseLr - etaMin) * (1 - Math.cos(Math.PI / tMax))) / 2;
    return (
      ((1 + Math.cos((Math.PI * epoch) / tMax)) / (1 + Math.cos((Math.PI * (epoch - 1)) / tMax))) * (lr - etaMin) +
      etaMin
    );
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveCosine(raw);
    return () => {
      this.settings = settings;
    };
  }
}

function resolveWarmup(raw: unknown): Required<LinearWarmupOptions> {
  const o = requireOptions('LinearWarmup', raw, ['warmupEpochs', 'startFactor']);
  const startFactor = o.startFactor ?? 0.1;
  if (typeof startFactor !== 'number' || !(startFactor > 0 && startFactor <= 1)) {
    throw new ArgumentError(`LinearWarmup: invalid startFactor ${String(startFactor)} (must be in (0, 1])`);
  }
  return { warmupEpochs: requirePositiveInteger('LinearWarmup', 'warmupEpochs', o.warmupEpochs), startFactor };
}

/**
 * Linear warm-up from startFactor * initialLr to initialLr over warmupEpochs, then constant:
 * torch LinearLR(start_factor, end_factor = 1, total_iters = warmupEpochs) in closed form.
 */
export class LinearWarmup extends ClosedFormLRScheduler {
  private settings: Required<LinearWarmupOptions>;
  constructor(optimizer: Optimizer, options: LinearWarmupOptions) {
    super(optimizer);
    this.settings = resolveWarmup(options);
    this.initialStep();
  }
  protected override get label(): string {
    return 'LinearWarmup';
  }
  protected lrAt(baseLr: number, epoch: number): number {
    const { warmupEpochs, startFactor } = this.settings;
    return linearClosedForm(baseLr, epoch, startFactor, 1, warmupEpochs);
  }
  protected override chainedLr(lr: number, _baseLr: number, epoch: number): number {
    const { warmupEpochs, startFactor } = this.settings;
    return linearChained(lr, epoch, startFactor, 1, warmupEpochs);
  }
  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }
  protected loadOptions(raw: Record<string, unknown>): () => void {
    const settings = resolveWarmup(raw);
    return () => {
      this.settings = settings;
    };
  }
}
