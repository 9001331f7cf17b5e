import { ArgumentError } from '../errors.js';
import { keep } from '../tensor/scope.js';
import type { BackendHandle } from '../backend/contract.js';
import { Tensor } from '../tensor/tensor.js';
import { Optimizer, withDefaults, type OptimizerOptions, type ParamGroup, type ParamGroupInput } from './optimizer.js';
import { rejectUnknownKeys, requireBoolean, requireNonNegative } from './validate.js';

/** The options SGD takes (an unknown one, such as PyTorch's weight_decay, is an error). */
export const SGD_OPTIONS: readonly string[] = ['lr', 'momentum', 'dampening', 'nesterov', 'weightDecay'];

export interface SGDOptions extends OptimizerOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
  /** L2 penalty added to the gradient: g + weightDecay * param. */
  weightDecay: number;
}

/**
 * Stochastic gradient descent with PyTorch's exact update (torch.optim.SGD):
 *   g = grad + weightDecay * param
 *   buf = g (first step), else momentum * buf + (1 - dampening) * g
 *   g = nesterov ? g + momentum * buf : buf          (when momentum != 0)
 *   param = param - lr * g
 */
export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Tensor[] | ParamGroupInput<SGDOptions>[], options: { lr: number } & Partial<SGDOptions>) {
    // lr has no default (PyTorch's classic SGD): a missing one fails validation by name.
    rejectUnknownKeys('SGD', options ?? {}, SGD_OPTIONS);
    super(
      params,
      withDefaults({ momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 } as SGDOptions, options ?? {}),
    );
  }

  protected override get label(): string {
    return 'SGD';
  }

  protected override checkOptions(group: ParamGroup & SGDOptions, where: string): void {
    super.checkOptions(group, where);
    requireNonNegative(where, 'momentum', group.momentum);
    requireNonNegative(where, 'dampening', group.dampening);
    requireNonNegative(where, 'weightDecay', group.weightDecay);
    requireBoolean(where, 'nesterov', group.nesterov);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new ArgumentError(
        `${where}: nesterov momentum requires momentum > 0 and dampening = 0, got momentum ${group.momentum} and dampening ${group.dampening}`,
      );
    }
  }

  protected override stateKinds(): Record<string, 'tensor' | 'number'> {
    return { momentumBuffer: 'tensor' };
  }

  /**
   * Every parameter of the group in one `sgdUpdateMany` call where the backend has it and all
   * parameters and gradients share its backend and dtype (the same update, in one kernel);
   * otherwise `update` runs per parameter.
   */
  protected override updateGroup(group: ParamGroup & SGDOptions): boolean {
    const backend = group.params[0]?.backend;
    const kernel = backend?.fused?.sgdUpdateMany;
    if (kernel === undefined) return false;
    const params: Tensor[] = [];
    for (const param of group.params) {
      const grad = param.grad;
      if (grad === null) continue;
      if (param.backend !== backend || grad.backend !== backend || grad.dtype !== param.dtype) return false;
      params.push(param);
    }
    const n = params.length;
    if (n === 0) return true;
    const momentum = group.momentum !== 0;
    const handles = new Array<BackendHandle>(n);
    const grads = new Array<BackendHandle>(n);
    const buffers = new Array<BackendHandle | null>(n);
    for (let i = 0; i < n; i++) {
      handles[i] = params[i]!.handle;
      grads[i] = params[i]!.grad!.handle;
      buffers[i] = momentum
        ? ((this.state.get(params[i]!)?.momentumBuffer as Tensor | undefined)?.handle ?? null)
        : null;
    }
    const { lr, dampening, nesterov, weightDecay } = group;
    const result = kernel.call(backend!.fused, handles, grads, buffers, {
      lr,
      momentum: group.momentum,
      dampening,
      nesterov,
      weightDecay,
    });
    for (let i = 0; i < n; i++) {
      const param = params[i]!;
      param.replaceHandle(result.params[i]!);
      const buffer = result.buffers[i];
      if (!momentum || buffer === null || buffer === undefined) continue;
      const state = this.state.get(param);
      if (state === undefined) {
        this.state.set(param, { momentumBuffer: keep(new Tensor(buffer, param.shape, param.dtype, backend!)) });
      } else {
        (state.momentumBuffer as Tensor).replaceHandle(buffer);
      }
    }
    return true;
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & SGDOptions): void {
    let direction = group.weightDecay !== 0 ? grad.add(param.mul(group.weightDecay)) : grad;
    if (group.momentum !== 0) {
      let buffer = this.state.get(param)?.momentumBuffer as Tensor | undefined;
      if (buffer === undefined) {
        // Like PyTorch, the first buffer is the (decayed) gradient itself, not momentum * 0 + g.
        buffer = keep(direction.detach());
        this.state.set(param, { momentumBuffer: buffer });
      } else {
        buffer.assign(buffer.mul(group.momentum).add(direction.mul(1 - group.dampening)));
      }
      direction = group.nesterov ? direction.add(buffer.mul(group.momentum)) : buffer;
    }
    param.assign(param.sub(direction.mul(group.lr)));
  }
}
