import type { AdamUpdateOptions, BackendHandle } from '../backend/contract.js';
import { ArgumentError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { composedAdamUpdate } from './adam-update.js';
import { stateTensor } from './update-terms.js';
import {
  Optimizer,
  withDefaults,
  type OptimizerOptions,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
import { rejectUnknownKeys, requireBetas, requireBoolean, requireNonNegative } from './validate.js';

/** The options Adam and AdamW take (an unknown one, such as PyTorch's amsgrad, is an error). */
export const ADAM_OPTIONS: readonly string[] = ['lr', 'betas', 'eps', 'weightDecay', 'fused'];

export interface AdamOptions extends OptimizerOptions {
  betas: readonly [number, number];
  eps: number;
  /** Adam: L2 penalty added to the gradient. AdamW: decoupled decay of the weights. */
  weightDecay: number;
  /**
   * Use the backend's fused `adamUpdate` kernel: unset uses it when the backend has one, false
   * always composes core ops, true requires the kernel (like torch's `fused=True`).
   */
  fused?: boolean;
}

/**
 * Adam (torch.optim.Adam, amsgrad off) with weight decay as an L2 term in the gradient.
 * State per parameter: step, expAvg (m), expAvgSq (v), created at its first gradient.
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    rejectUnknownKeys(new.target === AdamW ? 'AdamW' : 'Adam', options ?? {}, ADAM_OPTIONS);
    super(
      params,
      withDefaults<AdamOptions>({ lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0 }, options ?? {}),
    );
  }

  protected override get label(): string {
    return 'Adam';
  }

  /** AdamW decays the weights directly instead of adding to the gradient. */
  protected get decoupledWeightDecay(): boolean {
    return false;
  }

  protected override checkOptions(group: ParamGroup & AdamOptions, where: string): void {
    super.checkOptions(group, where);
    requireBetas(where, group.betas);
    requireNonNegative(where, 'eps', group.eps);
    requireNonNegative(where, 'weightDecay', group.weightDecay);
    if (group.fused === undefined) return;
    requireBoolean(where, 'fused', group.fused);
    const without = group.fused ? group.params.find((p) => !p.backend.fused?.adamUpdate) : undefined;
    if (without !== undefined) {
      throw new ArgumentError(
        `${where}: fused is true, but backend '${without.backend.name}' has no fused adamUpdate kernel (leave fused unset to compose core ops instead)`,
      );
    }
  }

  protected override stateKinds(): Record<string, 'tensor' | 'number'> {
    return { step: 'number', expAvg: 'tensor', expAvgSq: 'tensor' };
  }

  /**
   * Every parameter of the group in one `adamUpdateMany` call, where the backend has it (and
   * `fused` is not false), all parameters and gradients share its backend and dtype, and their
   * step counts agree; otherwise `update` runs per parameter.
   */
  protected override updateGroup(group: ParamGroup & AdamOptions): boolean {
    const first = group.params[0];
    const backend = first?.backend;
    const kernel = backend?.fused?.adamUpdateMany;
    if (group.fused === false || kernel === undefined) return false;
    const params: Tensor[] = [];
    let step = 0;
    for (const param of group.params) {
      const grad = param.grad;
      if (grad === null) continue;
      if (param.backend !== backend || grad.backend !== backend || grad.dtype !== param.dtype) return false;
      const next = ((this.state.get(param)?.step as number | undefined) ?? 0) + 1;
      if (params.length > 0 && next !== step) return false;
      step = next;
      params.push(param);
    }
    const n = params.length;
    if (n === 0) return true;
    const handles = {
      params: new Array<BackendHandle>(n),
      grads: new Array<BackendHandle>(n),
      ms: new Array<BackendHandle>(n),
      vs: new Array<BackendHandle>(n),
    };
    const states = new Array<ParamState>(n);
    for (let i = 0; i < n; i++) {
      const param = params[i]!;
      const state = this.stateFor(param, newAdamState(param));
      state.step = step;
      states[i] = state;
      handles.params[i] = param.handle;
      handles.grads[i] = param.grad!.handle;
      handles.ms[i] = (state.expAvg as Tensor).handle;
      handles.vs[i] = (state.expAvgSq as Tensor).handle;
    }
    const result = kernel.call(
      backend!.fused,
      handles.params,
      handles.grads,
      handles.ms,
      handles.vs,
      this.adamOptions(group, step),
    );
    for (let i = 0; i < n; i++) {
      params[i]!.replaceHandle(result.params[i]!);
      (states[i]!.expAvg as Tensor).replaceHandle(result.ms[i]!);
      (states[i]!.expAvgSq as Tensor).replaceHandle(result.vs[i]!);
    }
    return true;
  }

  private adamOptions(group: ParamGroup & AdamOptions, step: number): AdamUpdateOptions {
    return {
      lr: group.lr,
      beta1: group.betas[0],
      beta2: group.betas[1],
      eps: group.eps,
      weightDecay: group.weightDecay,
      decoupledWeightDecay: this.decoupledWeightDecay,
      step,
    };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & AdamOptions): void {
    const state = this.stateFor(param, newAdamState(param));
    const step = (state.step as number) + 1;
    state.step = step;
    const m = state.expAvg as Tensor;
    const v = state.expAvgSq as Tensor;
    const options = this.adamOptions(group, step);
    const fused = param.backend.fused;
    if (group.fused !== false && fused?.adamUpdate && grad.dtype === param.dtype && grad.backend === param.backend) {
      const result = fused.adamUpdate(param.handle, grad.handle, m.handle, v.handle, options);
      param.replaceHandle(result.param);
      m.replaceHandle(result.m);
      v.replaceHandle(result.v);
    } else {
      composedAdamUpdate(param, grad, m, v, options);
    }
  }
}

/** Adam's state before its first step: step 0 and zero moments. */
function newAdamState(param: Tensor): () => ParamState {
  return () => ({ step: 0, expAvg: stateTensor(param), expAvgSq: stateTensor(param) });
}

/**
 * AdamW (torch.optim.AdamW): Adam with decoupled weight decay, param *= 1 - lr * weightDecay
 * before the Adam step. weightDecay defaults to 1e-2 as in PyTorch.
 */
export class AdamW extends Adam {
  constructor(params: Tensor[] | ParamGroupInput<AdamOptions>[], options: Partial<AdamOptions> = {}) {
    super(params, withDefaults<Partial<AdamOptions>>({ weightDecay: 1e-2 }, options ?? {}));
  }

  protected override get label(): string {
    return 'AdamW';
  }

  protected override get decoupledWeightDecay(): boolean {
    return true;
  }
}
