import { noGrad } from '../autograd/grad-mode.js';
import { ArgumentError, ShapeError, formatShape } from '../errors.js';
import { concat } from '../ops/movement.js';
import { zeros } from '../tensor/creation.js';
import { tidy } from '../tensor/scope.js';
import type { Tensor } from '../tensor/tensor.js';
import { isTensor } from '../tensor/is-tensor.js';
import {
  Optimizer,
  withDefaults,
  type OptimizerOptions,
  type OptimizerState,
  type ParamGroup,
  type ParamGroupInput,
  type StateKind,
} from './optimizer.js';
import { rejectUnknownKeys, requireNonNegative } from './validate.js';

export interface LBFGSOptions extends OptimizerOptions {
  /** Iterations per `step` (default 20). */
  maxIter: number;
  /** Closure evaluations per `step` (default floor(maxIter * 5 / 4)). */
  maxEval: number;
  /** Stop when every gradient element is at most this in absolute value (default 1e-7). */
  toleranceGrad: number;
  /** Stop when the loss or the parameters change less than this (default 1e-9). */
  toleranceChange: number;
  /** Curvature pairs kept (default 100); memory is about (2 * historySize + 3) copies of the parameters. */
  historySize: number;
  /** null: a fixed step of lr along the direction; 'strong_wolfe': a line search for the strong Wolfe conditions. */
  lineSearchFn: 'strong_wolfe' | null;
}

/**
 * What `LBFGS.step` calls to re-evaluate the model: zero the gradients, compute the loss, call
 * `backward()`, and return the loss (a one-element tensor, which step reads and then disposes,
 * or a number). It may be async.
 */
export type LBFGSClosure = () => Tensor | number | Promise<Tensor | number>;

const OPTION_NAMES = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn'];

function requirePositiveInteger(where: string, name: string, value: unknown): number {
  if (!Number.isInteger(value) || (value as number) < 1)
    throw new ArgumentError(`${where}: invalid ${name} ${String(value)} (must be an integer >= 1)`);
  return value as number;
}

function requireLineSearch(where: string, value: unknown): 'strong_wolfe' | null {
  if (value !== null && value !== 'strong_wolfe')
    throw new ArgumentError(`${where}: invalid lineSearchFn ${JSON.stringify(value)} (must be null or 'strong_wolfe')`);
  return value;
}

/** The state LBFGS carries from one step to the next (PyTorch keeps it on the first parameter). */
interface LBFGSState {
  funcEvals: number;
  nIter: number;
  /** The last direction and step length. */
  d?: Tensor;
  t?: number;
  /** Curvature pairs: gradient differences y and steps s, with ro = 1 / (y . s). */
  oldDirs: Tensor[];
  oldStps: Tensor[];
  ro: number[];
  hDiag?: number;
  prevFlatGrad?: Tensor;
  prevLoss?: number;
}

/** The sum of x * y as a number (one host read). */
async function dot(x: Tensor, y: Tensor): Promise<number> {
  return readScalar(tidy(() => noGrad(() => x.mul(y).sum())));
}

/** Reads a one-element tensor and frees it. */
async function readScalar(t: Tensor): Promise<number> {
  try {
    return await t.item();
  } finally {
    t.dispose();
  }
}

const absMax = (x: Tensor): Promise<number> => readScalar(tidy(() => noGrad(() => x.abs().max())));

