import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { rejectUnknownKeys } from '../optim/validate.js';
import { momentumOf, setMomentum } from './momentum.js';
import { LRScheduler, type SchedulerState } from './scheduler.js';

export interface OneCycleLROptions {
  /** The peak lr (a number, or one per parameter group); default: each group's lr when the schedule is made. */
  maxLr?: number | readonly number[];
  /** Optimizer steps in the cycle; or give `epochs` and `stepsPerEpoch`. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The share of the cycle spent raising the lr (default 0.3). */
  pctStart?: number;
  /** 'cos' (default) or 'linear'. */
  annealStrategy?: 'cos' | 'linear';
  /** Cycle momentum (SGD's momentum, Adam's first beta) inversely to the lr (default true). */
  cycleMomentum?: boolean;
  baseMomentum?: number;
  maxMomentum?: number;
  /** initial lr = maxLr / divFactor (default 25). */
  divFactor?: number;
  /** final lr = initial lr / finalDivFactor (default 1e4). */
  finalDivFactor?: number;
  /** Up, down to the initial lr, then down to the final lr (fast.ai's schedule), instead of up then down. */
  threePhase?: boolean;
}

interface OneCycleSettings {
  maxLr: number | number[] | null;
  totalSteps: number;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  baseMomentum: number;
  maxMomentum: number;
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;
}

const ALLOWED = [
  'maxLr',
  'totalSteps',
  'epochs',
  'stepsPerEpoch',
  'pctStart',
  'annealStrategy',
  'cycleMomentum',
  'baseMomentum',
  'maxMomentum',
  'divFactor',
  'finalDivFactor',
  'threePhase',
];

function positive(name: string, value: unknown, integer = false): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !(value > 0) || (integer && !Number.isInteger(value)))
    throw new ArgumentError(
      `OneCycleLR: invalid ${name} ${JSON.stringify(value)} (must be ${integer ? 'an integer >= 1' : 'a number > 0'})`,
    );
  return value;
}

function resolve(raw: unknown): OneCycleSettings {
  if (typeof raw !== 'object' || raw === null)
    throw new ArgumentError(`OneCycleLR: expected an options object { ${ALLOWED.join(', ')} }, got ${String(raw)}`);
  rejectUnknownKeys('OneCycleLR', raw, ALLOWED);
  const o = raw as Record<string, unknown>;
  let totalSteps: number;
  if (o.totalSteps !== undefined) totalSteps = positive('totalSteps', o.totalSteps, true);
  else if (o.epochs !== undefined && o.stepsPerEpoch !== undefined)
    totalSteps = positive('epochs', o.epochs, true) * positive('stepsPerEpoch', o.stepsPerEpoch, true);
  else
    throw new ArgumentError(
      'OneCycleLR: the cycle length is missing: pass totalSteps, or epochs and stepsPerEpoch (optimizer steps, one per batch)',
    );
  const pctStart = o.pctStart ?? 0.3;
  if (typeof pctStart !== 'number' || !(pctStart > 0 && pctStart < 1))
    throw new ArgumentError(`OneCycleLR: invalid pctStart ${JSON.stringify(pctStart)} (must be in (0, 1))`);
  const annealStrategy = o.annealStrategy ?? 'cos';
  if (annealStrategy !== 'cos' && annealStrategy !== 'linear')
    throw new ArgumentError(`OneCycleLR: invalid annealStrategy ${JSON.stringify(annealStrategy)} ('cos' or 'linear')`);
  const flag = (name: string, fallback: boolean): boolean => {
    const value = o[name] ?? fallback;
    if (typeof value !== 'boolean')
      throw new ArgumentError(`OneCycleLR: ${name} must be true or false, got ${JSON.stringify(value)}`);
    return value;
  };
  let maxLr: number | number[] | null = null;
  if (Array.isArray(o.maxLr)) maxLr = o.maxLr.map((v, i) => positive(`maxLr[${i}]`, v));
  else if (o.maxLr !== undefined) maxLr = positive('maxLr', o.maxLr);
  const baseMomentum = o.baseMomentum ?? 0.85;
  const maxMomentum = o.maxMomentum ?? 0.95;
  for (const [name, value] of [
    ['baseMomentum', baseMomentum],
    ['maxMomentum', maxMomentum],
  ] as const)
    if (typeof value !== 'number' || !(value >= 0 && value < 1))
      throw new ArgumentError(`OneCycleLR: invalid ${name} ${JSON.stringify(value)} (must be in [0, 1))`);
  return {
    maxLr,
    totalSteps,
    pctStart,
    annealStrategy,
    cycleMomentum: flag('cycleMomentum', true),
    baseMomentum: baseMomentum as number,
    maxMomentum: maxMomentum as number,
    divFactor: positive('divFactor', o.divFactor ?? 25),
    finalDivFactor: positive('finalDivFactor', o.finalDivFactor ?? 1e4),
    threePhase: flag('threePhase', false),
  };
}

