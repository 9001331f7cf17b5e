import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ReduceLROnPlateau } from './reduce-on-plateau.js';
import { ChainableLRScheduler, LRScheduler } from './scheduler.js';
import { requireOptions } from './validate.js';

export interface SequentialLROptions {
  /** The schedules in the order they run, each made on the same optimizer. */
  schedulers: readonly ChainableLRScheduler[];
  /** The epochs at which the next schedule takes over: increasing, one fewer than the schedules. */
  milestones: readonly number[];
}

const typeOf = (scheduler: LRScheduler): string => String(scheduler.stateDict().type);

/** Checks the schedules a composite is given: a non-empty list, all on `optimizer`, all with one interval. */
function checkSchedulers(
  where: string,
  schedulers: unknown,
  optimizer: Optimizer | undefined,
  chainable: boolean,
): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0 || schedulers.some((s) => !(s instanceof LRScheduler)))
    throw new ArgumentError(
      `${where}: invalid schedulers ${String(schedulers)} (must be a non-empty array of schedules made on one optimizer)`,
    );
  const list = schedulers as LRScheduler[];
  list.forEach((scheduler, i) => {
    if (scheduler instanceof ReduceLROnPlateau)
      throw new ArgumentError(
        `${where}: schedulers[${i}] is a ReduceLROnPlateau, which ${where} cannot step (it needs the epoch's metric; PyTorch's cannot either)`,
      );
    if (chainable && !(scheduler instanceof ChainableLRScheduler))
      throw new ArgumentError(
        `${where}: schedulers[${i}] is a ${typeOf(scheduler)}, which cannot restart at a milestone; allowed: StepLR, MultiStepLR, ConstantLR, LinearLR, LinearWarmup, ExponentialLR, PolynomialLR, CosineAnnealingLR, CosineAnnealingWarmRestarts, CyclicLR, LambdaLR, MultiplicativeLR`,
      );
    if (optimizer !== undefined && scheduler.optimizer !== optimizer)
      throw new ArgumentError(
        `${where}: schedulers[${i}] (${typeOf(scheduler)}) belongs to another optimizer; every schedule must be made on ${where}'s optimizer`,
      );
    if (scheduler.interval !== list[0]!.interval)
      throw new ArgumentError(
        `${where}: schedulers[0] (${typeOf(list[0]!)}) is stepped every ${list[0]!.interval} but schedulers[${i}] (${typeOf(scheduler)}) every ${scheduler.interval}; allowed: schedules with one interval`,
      );
  });
  return list;
}

function resolveMilestones(raw: unknown, schedulers: number): number[] {
  if (
    !Array.isArray(raw) ||
    raw.some((m, i) => !Number.isInteger(m) || (m as number) < 1 || (i > 0 && (m as number) <= (raw[i - 1] as number)))
  )
    throw new ArgumentError(
      `SequentialLR: invalid milestones ${JSON.stringify(raw)} (must be increasing integers >= 1, the epochs at which the next schedule starts)`,
    );
  if (raw.length !== schedulers - 1)
    throw new ArgumentError(
      `SequentialLR: ${raw.length} milestones for ${schedulers} schedules (must be one fewer than the schedules: ${schedulers - 1})`,
    );
  return [...(raw as number[])];
}

/** Loads each child's state, all or none: on an error, the children and the groups get back what they had. */
function loadChildren(where: string, schedulers: readonly LRScheduler[], saved: unknown): void {
  if (!Array.isArray(saved) || saved.length !== schedulers.length)
    throw new ArgumentError(
      `${where}: schedulers must be an array of ${schedulers.length} states (one per schedule), got ${JSON.stringify(saved)?.slice(0, 80)}`,
    );
  const before = schedulers.map((s) => s.stateDict());
  const groups = schedulers[0]!.optimizer.paramGroups;
  const keys = ['lr', 'momentum', 'betas'] as const;
  const groupsBefore = groups.map((group) =>
    keys.filter((key) => key in group).map((key) => [key, group[key]] as const),
  );
  try {
    schedulers.forEach((scheduler, i) => {
      try {
        scheduler.loadStateDict(saved[i] as never);
      } catch (error) {
        if (error instanceof ArgumentError) throw new ArgumentError(`${where}: schedulers[${i}]: ${error.message}`);
        throw error;
      }
    });
  } catch (error) {
    schedulers.forEach((scheduler, i) => scheduler.loadStateDict(before[i]!));
    groups.forEach((group, i) => Object.assign(group, Object.fromEntries(groupsBefore[i]!)));
    throw error;
  }
}

