import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { noGrad } from '../autograd/grad-mode.js';
import { isFloat } from '../ops/dispatch.js';
import { keep, tidy } from '../tensor/scope.js';
import { shapesEqual } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { requireNonNegative } from './validate.js';
import { isTensor } from '../tensor/is-tensor.js';

/** A set of parameters with its own options; group options override the optimizer's defaults. */
export interface ParamGroup {
  params: Tensor[];
  lr: number;
  [option: string]: unknown;
}

/** Options every optimizer has. */
export interface OptimizerOptions {
  lr: number;
}

/** A parameter group as the constructor takes it: any option left out comes from the defaults. */
export type ParamGroupInput<Options> = { params: Tensor[] } & Partial<Options> & { [option: string]: unknown };

/** One parameter's state: tensors (momentum buffers, moments) and numbers (step counts). */
export type ParamState = Record<string, Tensor | number>;

/**
 * The kind of one state entry: a tensor of the parameter's shape, a number, or a tensor that
 * only some options create (RMSprop's momentum buffer) and that a saved state may leave out.
 */
export type StateKind = 'tensor' | 'number' | 'optional tensor';

/** What `stateDict` returns and `loadStateDict` takes: tensors are copies the caller owns; the rest is JSON. */
export interface OptimizerState {
  /** Keyed by the parameter's index across all groups, in group order. */
  state: Record<number, Record<string, Tensor | number>>;
  paramGroups: { params: number[]; [option: string]: unknown }[];
}

/** `defaults` overridden by the options that are not undefined. */
export function withDefaults<T extends object>(defaults: T, options: object): T {
  const merged: Record<string, unknown> = { ...(defaults as Record<string, unknown>) };
  for (const [key, value] of Object.entries(options)) if (value !== undefined) merged[key] = value;
  return merged as T;
}

/**
 * The base of every optimizer, with PyTorch's structure: parameter groups over defaults, state
 * created lazily per parameter on its first step with a gradient, and a state dict keyed by
 * parameter index. Subclasses implement `update` for one parameter.
 */
export abstract class Optimizer<Options extends OptimizerOptions = OptimizerOptions> {
  paramGroups: (ParamGroup & Options)[] = [];
  readonly defaults: Options;
  /** Per-parameter state (kept tensors), created by the first step that sees a gradient. */
  protected readonly state = new Map<Tensor, ParamState>();

  constructor(params: Tensor[] | ParamGroupInput<Options>[], defaults: Options) {
    this.defaults = { ...defaults };
    if (!Array.isArray(params)) {
      throw new ArgumentError(
        `${this.label}: params must be an array of tensors or of parameter groups ({ params, ...options }), got ${typeof params}`,
      );
    }
    if (params.length === 0) throw new ArgumentError(`${this.label}: got an empty parameter list`);
    const groups = (params as unknown[]).every(isTensor)
      ? [{ params: params as Tensor[] } as ParamGroupInput<Options>]
      : (params as ParamGroupInput<Options>[]);
    for (const group of groups) this.addParamGroup(group);
  }

  /** The name errors use (a getter, so the base constructor can use it). */
  protected get label(): string {
    return 'Optimizer';
  }

  /** Adds a group of parameters, like torch's add_param_group; missing options come from the defaults. */
  addParamGroup(group: ParamGroupInput<Options>): void {
    const where = `${this.label} parameter group ${this.paramGroups.length}`;
    if (typeof group !== 'object' || group === null || isTensor(group) || !Array.isArray(group.params)) {
      throw new ArgumentError(
        `${where}: expected a tensor or an object { params: Tensor[], ...options }, got ${isTensor(group) ? 'a tensor mixed with groups' : String(group)}`,
      );
    }
    const seen = new Set(this.paramGroups.flatMap((g) => g.params));
    group.params.forEach((param, i) => {
      if (!isTensor(param)) throw new ArgumentError(`${where}: params[${i}] is not a tensor (got ${typeof param})`);
      if (param.isDisposed) throw new ArgumentError(`${where}: params[${i}] (tensor #${param.id}) was disposed`);
      if (!isFloat(param.dtype))
        throw new ArgumentError(`${where}: params[${i}] has dtype ${param.dtype}; only float tensors can be optimized`);
      if (seen.has(param))
        throw new ArgumentError(
          `${where}: params[${i}] (tensor #${param.id}, shape ${formatShape(param.shape)}) appears more than once across the parameter groups`,
        );
      seen.add(param);
    });
    const merged = withDefaults(this.defaults, group) as ParamGroup & Options;
    merged.params = [...group.params];
    this.checkOptions(merged, where);
    this.paramGroups.push(merged);
  }