/**
 * The 1cycle policy (torch.optim.lr_scheduler.OneCycleLR): the lr rises from maxLr / divFactor
 * to maxLr over the first pctStart of the cycle, then anneals to maxLr / divFactor /
 * finalDivFactor, while the momentum (SGD's momentum, Adam's first beta) moves the other way
 * between maxMomentum and baseMomentum. It is stepped after every optimizer step (`interval` is
 * 'batch': `fit` does that), `totalSteps` times in all; one more step is an error, as in PyTorch.
 */
export class OneCycleLR extends LRScheduler {
  private settings: OneCycleSettings;
  private maxLrs: number[];

  constructor(optimizer: Optimizer, options: OneCycleLROptions) {
    super(optimizer);
    this.settings = resolve(options);
    this.maxLrs = this.peaks(this.settings);
    if (this.settings.cycleMomentum) for (const group of optimizer.paramGroups) momentumOf(group, 'OneCycleLR');
    this.apply(0);
  }

  protected override get label(): string {
    return 'OneCycleLR';
  }

  override get interval(): 'epoch' | 'batch' {
    return 'batch';
  }

  /** The cycle's length in optimizer steps (after loadStateDict: the saved run's). */
  get totalSteps(): number {
    return this.settings.totalSteps;
  }

  /** Advances one optimizer step. */
  step(_metric?: number): void {
    if (this.lastEpoch + 1 > this.settings.totalSteps)
      throw new ArgumentError(
        `OneCycleLR: stepped ${this.lastEpoch + 1} times, but the cycle has ${this.settings.totalSteps} steps (totalSteps, or epochs x stepsPerEpoch); make the schedule with the run's full length`,
      );
    this.apply(this.lastEpoch + 1);
  }

  override loadStateDict(state: SchedulerState): void {
    super.loadStateDict(state);
    this.maxLrs = this.peaks(this.settings);
    if (this.settings.cycleMomentum) this.setMomenta(this.lastEpoch);
  }

  /** The peak lr of each group: maxLr, or the groups' initial lrs. */
  private peaks(settings: OneCycleSettings): number[] {
    const groups = this.optimizer.paramGroups.length;
    if (Array.isArray(settings.maxLr)) {
      if (settings.maxLr.length !== groups)
        throw new ArgumentError(
          `OneCycleLR: maxLr has ${settings.maxLr.length} entries, but the optimizer has ${groups} parameter groups`,
        );
      return [...settings.maxLr];
    }
    return settings.maxLr === null ? [...this.baseLrs] : new Array<number>(groups).fill(settings.maxLr);
  }

  private apply(step: number): void {
    this.lastEpoch = step;
    this.setLrs(
      this.maxLrs.map((peak) => {
        const initial = peak / this.settings.divFactor;
        const final = initial / this.settings.finalDivFactor;
        return this.at(step, [initial, peak, initial, final]);
      }),
    );
    if (this.settings.cycleMomentum) this.setMomenta(step);
  }

  private setMomenta(step: number): void {
    const { baseMomentum, maxMomentum } = this.settings;
    const momentum = this.at(step, [maxMomentum, baseMomentum, maxMomentum, maxMomentum]);
    for (const group of this.optimizer.paramGroups) setMomentum(group, momentum, 'OneCycleLR');
  }

  /**
   * The value at `step` of a schedule through the points [start, peak, middle, end]: start to
   * peak over the first phase, then peak to end (or, three-phase, peak to middle, then to end).
   */
  private at(step: number, [start, peak, middle, end]: readonly [number, number, number, number]): number {
    const { totalSteps, pctStart, threePhase } = this.settings;
    const phases = threePhase
      ? [
          { end: pctStart * totalSteps - 1, from: start, to: peak },
          { end: 2 * pctStart * totalSteps - 2, from: peak, to: middle },
          { end: totalSteps - 1, from: middle, to: end },
        ]
      : [
          { end: pctStart * totalSteps - 1, from: start, to: peak },
          { end: totalSteps - 1, from: peak, to: end },
        ];
    let phaseStart = 0;
    for (let i = 0; i < phases.length; i++) {
      const phase = phases[i]!;
      if (step <= phase.end || i === phases.length - 1) {
        const pct = (step - phaseStart) / (phase.end - phaseStart);
        return this.settings.annealStrategy === 'cos'
          ? phase.to + ((phase.from - phase.to) / 2) * (Math.cos(Math.PI * pct) + 1)
          : (phase.to - phase.from) * pct + phase.from;
      }
      phaseStart = phase.end;
    }
    return end;
  }

  protected options(): Record<string, unknown> {
    return { ...this.settings };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const { maxLr, ...rest } = raw;
    const settings = resolve(maxLr === null ? rest : raw);
    return () => {
      this.settings = settings;
    };
  }
}
