import { ArgumentError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';

/** A scheduler's state: plain JSON (no Infinity: an unset best is stored as null). */
export type SchedulerState = Record<string, unknown>;

/**
 * The base of every learning-rate schedule, like torch.optim.lr_scheduler.LRScheduler. The
 * constructor records each group's starting lr as `initialLr` (keeping one already there,
 * as PyTorch's setdefault does, so a resumed optimizer keeps its base lrs); subclasses then
 * apply epoch 0. Call `step()` once per epoch, after the epoch.
 */
export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  /** The epoch whose lr is set: 0 after construction, +1 per step(). */
  lastEpoch = -1;
  /** Each group's initialLr: the lr schedules scale from. */
  protected baseLrs: number[];
  protected lastLr: number[];

  constructor(optimizer: Optimizer) {
    if (typeof optimizer !== 'object' || optimizer === null || !Array.isArray(optimizer.paramGroups)) {
      throw new ArgumentError(`${this.label}: expected an Optimizer, got ${String(optimizer)}`);
    }
    this.optimizer = optimizer;
    for (const group of optimizer.paramGroups) if (typeof group.initialLr !== 'number') group.initialLr = group.lr;
    this.baseLrs = optimizer.paramGroups.map((group) => group.initialLr as number);
    this.lastLr = optimizer.paramGroups.map((group) => group.lr);
  }

  /** The name errors and state dicts use (a getter, so the base constructor can use it). */
  protected get label(): string {
    return 'LRScheduler';
  }

  /** When `fit` steps it: after every epoch (the default), or after every optimizer step ('batch': OneCycleLR). */
  get interval(): 'epoch' | 'batch' {
    return 'epoch';
  }

  /** Advances one epoch and sets every group's lr. `metric` is for ReduceLROnPlateau. */
  abstract step(metric?: number): void;

  /** The lr of each group as last set by this scheduler. */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Sets each group's lr and remembers it. */
  protected setLrs(lrs: readonly number[]): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = lrs[i]!;
    });
    this.lastLr = [...lrs];
  }

  /** The options this scheduler was built with (JSON). */
  protected abstract options(): Record<string, unknown>;

  /** Checks options from a state dict; returns what applies them (called once all checks pass). */
  protected abstract loadOptions(options: Record<string, unknown>): () => void;

  /** Extra counters (ReduceLROnPlateau's best, bad epochs, cooldown). */
  protected extraState(): Record<string, unknown> {
    return {};
  }

  /** Checks the counters of a state dict; returns what applies them. Called after every other check (composites load their schedules' states here). */
  protected loadExtraState(_state: Record<string, unknown>): () => void {
    return () => {};
  }

  /** JSON: type, options, lastEpoch, baseLrs, lastLr (and subclass counters). */
  stateDict(): SchedulerState {
    return {
      type: this.label,
      options: this.options(),
      lastEpoch: this.lastEpoch,
      baseLrs: [...this.baseLrs],
      lastLr: [...this.lastLr],
      ...this.extraState(),
    };
  }

  /**
   * Restores a stateDict (validated first) and sets each group's lr to the saved last lr, so a
   * resumed run continues with the lr it stopped at.
   */
  loadStateDict(state: SchedulerState): void {
    const where = `${this.label}.loadStateDict`;
    if (typeof state !== 'object' || state === null)
      throw new ArgumentError(`${where}: expected the object stateDict() returns, got ${String(state)}`);
    if (state.type !== this.label)
      throw new ArgumentError(`${where}: the state is from a ${String(state.type)}, not a ${this.label}`);
    if (!Number.isInteger(state.lastEpoch) || (state.lastEpoch as number) < -1) {
      throw new ArgumentError(`${where}: lastEpoch must be an integer >= -1, got ${String(state.lastEpoch)}`);
    }
    const groups = this.optimizer.paramGroups.length;
    const baseLrs = numberList(where, 'baseLrs', state.baseLrs, groups);
    const lastLr = numberList(where, 'lastLr', state.lastLr, groups);
    if (typeof state.options !== 'object' || state.options === null)
      throw new ArgumentError(`${where}: options must be an object, got ${String(state.options)}`);
    const applyOptions = this.loadOptions(state.options as Record<string, unknown>);
    const applyExtra = this.loadExtraState(state);
    applyOptions();
    applyExtra();
    this.lastEpoch = state.lastEpoch as number;
    this.baseLrs = baseLrs;
    this.setLrs(lastLr);
  }
}

function numberList(where: string, name: string, value: unknown, length: number): number[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
    throw new ArgumentError(`${where}: ${name} must be an array of finite numbers, got ${JSON.stringify(value)}`);
  }
  if (value.length !== length)
    throw new ArgumentError(
      `${where}: ${name} has ${value.length} entries, but the optimizer has ${length} parameter groups`,
    );
  return [...(value as number[])];
}

/**
 * A schedule stepped the way torch's LRScheduler steps it: step() advances lastEpoch and sets
 * torch's get_lr(), the chainable form, computed from each group's current lr, so schedules on
 * one optimizer compose (ChainedScheduler) and the rounding matches PyTorch's; stepToEpoch(epoch)
 * is torch's step(epoch): it jumps to an epoch with the closed form where the schedule has one
 * (SequentialLR does, at a milestone), else with get_lr().
 */
export abstract class ChainableLRScheduler extends LRScheduler {
  /** torch's get_lr(): each group's lr at this.lastEpoch (already advanced). */
  protected abstract chainedLrs(): number[];

  /** torch's _get_closed_form_lr(), where the schedule has one: each group's lr at this.lastEpoch. */
  protected closedFormLrs(): number[] | undefined {
    return undefined;
  }

  /** Subclasses call this at the end of their constructor, once their fields are set: epoch 0 (torch's _initial_step). */
  protected initialStep(): void {
    this.lastEpoch = -1;
    this.step();
  }

  step(_metric?: number): void {
    this.lastEpoch += 1;
    this.setLrs(this.chainedLrs());
  }

  /** Sets the lrs of `epoch` (an integer >= 0), like torch's step(epoch): the closed form where there is one. */
  stepToEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0)
      throw new ArgumentError(`${this.label}.stepToEpoch: invalid epoch ${String(epoch)} (must be an integer >= 0)`);
    this.lastEpoch = epoch;
    this.setLrs(this.closedFormLrs() ?? this.chainedLrs());
  }
}

/**
 * A schedule with a closed form lr(baseLr, epoch), like torch's `_get_closed_form_lr`. step()
 * uses `chainedLr`, torch's get_lr() for one group, which the built-in schedules override with
 * PyTorch's recursive rule; a subclass that only gives `lrAt` steps by the closed form (it then
 * does not chain with other schedules on the same optimizer, like torch's LambdaLR).
 */
export abstract class ClosedFormLRScheduler extends ChainableLRScheduler {
  /** The lr at `epoch` for a group whose initial lr is `baseLr`. */
  protected abstract lrAt(baseLr: number, epoch: number): number;

  /** torch's get_lr() for one group whose lr is now `lr`, at `epoch`; by default the closed form. */
  protected chainedLr(_lr: number, baseLr: number, epoch: number): number {
    return this.lrAt(baseLr, epoch);
  }

  protected chainedLrs(): number[] {
    return this.optimizer.paramGroups.map((group, i) => this.chainedLr(group.lr, this.baseLrs[i]!, this.lastEpoch));
  }

  protected override closedFormLrs(): number[] {
    return this.baseLrs.map((base) => this.lrAt(base, this.lastEpoch));
  }
}