/**
 * Runs schedules one after another (torch.optim.lr_scheduler.SequentialLR): the first until
 * milestones[0], the next from there, and so on. As in PyTorch, making it resets the groups to
 * their initial lrs and redoes the first schedule's epoch 0, and at a milestone the next schedule
 * jumps to its epoch 0 (stepToEpoch(0), torch's step(0): the closed form where there is one),
 * e.g. LinearLR warm-up then CosineAnnealingLR from the full lr. Its state holds each schedule's.
 */
export class SequentialLR extends LRScheduler {
  private readonly schedulers: ChainableLRScheduler[];
  private milestones: number[];

  constructor(optimizer: Optimizer, options: SequentialLROptions) {
    super(optimizer);
    const o = requireOptions('SequentialLR', options, ['schedulers', 'milestones']);
    this.schedulers = checkSchedulers('SequentialLR', o.schedulers, optimizer, true) as ChainableLRScheduler[];
    this.milestones = resolveMilestones(o.milestones, this.schedulers.length);
    this.lastEpoch = 0;
    optimizer.paramGroups.forEach((group, i) => {
      group.lr = this.baseLrs[i]!;
    });
    for (const scheduler of this.schedulers) scheduler.lastEpoch -= 1;
    this.schedulers[0]!.step();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  protected override get label(): string {
    return 'SequentialLR';
  }

  override get interval(): 'epoch' | 'batch' {
    return this.schedulers[0]!.interval;
  }

  step(_metric?: number): void {
    this.lastEpoch += 1;
    const index = this.milestones.filter((m) => m <= this.lastEpoch).length;
    const scheduler = this.schedulers[index]!;
    if (index > 0 && this.milestones[index - 1] === this.lastEpoch) scheduler.stepToEpoch(0);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  protected options(): Record<string, unknown> {
    return { milestones: [...this.milestones] };
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    const o = requireOptions('SequentialLR.loadStateDict', raw, ['milestones']);
    const milestones = resolveMilestones(o.milestones, this.schedulers.length);
    return () => {
      this.milestones = milestones;
    };
  }

  protected override extraState(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Loads the schedules' states here, the last check of loadStateDict, undoing them if one fails. */
  protected override loadExtraState(state: Record<string, unknown>): () => void {
    loadChildren('SequentialLR.loadStateDict', this.schedulers, state.schedulers);
    return () => {};
  }
}

/**
 * Steps several schedules on one optimizer together (torch.optim.lr_scheduler.ChainedScheduler):
 * each multiplies in its own factor, since step() uses PyTorch's chainable rules (e.g. ConstantLR
 * and ExponentialLR). Its state holds each schedule's.
 */
export class ChainedScheduler extends LRScheduler {
  private readonly schedulers: LRScheduler[];

  /** `optimizer` (PyTorch 2's optional argument) is checked against the schedules' when given. */
  constructor(schedulers: readonly LRScheduler[], optimizer?: Optimizer) {
    super(optimizer ?? checkSchedulers('ChainedScheduler', schedulers, undefined, false)[0]!.optimizer);
    this.schedulers = checkSchedulers('ChainedScheduler', schedulers, this.optimizer, false);
    this.lastEpoch = 0;
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  protected override get label(): string {
    return 'ChainedScheduler';
  }

  override get interval(): 'epoch' | 'batch' {
    return this.schedulers[0]!.interval;
  }

  step(_metric?: number): void {
    for (const scheduler of this.schedulers) scheduler.step();
    this.lastEpoch += 1;
    this.lastLr = this.optimizer.paramGroups.map((group) => group.lr);
  }

  protected options(): Record<string, unknown> {
    return {};
  }

  protected loadOptions(raw: Record<string, unknown>): () => void {
    requireOptions('ChainedScheduler.loadStateDict', raw, []);
    return () => {};
  }

  protected override extraState(): Record<string, unknown> {
    return { schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  /** Loads the schedules' states here, the last check of loadStateDict, undoing them if one fails. */
  protected override loadExtraState(state: Record<string, unknown>): () => void {
    loadChildren('ChainedScheduler.loadStateDict', this.schedulers, state.schedulers);
    return () => {};
  }
}