/**
 * L-BFGS with PyTorch's exact algorithm (torch.optim.LBFGS, torch 1.13, after minFunc), defaults
 * lr 1, maxIter 20, maxEval maxIter * 5 / 4, toleranceGrad 1e-7, toleranceChange 1e-9,
 * historySize 100, lineSearchFn null (or 'strong_wolfe').
 *
 * A full-batch optimizer, as in PyTorch: each `step(closure)` runs up to maxIter quasi-Newton
 * iterations, re-evaluating the loss and gradients through the closure, so the closure must
 * compute the same function every time (the whole dataset, or a fixed batch). It works on all
 * parameters flattened into one vector, takes one parameter group only, and reads scalars (the
 * loss, dot products) back to the host, so `step` is async:
 *
 *   const optimizer = new LBFGS(model.parameters(), { lineSearchFn: 'strong_wolfe' });
 *   const loss = await optimizer.step(() => {
 *     optimizer.zeroGrad();
 *     const loss = lossFn(model.forward(x), y);
 *     loss.backward();
 *     return loss;
 *   });
 *
 * `step` resolves to the loss of the closure's first evaluation (before the step), as PyTorch
 * returns. Its state (evaluation counts, last direction and step, curvature history) is saved by
 * `stateDict` under parameter 0, as PyTorch does.
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  private lbfgs: LBFGSState = { funcEvals: 0, nIter: 0, oldDirs: [], oldStps: [], ro: [] };

  constructor(params: Tensor[] | ParamGroupInput<LBFGSOptions>[], options: Partial<LBFGSOptions> = {}) {
    rejectUnknownKeys('LBFGS', options ?? {}, OPTION_NAMES);
    const maxIter = options?.maxIter ?? 20;
    const defaults: LBFGSOptions = {
      lr: 1,
      maxIter,
      maxEval: Number.isInteger(maxIter) ? Math.floor((maxIter * 5) / 4) : maxIter,
      toleranceGrad: 1e-7,
      toleranceChange: 1e-9,
      historySize: 100,
      lineSearchFn: null,
    };
    super(params, withDefaults(defaults, options ?? {}));
    if (this.paramGroups.length !== 1)
      throw new ArgumentError(
        `LBFGS: takes one parameter group (it optimizes all parameters as one vector), got ${this.paramGroups.length}`,
      );
  }

  protected override get label(): string {
    return 'LBFGS';
  }

  override addParamGroup(group: ParamGroupInput<LBFGSOptions>): void {
    if (this.paramGroups.length >= 1)
      throw new ArgumentError(
        'LBFGS: takes one parameter group (it optimizes all parameters as one vector and has no per-group options); put every parameter in it',
      );
    super.addParamGroup(group);
  }

  protected override checkOptions(group: ParamGroup & LBFGSOptions, where: string): void {
    super.checkOptions(group, where);
    requirePositiveInteger(where, 'maxIter', group.maxIter);
    requirePositiveInteger(where, 'maxEval', group.maxEval);
    requireNonNegative(where, 'toleranceGrad', group.toleranceGrad);
    requireNonNegative(where, 'toleranceChange', group.toleranceChange);
    requirePositiveInteger(where, 'historySize', group.historySize);
    requireLineSearch(where, group.lineSearchFn);
  }

  protected override stateKinds(): Record<string, StateKind> {
    return {};
  }

  protected override update(): void {
    throw new ArgumentError('LBFGS: step needs a closure: await optimizer.step(() => { ...; return loss; })');
  }

  private get params(): Tensor[] {
    return this.paramGroups[0]!.params;
  }

  private get numel(): number {
    return this.params.reduce((total, p) => total + p.size, 0);
  }

  /** Every parameter's gradient flattened into one vector (zeros where a parameter has none). */
  private gatherFlatGrad(): Tensor {
    return tidy(() =>
      noGrad(() =>
        concat(
          this.params.map((p) =>
            p.grad === null
              ? zeros([p.size], { dtype: p.dtype, backend: p.backend })
              : p.grad.cast(p.dtype).reshape([p.size]),
          ),
        ),
      ),
    );
  }

  /** params += stepSize * update (update is flat). */
  private addGrad(stepSize: number, update: Tensor): void {
    tidy(() =>
      noGrad(() => {
        let offset = 0;
        for (const p of this.params) {
          p.assign(p.add(update.slice([offset], [p.size]).reshape(p.shape).mul(stepSize)));
          offset += p.size;
        }
      }),
    );
  }

  private cloneParams(): Tensor[] {
    return this.params.map((p) => p.detach());
  }

  private setParams(values: readonly Tensor[]): void {
    noGrad(() => this.params.forEach((p, i) => p.assign(values[i]!.detach())));
  }

  private async evaluate(closure: LBFGSClosure): Promise<number> {
    const result = await closure();
    if (typeof result === 'number') return result;
    if (!isTensor(result))
      throw new ArgumentError(
        `LBFGS.step: the closure must return the loss (a tensor or a number), got ${String(result)}`,
      );
    if (result.size !== 1)
      throw new ShapeError(
        `LBFGS.step: the closure must return a one-element loss, got shape ${formatShape(result.shape)}`,
      );
    return readScalar(result);
  }

  /** loss and flat gradient at x + t * d; the parameters are set back to x. */
  private async directionalEvaluate(
    closure: LBFGSClosure,
    x: readonly Tensor[],
    t: number,
    d: Tensor,
  ): Promise<[number, Tensor]> {
    this.addGrad(t, d);
    const loss = await this.evaluate(closure);
    const flatGrad = this.gatherFlatGrad();
    this.setParams(x);
    return [loss, flatGrad];
  }

  /**
   * Runs up to maxIter L-BFGS iterations, calling `closure` to re-evaluate the loss and the
   * gradients; resolves to the loss of its first evaluation.
   */
  override step(closure?: LBFGSClosure): Promise<number> {
    if (typeof closure !== 'function')
      throw new ArgumentError(
        `LBFGS.step: needs a closure that re-evaluates the loss and gradients, got ${String(closure)}: await optimizer.step(() => { optimizer.zeroGrad(); const loss = ...; loss.backward(); return loss; })`,
      );
    return this.run(closure);
  }

  private async run(closure: LBFGSClosure): Promise<number> {
    const group = this.paramGroups[0]!;
    const { lr, maxIter, maxEval, toleranceGrad, toleranceChange, lineSearchFn, historySize } = group;
    const state = this.lbfgs;

    const origLoss = await this.evaluate(closure);
    let loss = origLoss;
    let currentEvals = 1;
    state.funcEvals += 1;

    let flatGrad = this.gatherFlatGrad();
    try {
      let optCond = (await absMax(flatGrad)) <= toleranceGrad;
      if (optCond) return origLoss;

      let nIter = 0;
      while (nIter < maxIter) {
        nIter += 1;
        state.nIter += 1;

        // The descent direction.
        if (state.nIter === 1) {
          this.replace(
            'd',
            tidy(() => noGrad(() => flatGrad.neg())),
          );
          this.clearHistory();
          state.hDiag = 1;
        } else {
          const d = state.d!;
          const t = state.t!;
          const y = tidy(() => noGrad(() => flatGrad.sub(state.prevFlatGrad!)));
          const s = tidy(() => noGrad(() => d.mul(t)));
          const ys = await dot(y, s);
          if (ys > 1e-10) {
            if (state.oldDirs.length === historySize) {
              state.oldDirs.shift()!.dispose();
              state.oldStps.shift()!.dispose();
              state.ro.shift();
            }
            state.oldDirs.push(y);
            state.oldStps.push(s);
            state.ro.push(1 / ys);
            state.hDiag = ys / (await dot(y, y));
          } else {
            y.dispose();
            s.dispose();
          }
          // The approximate inverse Hessian times the gradient (two-loop recursion).
          const numOld = state.oldDirs.length;
          const al = new Array<number>(numOld);
          let q = tidy(() => noGrad(() => flatGrad.neg()));
          for (let i = numOld - 1; i >= 0; i--) {
            al[i] = (await dot(state.oldStps[i]!, q)) * state.ro[i]!;
            const next = tidy(() => noGrad(() => q.add(state.oldDirs[i]!.mul(-al[i]!))));
            q.dispose();
            q = next;
          }
          const hDiag = state.hDiag!;
          let r = tidy(() => noGrad(() => q.mul(hDiag)));
          q.dispose();
          for (let i = 0; i < numOld; i++) {
            const be = (await dot(state.oldDirs[i]!, r)) * state.ro[i]!;
            const next = tidy(() => noGrad(() => r.add(state.oldStps[i]!.mul(al[i]! - be))));
            r.dispose();
            r = next;
          }
          this.replace('d', r);
        }
        this.replace('prevFlatGrad', flatGrad.detach());
        state.prevLoss = loss;
        const prevLoss = loss;
        const d = state.d!;

        // The step length.
        let t: number;
        if (state.nIter === 1) {
          const gradSum = await readScalar(tidy(() => noGrad(() => flatGrad.abs().sum())));
          t = Math.min(1, 1 / gradSum) * lr;
        } else {
          t = lr;
        }
        state.t = t;
        const gtd = await dot(flatGrad, d);
        if (gtd > -toleranceChange) break;

        let lsFuncEvals = 0;
        if (lineSearchFn === 'strong_wolfe') {
          const xInit = this.cloneParams();
          try {
            const result = await strongWolfe(
              (x, step, direction) => this.directionalEvaluate(closure, x, step, direction),
              xInit,
              t,
              d,
              loss,
              flatGrad,
              gtd,
              // torch 1.13 calls _strong_wolfe without the group's tolerance_change: its own 1e-9.
              1e-9,
            );
            loss = result.loss;
            flatGrad.dispose();
            flatGrad = result.grad;
            t = result.t;
            state.t = t;
            lsFuncEvals = result.evals;
          } finally {
            for (const x of xInit) x.dispose();
          }
          this.addGrad(t, d);
          optCond = (await absMax(flatGrad)) <= toleranceGrad;
        } else {
          this.addGrad(t, d);
          if (nIter !== maxIter) {
            // Re-evaluated only if another iteration follows (in a stochastic setting it would be wasted).
            loss = await this.evaluate(closure);
            flatGrad.dispose();
            flatGrad = this.gatherFlatGrad();
            optCond = (await absMax(flatGrad)) <= toleranceGrad;
            lsFuncEvals = 1;
          }
        }
        currentEvals += lsFuncEvals;
        state.funcEvals += lsFuncEvals;

        // Stopping conditions.
        if (nIter === maxIter) break;
        if (currentEvals >= maxEval) break;
        if (optCond) break;
        if ((await readScalar(tidy(() => noGrad(() => d.mul(t).abs().max())))) <= toleranceChange) break;
        if (Math.abs(loss - prevLoss) < toleranceChange) break;
      }
      return origLoss;
    } finally {
      flatGrad.dispose();
    }
  }

  private replace(name: 'd' | 'prevFlatGrad', value: Tensor): void {
    const old = this.lbfgs[name];
    this.lbfgs[name] = value;
    if (old !== undefined && old !== value) old.dispose();
  }

  private clearHistory(): void {
    for (const t of [...this.lbfgs.oldDirs, ...this.lbfgs.oldStps]) t.dispose();
    this.lbfgs.oldDirs = [];
    this.lbfgs.oldStps = [];
    this.lbfgs.ro = [];
  }

  /**
   * The state as PyTorch keeps it, under parameter 0: funcEvals, nIter and, once a step has run,
   * d, t, hDiag, prevFlatGrad, prevLoss, and the history as oldDirs.<i>, oldStps.<i>, ro.<i>
   * (tensors are flat copies the caller owns).
   */
  override stateDict(): OptimizerState {
    const { paramGroups } = super.stateDict();
    const s = this.lbfgs;
    const entry: Record<string, Tensor | number> = { funcEvals: s.funcEvals, nIter: s.nIter };
    if (s.t !== undefined) entry.t = s.t;
    if (s.hDiag !== undefined) entry.hDiag = s.hDiag;
    if (s.prevLoss !== undefined) entry.prevLoss = s.prevLoss;
    if (s.d !== undefined) entry.d = s.d.detach();
    if (s.prevFlatGrad !== undefined) entry.prevFlatGrad = s.prevFlatGrad.detach();
    s.oldDirs.forEach((y, i) => {
      entry[`oldDirs.${i}`] = y.detach();
      entry[`oldStps.${i}`] = s.oldStps[i]!.detach();
      entry[`ro.${i}`] = s.ro[i]!;
    });
    return { state: s.funcEvals === 0 && s.nIter === 0 ? {} : { 0: entry }, paramGroups };
  }

  /** Restores a `stateDict` (checked first: names, kinds, flat lengths, a complete history). */
  override loadStateDict(saved: OptimizerState): void {
    const where = 'LBFGS.loadStateDict';
    if (typeof saved !== 'object' || saved === null || typeof saved.state !== 'object' || saved.state === null)
      throw new ArgumentError(`${where}: expected { state, paramGroups } as stateDict() returns`);
    const keys = Object.keys(saved.state);
    if (keys.some((key) => key !== '0'))
      throw new ArgumentError(`${where}: LBFGS keeps its state under parameter 0, got state for ${keys.join(', ')}`);
    const entry = (saved.state as Record<string, Record<string, Tensor | number>>)['0'];
    const next = entry === undefined ? undefined : this.parseState(entry, where);
    super.loadStateDict({ ...saved, state: {} });
    this.disposeState();
    if (next !== undefined) {
      const { backend, dtype } = this.params[0]!;
      const copy = (t: Tensor | undefined): Tensor | undefined => {
        if (t === undefined) return undefined;
        const moved = t.to(backend);
        if (moved.dtype === dtype) return moved;
        const cast = moved.cast(dtype);
        moved.dispose();
        return cast;
      };
      this.lbfgs = {
        ...next,
        d: copy(next.d),
        prevFlatGrad: copy(next.prevFlatGrad),
        oldDirs: next.oldDirs.map((t) => copy(t)!),
        oldStps: next.oldStps.map((t) => copy(t)!),
      };
    }
  }

  private parseState(entry: Record<string, Tensor | number>, where: string): LBFGSState {
    if (typeof entry !== 'object' || entry === null)
      throw new ArgumentError(`${where}: state 0 must be an object, got ${String(entry)}`);
    const numel = this.numel;
    const number = (name: string, required: boolean): number | undefined => {
      const value = entry[name];
      if (value === undefined && !required) return undefined;
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new ArgumentError(`${where}: state '${name}' must be a finite number, got ${String(value)}`);
      return value;
    };
    const flat = (name: string, required: boolean): Tensor | undefined => {
      const value = entry[name];
      if (value === undefined && !required) return undefined;
      if (!isTensor(value) || value.isDisposed)
        throw new ArgumentError(
          `${where}: state '${name}' must be a live tensor, got ${isTensor(value) ? 'a disposed tensor' : String(value)}`,
        );
      if (value.rank !== 1 || value.size !== numel)
        throw new ShapeError(
          `${where}: state '${name}' has shape ${formatShape(value.shape)}, expected [${numel}] (all parameters flattened)`,
        );
      return value;
    };
    const history = Object.keys(entry).filter((name) => /^(oldDirs|oldStps|ro)\.\d+$/.test(name));
    const known = new Set(['funcEvals', 'nIter', 't', 'hDiag', 'prevLoss', 'd', 'prevFlatGrad', ...history]);
    for (const name of Object.keys(entry))
      if (!known.has(name))
        throw new ArgumentError(
          `${where}: unknown state '${name}' (expected funcEvals, nIter, t, hDiag, prevLoss, d, prevFlatGrad, oldDirs.<i>, oldStps.<i>, ro.<i>)`,
        );
    const size = history.filter((name) => name.startsWith('ro.')).length;
    const oldDirs: Tensor[] = [];
    const oldStps: Tensor[] = [];
    const ro: number[] = [];
    for (let i = 0; i < size; i++) {
      oldDirs.push(flat(`oldDirs.${i}`, true)!);
      oldStps.push(flat(`oldStps.${i}`, true)!);
      ro.push(number(`ro.${i}`, true)!);
    }
    if (history.length !== 3 * size)
      throw new ArgumentError(
        `${where}: the history entries (${history.join(', ')}) must be complete triples oldDirs.<i>, oldStps.<i>, ro.<i> for i = 0, 1, ...`,
      );
    const count = (name: string): number => {
      const value = number(name, true)!;
      if (!Number.isInteger(value) || value < 0)
        throw new ArgumentError(`${where}: state '${name}' must be an integer >= 0, got ${value}`);
      return value;
    };
    const state: LBFGSState = { funcEvals: count('funcEvals'), nIter: count('nIter'), oldDirs, oldStps, ro };
    const t = number('t', false);
    const hDiag = number('hDiag', false);
    const prevLoss = number('prevLoss', false);
    const d = flat('d', false);
    const prevFlatGrad = flat('prevFlatGrad', false);
    if (t !== undefined) state.t = t;
    if (hDiag !== undefined) state.hDiag = hDiag;
    if (prevLoss !== undefined) state.prevLoss = prevLoss;
    if (d !== undefined) state.d = d;
    if (prevFlatGrad !== undefined) state.prevFlatGrad = prevFlatGrad;
    if (state.nIter > 0 && (state.d === undefined || state.t === undefined || state.prevFlatGrad === undefined))
      throw new ArgumentError(`${where}: a state with nIter ${state.nIter} > 0 needs d, t and prevFlatGrad`);
    return state;
  }

  private disposeState(): void {
    this.clearHistory();
    this.lbfgs.d?.dispose();
    this.lbfgs.prevFlatGrad?.dispose();
    this.lbfgs = { funcEvals: 0, nIter: 0, oldDirs: [], oldStps: [], ro: [] };
  }

  /** Frees the state tensors; a later step starts afresh. */
  override dispose(): void {
    super.dispose();
    this.disposeState();
  }
}