  /** Throws an ArgumentError naming the option, its value and the allowed range. Subclasses extend it. */
  protected checkOptions(group: ParamGroup & Options, where: string): void {
    requireNonNegative(where, 'lr', group.lr);
  }

  /**
   * Names and kinds of the state one parameter of `group` has once created (loadStateDict checks
   * them against the saved group's options).
   */
  protected abstract stateKinds(group: ParamGroup & Options): Record<string, StateKind>;

  /** The state of `param`, created by `create` (and kept) on its first step. */
  protected stateFor(param: Tensor, create: () => ParamState): ParamState {
    let state = this.state.get(param);
    if (state === undefined) {
      state = create();
      this.state.set(param, state);
    }
    return state;
  }

  /**
   * Updates every parameter of `group` that has a gradient in one go (a multi-tensor kernel),
   * or returns false to have `step` call `update` per parameter. Runs inside `step`'s tidy and
   * noGrad; the default declines.
   */
  protected updateGroup(_group: ParamGroup & Options): boolean {
    return false;
  }

  /** Updates one parameter in place from its gradient; runs inside `step`'s tidy and noGrad. */
  protected abstract update(param: Tensor, grad: Tensor, group: ParamGroup & Options): void;

  /**
   * One optimization step over every parameter that has a gradient. Runs without recording
   * gradients, frees its intermediates, and never reads values back to the host.
   */
  step(): void {
    tidy(() =>
      noGrad(() => {
        for (const group of this.paramGroups) {
          if (this.updateGroup(group)) continue;
          for (const param of group.params) {
            const grad = param.grad;
            if (grad !== null) this.update(param, grad, group);
          }
        }
      }),
    );
  }

  /** Sets every parameter's gradient to null (freeing it). */
  zeroGrad(): void {
    for (const group of this.paramGroups) for (const param of group.params) param.grad = null;
  }

  /** Copies of the state tensors (the caller owns and disposes them) plus JSON group options. */
  stateDict(): OptimizerState {
    const index = this.parameterIndex();
    const state: OptimizerState['state'] = {};
    for (const [param, entry] of this.state) {
      const id = index.get(param);
      if (id === undefined) continue;
      state[id] = Object.fromEntries(
        Object.entries(entry).map(([key, value]) => [key, typeof value === 'number' ? value : keep(value.detach())]),
      );
    }
    const paramGroups = this.paramGroups.map(({ params, ...options }) => ({
      params: params.map((p) => index.get(p)!),
      ...structuredClone(options),
    }));
    return { state, paramGroups };
  }

