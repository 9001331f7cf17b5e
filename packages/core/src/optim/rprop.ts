import { ArgumentError } from '../errors.js';
import { where } from '../ops/elementwise.js';
import { fullLike } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import type { OptimizerOptions, ParamGroup, StateKind } from './optimizer.js';
import { SpecOptimizer, type OptimizerSpec } from './spec-optimizer.js';
import { stateTensor } from './update-terms.js';

export interface RpropOptions extends OptimizerOptions {
  /** The pair `[etaminus, etaplus]`, the step size's factor when the gradient's sign flips or holds; 0 < etaminus < 1 < etaplus. */
  etas: readonly [number, number];
  /** The pair `[min, max]`, the range every step size is clamped to. */
  stepSizes: readonly [number, number];
}

function show(value: unknown): string {
  return Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
}

function requireEtas(where: string, name: string, value: unknown): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    typeof value[1] !== 'number' ||
    !(value[0] > 0 && value[0] < 1 && value[1] > 1 && Number.isFinite(value[1]))
  ) {
    throw new ArgumentError(
      `${where}: invalid ${name} ${show(value)} (must be a pair [etaminus, etaplus] with 0 < etaminus < 1 < etaplus)`,
    );
  }
  return value as unknown as readonly [number, number];
}

function requireStepSizes(where: string, name: string, value: unknown): readonly [number, number] {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    typeof value[0] !== 'number' ||
    typeof value[1] !== 'number' ||
    !(value[0] >= 0 && value[1] >= value[0] && Number.isFinite(value[1]))
  ) {
    throw new ArgumentError(
      `${where}: invalid ${name} ${show(value)} (must be a pair [min, max] of finite numbers with 0 <= min <= max)`,
    );
  }
  return value as unknown as readonly [number, number];
}

/**
 * Rprop (resilient backpropagation) with PyTorch's exact update (torch.optim.Rprop, torch 1.13),
 * defaults lr 1e-2, etas [0.5, 1.2], stepSizes [1e-6, 50]. Each element keeps its own step size,
 * started at lr, and moves by it against the gradient's sign:
 *   s = sign(grad * prev)
 *   stepSize = clamp(stepSize * (s > 0 ? etaplus : s < 0 ? etaminus : 1), min, max)
 *   g = s < 0 ? 0 : grad   (a sign flip skips the element's move this step)
 *   param -= sign(g) * stepSize;  prev = g
 * State per parameter: step, prev, stepSize. Meant for full-batch training, as in PyTorch.
 */
export class Rprop extends SpecOptimizer<RpropOptions> {
  /** @internal Its options, their defaults and their checks, which SpecOptimizer applies. */
  static readonly spec: OptimizerSpec<RpropOptions> = {
    label: 'Rprop',
    defaults: { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50] },
    rules: { etas: requireEtas, stepSizes: requireStepSizes },
  };

  protected override stateKinds(): Record<string, StateKind> {
    return { step: 'number', prev: 'tensor', stepSize: 'tensor' };
  }

  protected override update(param: Tensor, grad: Tensor, group: ParamGroup & RpropOptions): void {
    const [etaminus, etaplus] = group.etas;
    const [stepSizeMin, stepSizeMax] = group.stepSizes;
    const state = this.stateFor(param, () => ({
      step: 0,
      prev: stateTensor(param),
      stepSize: stateTensor(param, group.lr),
    }));
    state.step = (state.step as number) + 1;
    const prev = state.prev as Tensor;
    const stepSize = state.stepSize as Tensor;
    const sign = grad.mul(prev).sign();
    const flipped = sign.less(0);
    const factor = where(sign.greater(0), etaplus, where(flipped, etaminus, fullLike(grad, 1)));
    stepSize.assign(stepSize.mul(factor).clamp(stepSizeMin, stepSizeMax));
    const g = where(flipped, 0, grad);
    param.assign(param.sub(g.sign().mul(stepSize)));
    prev.assign(g);
  }
}
