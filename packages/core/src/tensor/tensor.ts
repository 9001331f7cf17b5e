import type { Backend, BackendHandle, DType, TypedArray } from '../backend/contract.js';
import { isFloat } from '../backend/dtypes.js';
import { ArgumentError, BackendError, DTypeError, DisposedTensorError, ShapeError, formatShape } from '../errors.js';
import { PENDING_GRAD, VISITED_IN, type GradNode } from '../autograd/node.js';
import { backward } from '../autograd/backward.js';
import { noGrad } from '../autograd/grad-mode.js';
import * as elementwise from '../ops/elementwise.js';
import * as reduce from '../ops/reduce.js';
import * as movement from '../ops/movement.js';
import * as activation from '../ops/activation.js';
import * as utils from '../ops/tensor-utils.js';
import * as scan from '../ops/scan.js';
import * as matrix from '../ops/matrix-utils.js';
import * as tensorMath from '../ops/tensor-math.js';
import * as sorting from '../ops/sort.js';
import { matmul, type MatmulOptions } from '../ops/linalg.js';
import { formatTensor } from './format.js';
import { keep, SCOPE, tidy, trackTensor, type Scope } from './scope.js';
import { shapesEqual, sizeOf } from './shape.js';

export type NestedArray = number | boolean | NestedArray[];
/** A tensor or a plain number, which ops turn into a scalar of the other operand's dtype. */
export type TensorLike = Tensor | number;

let nextTensorId = 0;

/** Internal (checkpoint): the id the next tensor will get; tensors made from now on have ids at or above it. */
export function nextTensorIdValue(): number {
  return nextTensorId;
}

/**
 * An n-dimensional array on a backend, with optional gradient tracking. Tensors are immutable
 * values except through `assign` (used by optimizers); every op returns a new tensor.
 */
/** A gradient hook (Tensor.registerHook): may return a replacement gradient of the same shape. */
export type GradientHook = (grad: Tensor) => Tensor | void;

/** What registering a hook returns, as PyTorch's RemovableHandle: `remove()` unregisters it (twice is harmless). */
export interface RemovableHandle {
  remove(): void;
}

/** A handle that takes `item` out of `list` (the first time only). */
export function removableHandle<T>(list: T[], item: T): RemovableHandle {
  let removed = false;
  return {
    remove(): void {
      if (removed) return;
      removed = true;
      const at = list.indexOf(item);
      if (at >= 0) list.splice(at, 1);
    },
  };
}

export class Tensor {
  /** Marks Myelin tensors across package copies (on the prototype: no field per tensor). */
  declare readonly isMyelinTensor: true;
  readonly id = nextTensorId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly backend: Backend;
  /** Whether gradients flow to this tensor. Leaves with it set collect `.grad` in backward. */
  requiresGrad = false;
  #gradNode: GradNode | null = null;
  /** The op that produced this tensor, when a backward() freed its graph (see releaseGraph). */
  #releasedOp: string | null = null;
  #handle: BackendHandle | null;
  #grad: Tensor | null = null;
  #version = 0;
  #size = -1;
  /** Constants (e.g. scalars from `x.mul(2)`) that this tensor's graph node needs; freed with it. */
  #owned: Tensor[] | null = null;
  /** @internal The memory scope that owns this tensor (see tensor/scope.ts). */
  [SCOPE]: Scope | null = null;
  /** Internal: backward's gradient waiting for this tensor, and its last pass here (autograd/backward.ts). */
  [PENDING_GRAD]: Tensor | null = null;
  [VISITED_IN] = 0;
  /** Gradient hooks (registerHook), in registration order; null until the first. */
  #hooks: GradientHook[] | null = null;
  #retainsGrad = false;