/** PyTorch's _cubic_interpolate: the minimiser of the cubic through two points with slopes, within bounds. */
function cubicInterpolate(
  x1: number,
  f1: number,
  g1: number,
  x2: number,
  f2: number,
  g2: number,
  bounds?: readonly [number, number],
): number {
  const [xminBound, xmaxBound] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square >= 0) {
    const d2 = Math.sqrt(d2Square);
    const minPos =
      x1 <= x2
        ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
    return Math.min(Math.max(minPos, xminBound), xmaxBound);
  }
  return (xminBound + xmaxBound) / 2;
}

type DirectionalEvaluate = (x: readonly Tensor[], t: number, d: Tensor) => Promise<[number, Tensor]>;

/**
 * PyTorch's _strong_wolfe (after minFunc's lswolfe): brackets a step satisfying the strong Wolfe
 * conditions, then zooms in. Returns the loss, a new flat gradient tensor (the caller owns it),
 * the step and the evaluations it made; every other gradient it made is freed.
 */
async function strongWolfe(
  objFunc: DirectionalEvaluate,
  x: readonly Tensor[],
  tInit: number,
  d: Tensor,
  f: number,
  gInput: Tensor,
  gtd: number,
  toleranceChange: number,
  c1 = 1e-4,
  c2 = 0.9,
  maxLs = 25,
): Promise<{ loss: number; grad: Tensor; t: number; evals: number }> {
  const made = new Set<Tensor>();
  const own = (t: Tensor): Tensor => {
    made.add(t);
    return t;
  };
  let result: Tensor | undefined;
  try {
    let t = tInit;
    const dNorm = await absMax(d);
    const g = own(gInput.detach());
    let [fNew, gNew] = await objFunc(x, t, d);
    own(gNew);
    let lsFuncEvals = 1;
    let gtdNew = await dot(gNew, d);

    let tPrev = 0;
    let fPrev = f;
    let gPrev = g;
    let gtdPrev = gtd;
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bracketF: number[] = [];
    let bracketG: Tensor[] = [];
    let bracketGtd: number[] = [];
    while (lsIter < maxLs) {
      if (fNew > f + c1 * t * gtd || (lsIter > 1 && fNew >= fPrev)) {
        bracket = [tPrev, t];
        bracketF = [fPrev, fNew];
        bracketG = [gPrev, gNew];
        bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        bracket = [t];
        bracketF = [fNew];
        bracketG = [gNew];
        done = true;
        break;
      }
      if (gtdNew >= 0) {
        bracket = [tPrev, t];
        bracketF = [fPrev, fNew];
        bracketG = [gPrev, gNew];
        bracketGtd = [gtdPrev, gtdNew];
        break;
      }
      // Interpolate.
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, [minStep, maxStep]);
      tPrev = tmp;
      fPrev = fNew;
      gPrev = gNew;
      gtdPrev = gtdNew;
      [fNew, gNew] = await objFunc(x, t, d);
      own(gNew);
      lsFuncEvals += 1;
      gtdNew = await dot(gNew, d);
      lsIter += 1;
    }
    if (lsIter === maxLs) {
      bracket = [0, t];
      bracketF = [f, fNew];
      bracketG = [g, gNew];
    }

    // Zoom: refine the bracket until a point satisfies the conditions.
    let insufProgress = false;
    let [lowPos, highPos] = bracketF[0]! <= bracketF[bracketF.length - 1]! ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
      t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
      const high = Math.max(...bracket);
      const low = Math.min(...bracket);
      const eps = 0.1 * (high - low);
      if (Math.min(high - t, t - low) < eps) {
        if (insufProgress || t >= high || t <= low) {
          t = Math.abs(t - high) < Math.abs(t - low) ? high - eps : low + eps;
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      [fNew, gNew] = await objFunc(x, t, d);
      own(gNew);
      lsFuncEvals += 1;
      gtdNew = await dot(gNew, d);
      lsIter += 1;

      if (fNew > f + c1 * t * gtd || fNew >= bracketF[lowPos]!) {
        bracket[highPos] = t;
        bracketF[highPos] = fNew;
        bracketG[highPos] = gNew;
        bracketGtd[highPos] = gtdNew;
        [lowPos, highPos] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(gtdNew) <= -c2 * gtd) {
          done = true;
        } else if (gtdNew * (bracket[highPos]! - bracket[lowPos]!) >= 0) {
          bracket[highPos] = bracket[lowPos]!;
          bracketF[highPos] = bracketF[lowPos]!;
          bracketG[highPos] = bracketG[lowPos]!;
          bracketGtd[highPos] = bracketGtd[lowPos]!;
        }
        bracket[lowPos] = t;
        bracketF[lowPos] = fNew;
        bracketG[lowPos] = gNew;
        bracketGtd[lowPos] = gtdNew;
      }
    }
    result = bracketG[lowPos]!;
    return { loss: bracketF[lowPos]!, grad: result, t: bracket[lowPos]!, evals: lsFuncEvals };
  } finally {
    for (const t of made) if (t !== result) t.dispose();
  }
}