  /**
   * Restores a `stateDict`: groups and parameters are matched by position (like PyTorch), every
   * count and shape is checked before anything changes, and state tensors are copied in (the
   * caller keeps ownership of `saved`).
   */
  loadStateDict(saved: OptimizerState): void {
    const where = `${this.label}.loadStateDict`;
    if (
      typeof saved !== 'object' ||
      saved === null ||
      !Array.isArray(saved.paramGroups) ||
      typeof saved.state !== 'object' ||
      saved.state === null
    ) {
      throw new ArgumentError(`${where}: expected { state, paramGroups } as stateDict() returns`);
    }
    if (saved.paramGroups.length !== this.paramGroups.length) {
      throw new ArgumentError(
        `${where}: the saved state has ${saved.paramGroups.length} parameter groups, this optimizer has ${this.paramGroups.length}`,
      );
    }
    const byIndex = new Map<number, { param: Tensor; group: number }>();
    const groups = saved.paramGroups.map((savedGroup, g) => {
      const current = this.paramGroups[g]!;
      const ids = savedGroup.params;
      if (!Array.isArray(ids) || ids.length !== current.params.length) {
        throw new ArgumentError(
          `${where}: parameter group ${g} has ${Array.isArray(ids) ? ids.length : 'no'} parameters in the saved state, ${current.params.length} in this optimizer`,
        );
      }
      ids.forEach((id, k) => byIndex.set(id, { param: current.params[k]!, group: g }));
      const { params: _ids, ...options } = savedGroup;
      const merged = { ...structuredClone(options), params: current.params } as ParamGroup & Options;
      this.checkOptions(merged, `${where}: parameter group ${g}`);
      return merged;
    });
    const entries: [Tensor, Record<string, Tensor | number>][] = [];
    for (const [key, entry] of Object.entries(saved.state)) {
      const found = byIndex.get(Number(key));
      if (found === undefined)
        throw new ArgumentError(`${where}: state for parameter index ${key}, which no saved parameter group lists`);
      this.checkStateEntry(entry, found.param, this.stateKinds(groups[found.group]!), `${where}: parameter ${key}`);
      entries.push([found.param, entry]);
    }
    // Everything is valid: now replace the state and the group options.
    this.dispose();
    tidy(() =>
      noGrad(() => {
        for (const [param, entry] of entries) {
          const copy = Object.entries(entry).map(([name, value]) => [
            name,
            typeof value === 'number' ? value : keep(copyLike(value, param)),
          ]);
          this.state.set(param, Object.fromEntries(copy) as ParamState);
        }
      }),
    );
    this.paramGroups.forEach((group, g) => {
      for (const key of Object.keys(group)) delete group[key];
      Object.assign(group, groups[g]);
    });
  }

  private checkStateEntry(entry: unknown, param: Tensor, kinds: Record<string, StateKind>, where: string): void {
    if (typeof entry !== 'object' || entry === null)
      throw new ArgumentError(`${where}: state must be an object, got ${String(entry)}`);
    const record = entry as Record<string, unknown>;
    for (const [name, value] of Object.entries(record)) {
      const kind = kinds[name];
      if (kind === undefined)
        throw new ArgumentError(`${where}: unknown state '${name}' (expected ${Object.keys(kinds).join(', ')})`);
      if (kind === 'number' && (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))) {
        throw new ArgumentError(`${where}: state '${name}' must be a finite number >= 0, got ${String(value)}`);
      }
      if (kind !== 'number') {
        if (!isTensor(value) || value.isDisposed)
          throw new ArgumentError(
            `${where}: state '${name}' must be a live tensor, got ${isTensor(value) ? 'a disposed tensor' : String(value)}`,
          );
        if (!shapesEqual(value.shape, param.shape)) {
          throw new ShapeError(
            `${where}: state '${name}' has shape ${formatShape(value.shape)}, expected the parameter's shape ${formatShape(param.shape)}`,
          );
        }
      }
    }
    for (const [name, kind] of Object.entries(kinds)) {
      if (kind !== 'optional tensor' && !(name in record))
        throw new ArgumentError(`${where}: state '${name}' is missing (expected ${Object.keys(kinds).join(', ')})`);
    }
  }

  /** Frees the state tensors; a later step starts the state afresh. */
  dispose(): void {
    for (const entry of this.state.values())
      for (const value of Object.values(entry)) if (typeof value !== 'number') value.dispose();
    this.state.clear();
  }

  private parameterIndex(): Map<Tensor, number> {
    const index = new Map<Tensor, number>();
    for (const group of this.paramGroups) for (const param of group.params) index.set(param, index.size);
    return index;
  }
}

/** A copy of `value` on `like`'s backend with its dtype. */
function copyLike(value: Tensor, like: Tensor): Tensor {
  const moved = value.backend === like.backend ? value.detach() : value.to(like.backend);
  return moved.dtype === like.dtype ? moved : moved.cast(like.dtype);
}