  /**
   * Internal: use `tensor()`, `zeros()` and the ops to make tensors. A frozen `shape` (another
   * tensor's) is shared, any other is copied.
   */
  constructor(handle: BackendHandle, shape: readonly number[], dtype: DType, backend: Backend) {
    this.#handle = handle;
    this.shape = Object.isFrozen(shape) ? shape : Object.freeze(shape.slice());
    this.dtype = dtype;
    this.backend = backend;
    trackTensor(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    // Shapes never change: count the elements once.
    if (this.#size < 0) this.#size = sizeOf(this.shape);
    return this.#size;
  }

  /** The op that produced this tensor, while the graph is alive; null for leaves. Setting it makes a new node or leaf. */
  get gradNode(): GradNode | null {
    return this.#gradNode;
  }

  set gradNode(node: GradNode | null) {
    this.#gradNode = node;
    this.#releasedOp = null;
  }

  /**
   * Internal (backward without retainGraph): drops this tensor's graph node but remembers that
   * it had one, so a later backward through it fails instead of treating it as a leaf.
   */
  releaseGraph(): void {
    if (this.#gradNode === null) return;
    this.#releasedOp = this.#gradNode.op;
    this.#gradNode = null;
  }

  /** The op whose graph node an earlier backward() freed, or null. */
  get releasedGraphOp(): string | null {
    return this.#releasedOp;
  }

  get isDisposed(): boolean {
    return this.#handle === null;
  }

  /** Bumped by every in-place `assign`; backward uses it to refuse stale graphs. */
  get version(): number {
    return this.#version;
  }

  /** The backend storage. Throws if the tensor was disposed. */
  get handle(): BackendHandle {
    if (this.#handle === null) {
      throw new DisposedTensorError(
        `tensor #${this.id} of shape ${formatShape(this.shape)} was disposed and cannot be used`,
      );
    }
    return this.#handle;
  }

  /** The accumulated gradient (leaves only). Setting replaces and disposes the old one. */
  get grad(): Tensor | null {
    return this.#grad;
  }

  set grad(value: Tensor | null) {
    if (this.#grad !== null && this.#grad !== value) this.#grad.dispose();
    this.#grad = value === null ? null : keep(value);
  }

  /** Frees the storage (and this tensor's gradient). Safe to call twice. */
  dispose(): void {
    if (this.#handle === null) return;
    this.backend.dispose(this.#handle);
    this.#handle = null;
    this.grad = null;
    this.gradNode = null;
    if (this.#owned) for (const constant of this.#owned) constant.dispose();
    this.#owned = null;
  }

  /** Internal: ties a constant's lifetime to this tensor. */
  adoptConstant(constant: Tensor): void {
    keep(constant);
    (this.#owned ??= []).push(constant);
  }

  /** Internal: gives up a constant `adoptConstant` tied to this tensor; false when it holds none such. */
  releaseConstant(constant: Tensor): boolean {
    const at = this.#owned?.indexOf(constant) ?? -1;
    if (at < 0) return false;
    this.#owned!.splice(at, 1);
    return true;
  }

  /**
   * Replaces this tensor's values in place with `value`'s (same shape; cast to this dtype).
   * `value` is consumed: its storage moves here. Used by optimizers; bumps `version`.
   */
  assign(value: Tensor): this {
    if (value === this) return this;
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new ShapeError(
        `assign: value of shape ${formatShape(value.shape)} does not match tensor of shape ${formatShape(this.shape)}`,
      );
    }
    if (value.backend !== this.backend) {
      const moved = value.to(this.backend);
      value.dispose();
      value = moved;
    }
    const source = value.dtype === this.dtype ? value : value.cast(this.dtype);
    const old = this.handle;
    this.#handle = source.takeHandle();
    this.backend.dispose(old);
    if (source !== value) value.dispose();
    this.#version++;
    return this;
  }

  /**
   * Internal: swaps in a handle a kernel produced for this tensor's shape and dtype (fused
   * optimizer updates), freeing the old one. Bumps `version` like `assign`.
   */
  replaceHandle(handle: BackendHandle): this {
    const old = this.handle;
    this.#handle = handle;
    this.backend.dispose(old);
    this.#version++;
    return this;
  }

  /**
   * Internal (Module.to): moves a leaf's storage to `backend` and `dtype` in place, keeping this
   * tensor object (module fields and optimizers keep referring to it), as PyTorch's
   * `module.to()` replaces `param.data`. Its gradient moves with it. Bumps `version`: a graph
   * recorded before the move can no longer backpropagate into it.
   */
  moveInPlace(backend: Backend, dtype: DType): this {
    if (backend === this.backend && dtype === this.dtype) return this;
    if (this.#gradNode !== null)
      throw new ArgumentError(
        `moveInPlace: tensor #${this.id} of shape ${formatShape(this.shape)} was made by '${this.#gradNode.op}'; only leaves (parameters, buffers) move in place`,
      );
    const converted = noGrad(() => {
      const cast = dtype === this.dtype ? this.detach() : this.cast(dtype);
      if (backend === cast.backend) return cast;
      const moved = cast.to(backend);
      cast.dispose();
      return moved;
    });
    const old = this.handle;
    this.#handle = converted.takeHandle();
    this.backend.dispose(old);
    (this as { backend: Backend }).backend = backend;
    (this as { dtype: DType }).dtype = dtype;
    this.#version++;
    const grad = this.#grad;
    if (grad !== null) {
      this.#grad = null;
      this.grad = grad.moveInPlace(backend, dtype);
    }
    return this;
  }

  /** Internal: moves the storage out, leaving this tensor disposed. */
  takeHandle(): BackendHandle {
    const handle = this.handle;
    this.#handle = null;
    this.gradNode = null;
    this.grad = null;
    return handle;
  }

  /** Marks this tensor as a leaf that collects gradients (in place), like requires_grad_(). */
  requiresGrad_(requiresGrad = true): this {
    if (requiresGrad && !isFloat(this.dtype))
      throw new DTypeError(
        `requiresGrad_: only float tensors can require gradients, got dtype ${this.dtype}; cast it with .cast('float32') first`,
      );
    this.requiresGrad = requiresGrad;
    return this;
  }

  /**
   * Like PyTorch's `register_hook`: `hook(grad)` runs during backward with this tensor's gradient
   * once it is complete (for a leaf, before it is added to `.grad`); returning a tensor of the
   * same shape replaces the gradient that flows on. Hooks run in registration order, without
   * recording gradients; what they make besides their result is freed. The `grad` they are given
   * belongs to backward (it is freed after use, or becomes a leaf's `.grad`): keep a copy,
   * `grad.detach()`, to use it later. `remove()` unregisters.
   */
  registerHook(hook: GradientHook): RemovableHandle {
    if (!this.requiresGrad)
      throw new ArgumentError(
        `registerHook: tensor #${this.id} of shape ${formatShape(this.shape)} does not require gradients, so no gradient would reach the hook`,
      );
    if (typeof hook !== 'function')
      throw new ArgumentError(`registerHook: expected a function (grad) => Tensor | void, got ${typeof hook}`);
    const hooks = (this.#hooks ??= []);
    hooks.push(hook);
    return removableHandle(hooks, hook);
  }

  /**
   * Like PyTorch's `retain_grad()`: this non-leaf tensor keeps (and accumulates) its gradient in
   * `.grad` during backward, as a leaf does. A no-op on a leaf.
   */
  retainGrad(): this {
    if (!this.requiresGrad)
      throw new ArgumentError(
        `retainGrad: tensor #${this.id} of shape ${formatShape(this.shape)} does not require gradients`,
      );
    if (this.#gradNode !== null) this.#retainsGrad = true;
    return this;
  }

  /** Whether a non-leaf tensor keeps its gradient (retainGrad). */
  get retainsGrad(): boolean {
    return this.#retainsGrad;
  }

  /** Internal (backward): whether hooks or retainGrad want to see this tensor's gradient. */
  get watchesGradient(): boolean {
    return this.#retainsGrad || (this.#hooks !== null && this.#hooks.length > 0);
  }

  /**
   * Internal (backward): runs the hooks on this tensor's complete gradient `grad` (owned) and
   * keeps a copy in `.grad` under retainGrad; returns the gradient that flows on (owned).
   */
  applyGradientHooks(grad: Tensor): Tensor {
    let current = grad;
    for (const hook of [...(this.#hooks ?? [])]) {
      const before = current;
      const firstNew = nextTensorId;
      const result = tidy(() => hook(before) ?? before);
      if (result === before) continue;
      if (!(result instanceof Tensor) || !shapesEqual(result.shape, this.shape)) {
        if (result instanceof Tensor && result.id >= firstNew) result.dispose();
        before.dispose();
        throw new ShapeError(
          `registerHook: a hook on tensor #${this.id} of shape ${formatShape(this.shape)} returned ${result instanceof Tensor ? `a gradient of shape ${formatShape(result.shape)}` : String(result)}; return nothing or a tensor of the tensor's shape`,
        );
      }
      // A tensor the hook did not make (one the caller holds) is copied: backward owns, and
      // later frees, the gradient that flows on.
      const owned = result.id >= firstNew ? result : result.detach();
      current = owned.dtype === this.dtype ? owned : owned.cast(this.dtype);
      if (current !== owned) owned.dispose();
      before.dispose();
    }
    if (this.#retainsGrad && this.#gradNode !== null) {
      const copy = current.detach();
      this.grad = this.#grad === null ? copy : this.#grad.add(copy);
      if (this.#grad !== copy) copy.dispose();
    }
    return current;
  }

  /**
   * Computes gradients of this tensor with respect to every leaf that requires them, then frees
   * the graph: a second backward through it throws, unless `retainGraph: true` kept it.
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    backward(this, gradient, options);
  }

  /** A copy that is cut from the graph (no gradient flows through it). */
  detach(): Tensor {
    return new Tensor(this.backend.reshape(this.handle, this.shape), this.shape, this.dtype, this.backend);
  }

  /** Copies this tensor to another backend (through the host). */
  to(backend: Backend): Tensor {
    if (backend === this.backend) return this.detach();
    const values = this.dataSync();
    return new Tensor(backend.fromData(values, this.shape, this.dtype), this.shape, this.dtype, backend);
  }

  /** The values, row-major, as a typed array (a copy). */
  data(): Promise<TypedArray> {
    return this.backend.read(this.handle);
  }

  /** Synchronous readback; only on backends that can do it without stalling a device. */
  dataSync(): TypedArray {
    if (!this.backend.readSync) {
      throw new BackendError(
        `dataSync: backend '${this.backend.name}' only reads asynchronously; use await tensor.data()`,
      );
    }
    return this.backend.readSync(this.handle);
  }

  /** The values as nested arrays (booleans for bool tensors). */
  async array(): Promise<NestedArray> {
    return toNested(await this.data(), this.shape, this.dtype);
  }

  /** The single value of a one-element tensor. */
  async item(): Promise<number> {
    if (this.size !== 1)
      throw new ShapeError(`item: tensor of shape ${formatShape(this.shape)} has ${this.size} elements, expected 1`);
    return (await this.data())[0]!;
  }

  /** Prints like PyTorch: `tensor([[1.0000, 2.0000]], requires_grad=True)`. */
  toString(): string {
    if (this.isDisposed) return `tensor(<disposed>, shape=${formatShape(this.shape)})`;
    if (!this.backend.readSync)
      return `tensor(<on ${this.backend.name}; await t.data() to read>, shape=${formatShape(this.shape)}, dtype=${this.dtype})`;
    return formatTensor(this.dataSync(), this.shape, this.dtype, this.requiresGrad);
  }

  // ---- ops as methods (see ops/*.ts for the documentation) -------------------------------
  add(other: TensorLike): Tensor {
    return elementwise.add(this, other);
  }
  sub(other: TensorLike): Tensor {
    return elementwise.sub(this, other);
  }
  mul(other: TensorLike): Tensor {
    return elementwise.mul(this, other);
  }
  div(other: TensorLike): Tensor {
    return elementwise.div(this, other);
  }
  pow(exponent: TensorLike): Tensor {
    return elementwise.pow(this, exponent);
  }
  maximum(other: TensorLike): Tensor {
    return elementwise.maximum(this, other);
  }
  minimum(other: TensorLike): Tensor {
    return elementwise.minimum(this, other);
  }
  neg(): Tensor {
    return elementwise.neg(this);
  }
  exp(): Tensor {
    return elementwise.exp(this);
  }
  log(): Tensor {
    return elementwise.log(this);
  }
  sqrt(): Tensor {
    return elementwise.sqrt(this);
  }
  erf(): Tensor {
    return elementwise.erf(this);
  }
  sin(): Tensor {
    return elementwise.sin(this);
  }
  cos(): Tensor {
    return elementwise.cos(this);
  }
  tan(): Tensor {
    return elementwise.tan(this);
  }
  asin(): Tensor {
    return elementwise.asin(this);
  }
  acos(): Tensor {
    return elementwise.acos(this);
  }
  atan(): Tensor {
    return elementwise.atan(this);
  }
  sinh(): Tensor {
    return elementwise.sinh(this);
  }
  cosh(): Tensor {
    return elementwise.cosh(this);
  }
  asinh(): Tensor {
    return elementwise.asinh(this);
  }
  acosh(): Tensor {
    return elementwise.acosh(this);
  }
  atanh(): Tensor {
    return elementwise.atanh(this);
  }
  log1p(): Tensor {
    return elementwise.log1p(this);
  }
  expm1(): Tensor {
    return elementwise.expm1(this);
  }
  log2(): Tensor {
    return elementwise.log2(this);
  }
  log10(): Tensor {
    return elementwise.log10(this);
  }
  exp2(): Tensor {
    return elementwise.exp2(this);
  }
  rsqrt(): Tensor {
    return elementwise.rsqrt(this);
  }
  floor(): Tensor {
    return elementwise.floor(this);
  }
  ceil(): Tensor {
    return elementwise.ceil(this);
  }
  round(): Tensor {
    return elementwise.round(this);
  }
  trunc(): Tensor {
    return elementwise.trunc(this);
  }
  frac(): Tensor {
    return elementwise.frac(this);
  }
  abs(): Tensor {
    return elementwise.abs(this);
  }
  sign(): Tensor {
    return elementwise.sign(this);
  }
  square(): Tensor {
    return elementwise.square(this);
  }
  reciprocal(): Tensor {
    return elementwise.reciprocal(this);
  }
  cast(dtype: DType): Tensor {
    return elementwise.cast(this, dtype);
  }
  clamp(min: number | null, max: number | null): Tensor {
    return elementwise.clamp(this, min, max);
  }
  equal(other: TensorLike): Tensor {
    return elementwise.equal(this, other);
  }
  notEqual(other: TensorLike): Tensor {
    return elementwise.notEqual(this, other);
  }
  less(other: TensorLike): Tensor {
    return elementwise.less(this, other);
  }
  lessEqual(other: TensorLike): Tensor {
    return elementwise.lessEqual(this, other);
  }
  greater(other: TensorLike): Tensor {
    return elementwise.greater(this, other);
  }
  greaterEqual(other: TensorLike): Tensor {
    return elementwise.greaterEqual(this, other);
  }

  sum(axes?: number | number[], keepDims = false): Tensor {
    return reduce.sum(this, axes, keepDims);
  }
  mean(axes?: number | number[], keepDims = false): Tensor {
    return reduce.mean(this, axes, keepDims);
  }
  max(axes?: number | number[], keepDims = false): Tensor {
    return reduce.max(this, axes, keepDims);
  }
  min(axes?: number | number[], keepDims = false): Tensor {
    return reduce.min(this, axes, keepDims);
  }
  argmax(axis?: number): Tensor {
    return reduce.argmax(this, axis);
  }
  argmin(axis?: number): Tensor {
    return reduce.argmin(this, axis);
  }
  logsumexp(axes?: number | number[], keepDims = false): Tensor {
    return reduce.logsumexp(this, axes, keepDims);
  }
  /** torch.sort: `{ values, indices }` along `dim` (stable; NaN sorts last ascending). */
  sort(options?: sorting.SortOptions): sorting.SortResult {
    return sorting.sort(this, options);
  }
  argsort(options?: sorting.SortOptions): Tensor {
    return sorting.argsort(this, options);
  }
  msort(): Tensor {
    return sorting.msort(this);
  }
  topk(k: number, options?: sorting.TopkOptions): sorting.SortResult {
    return sorting.topk(this, k, options);
  }
  kthvalue(k: number, options?: sorting.SelectOptions): sorting.SortResult {
    return sorting.kthvalue(this, k, options);
  }
  /** torch.median: the lower median of every element, or `{ values, indices }` along `dim`. */
  median(): Tensor;
  median(options: sorting.SelectOptions & { dim: number }): sorting.SortResult;
  median(options?: sorting.SelectOptions): Tensor | sorting.SortResult {
    return options?.dim === undefined ? sorting.median(this) : sorting.median(this, { ...options, dim: options.dim });
  }
  nanmedian(): Tensor;
  nanmedian(options: sorting.SelectOptions & { dim: number }): sorting.SortResult;
  nanmedian(options?: sorting.SelectOptions): Tensor | sorting.SortResult {
    return options?.dim === undefined
      ? sorting.nanmedian(this)
      : sorting.nanmedian(this, { ...options, dim: options.dim });
  }
  quantile(q: number | readonly number[], options?: sorting.QuantileOptions): Tensor {
    return sorting.quantile(this, q, options);
  }
  /** torch.var: Bessel-corrected by default ({ correction: 0 } for the biased variance). */
  var(axes?: number | number[], options?: utils.VarianceOptions): Tensor {
    return utils.variance(this, axes, options);
  }
  std(axes?: number | number[], options?: utils.VarianceOptions): Tensor {
    return utils.std(this, axes, options);
  }
  norm(ord = 2, axes?: number | number[], keepDims = false): Tensor {
    return utils.norm(this, ord, axes, keepDims);
  }
  cumsum(axis: number): Tensor {
    return utils.cumsum(this, axis);
  }
  any(axes?: number | number[], keepDims = false): Tensor {
    return utils.any(this, axes, keepDims);
  }
  all(axes?: number | number[], keepDims = false): Tensor {
    return utils.all(this, axes, keepDims);
  }
  split(splitSizeOrSections: number | readonly number[], axis = 0): Tensor[] {
    return utils.split(this, splitSizeOrSections, axis);
  }
  chunk(chunks: number, axis = 0): Tensor[] {
    return utils.chunk(this, chunks, axis);
  }
  repeat(repeats: readonly number[]): Tensor {
    return utils.repeat(this, repeats);
  }
  tile(reps: readonly number[]): Tensor {
    return utils.tile(this, reps);
  }
  flip(axes: number | readonly number[]): Tensor {
    return utils.flip(this, axes);
  }
  maskedFill(mask: Tensor, value: TensorLike): Tensor {
    return utils.maskedFill(this, mask, value);
  }

  reshape(shape: readonly number[]): Tensor {
    return movement.reshape(this, shape);
  }
  flatten(startAxis = 0, endAxis = -1): Tensor {
    return movement.flatten(this, startAxis, endAxis);
  }
  squeeze(axes?: number | number[]): Tensor {
    return movement.squeeze(this, axes);
  }
  unsqueeze(axis: number): Tensor {
    return movement.unsqueeze(this, axis);
  }
  transpose(axisA?: number, axisB?: number): Tensor {
    return movement.transpose(this, axisA, axisB);
  }
  permute(perm: readonly number[]): Tensor {
    return movement.permute(this, perm);
  }
  expand(shape: readonly number[]): Tensor {
    return movement.expand(this, shape);
  }
  slice(begin: readonly number[], size?: readonly number[]): Tensor {
    return movement.slice(this, begin, size);
  }
  pad(paddings: readonly (readonly [number, number])[], valueOrOptions: number | movement.PadOptions = 0): Tensor {
    return movement.pad(this, paddings, valueOrOptions);
  }
  gather(indices: Tensor, axis = 0): Tensor {
    return movement.gather(this, indices, axis);
  }
  indexSelect(axis: number, indices: Tensor): Tensor {
    return movement.indexSelect(this, axis, indices);
  }
  oneHot(numClasses: number): Tensor {
    return movement.oneHot(this, numClasses);
  }
  matmul(other: Tensor, options?: MatmulOptions): Tensor {
    return matmul(this, other, options);
  }

  relu(): Tensor {
    return activation.relu(this);
  }
  leakyRelu(negativeSlope = 0.01): Tensor {
    return activation.leakyRelu(this, negativeSlope);
  }
  elu(alpha = 1): Tensor {
    return activation.elu(this, alpha);
  }
  gelu(approximate: activation.GeluApproximation = 'none'): Tensor {
    return activation.gelu(this, approximate);
  }
  silu(): Tensor {
    return activation.silu(this);
  }
  mish(): Tensor {
    return activation.mish(this);
  }
  softplus(beta = 1, threshold = 20): Tensor {
    return activation.softplus(this, beta, threshold);
  }
  softsign(): Tensor {
    return activation.softsign(this);
  }
  hardtanh(minVal = -1, maxVal = 1): Tensor {
    return activation.hardtanh(this, minVal, maxVal);
  }
  relu6(): Tensor {
    return activation.relu6(this);
  }
  selu(): Tensor {
    return activation.selu(this);
  }
  hardsigmoid(): Tensor {
    return activation.hardsigmoid(this);
  }
  hardswish(): Tensor {
    return activation.hardswish(this);
  }
  sigmoid(): Tensor {
    return activation.sigmoid(this);
  }
  tanh(): Tensor {
    return activation.tanh(this);
  }
  softmax(axis = -1): Tensor {
    return activation.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return activation.logSoftmax(this, axis);
  }
  // ---- torch's products, scans and matrix utilities (ops/scan.ts, matrix-utils.ts, tensor-math.ts)
  prod(options?: scan.ProdOptions): Tensor {
    return scan.prod(this, options);
  }
  cumprod(dim: number): Tensor {
    return scan.cumprod(this, dim);
  }
  logcumsumexp(dim: number): Tensor {
    return scan.logcumsumexp(this, dim);
  }
  cummax(dim: number): scan.ValuesAndIndices {
    return scan.cummax(this, dim);
  }
  cummin(dim: number): scan.ValuesAndIndices {
    return scan.cummin(this, dim);
  }
  logaddexp(other: TensorLike): Tensor {
    return scan.logaddexp(this, other);
  }
  nansum(options?: tensorMath.NanReduceOptions): Tensor {
    return tensorMath.nansum(this, options);
  }
  nanmean(options?: tensorMath.NanReduceOptions): Tensor {
    return tensorMath.nanmean(this, options);
  }
  hypot(other: TensorLike): Tensor {
    return tensorMath.hypot(this, other);
  }
  xlogy(other: TensorLike): Tensor {
    return tensorMath.xlogy(this, other);
  }
  lerp(end: Tensor, weight: TensorLike): Tensor {
    return tensorMath.lerp(this, end, weight);
  }
  nanToNum(options?: tensorMath.NanToNumOptions): Tensor {
    return tensorMath.nanToNum(this, options);
  }
  isNaN(): Tensor {
    return tensorMath.isNaN(this);
  }
  isInf(): Tensor {
    return tensorMath.isInf(this);
  }
  isPosInf(): Tensor {
    return tensorMath.isPosInf(this);
  }
  isNegInf(): Tensor {
    return tensorMath.isNegInf(this);
  }
  tril(diagonal = 0): Tensor {
    return matrix.tril(this, diagonal);
  }
  triu(diagonal = 0): Tensor {
    return matrix.triu(this, diagonal);
  }
  diag(diagonal = 0): Tensor {
    return matrix.diag(this, diagonal);
  }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    return matrix.diagonal(this, offset, dim1, dim2);
  }
  diagEmbed(offset = 0, dim1 = -2, dim2 = -1): Tensor {
    return matrix.diagEmbed(this, offset, dim1, dim2);
  }
  trace(): Tensor {
    return matrix.trace(this);
  }
  outer(other: Tensor): Tensor {
    return matrix.outer(this, other);
  }
  kron(other: Tensor): Tensor {
    return matrix.kron(this, other);
  }
  roll(shifts: number | readonly number[], dims?: number | readonly number[]): Tensor {
    return matrix.roll(this, shifts, dims);
  }
  unbind(dim = 0): Tensor[] {
    return matrix.unbind(this, dim);
  }
  diff(options?: matrix.DiffOptions): Tensor {
    return matrix.diff(this, options);
  }
  cross(other: Tensor, dim = -1): Tensor {
    return matrix.cross(this, other, dim);
  }
}

Object.defineProperty(Tensor.prototype, 'isMyelinTensor', { value: true });

function toNested(values: TypedArray, shape: readonly number[], dtype: DType): NestedArray {
  const asValue = (v: number): number | boolean => (dtype === 'bool' ? v !== 0 : v);
  if (shape.length === 0) return asValue(values[0]!);
  let offset = 0;
  const build = (axis: number): NestedArray[] => {
    const out: NestedArray[] = [];
    for (let i = 0; i < shape[axis]!; i++) {
      out.push(axis === shape.length - 1 ? asValue(values[offset++]!) : build(axis + 1));
    }
    return out;
  };
  return build(0);
}
