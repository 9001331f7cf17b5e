/**
 * The Backend contract: the whole surface a Myelin backend implements.
 *
 * A backend is a set of FORWARD kernels over opaque handles. It knows nothing of autograd,
 * layers, losses or optimizers: every gradient rule lives in core and is written in terms of
 * these kernels, so it runs unchanged on every backend.
 *
 * Rules every backend follows:
 * - Every kernel is pure. It never mutates its inputs and returns a NEW handle that the
 *   caller owns (even when the result equals an input, e.g. a reshape to the same shape).
 *   The caller disposes each handle exactly once with `dispose`.
 * - Core validates shapes, dtypes, axes and attributes before calling a kernel; a kernel may
 *   assume its arguments are valid and already normalised (axes non-negative and sorted,
 *   permutations complete, slices in bounds). Core also computes the output shape and dtype
 *   itself and never asks a handle for them.
 * - Row-major (C-order) layout for all host data crossing the contract.
 * - A kernel that a backend cannot run for a dtype throws `UnsupportedOpError` (core/errors).
 * - Binary and `where` kernels broadcast NumPy-style: shapes are aligned on the right, and
 *   each pair of dimensions must be equal or one of them 1.
 *
 * The contract has a version number; a backend states the version it implements and core
 * refuses to register a backend built for another major version.
 */

/**
 * Version of this contract. Bump on any change a backend must follow.
 *
 * History: 1 = the first contract; 2 = `relu` joined the unary kernels (a required kernel, so a
 * backend built for 1 would fail at run time: registering it is refused instead); 3 = `unfold`
 * (im2col), the one windowed gather that convolution and pooling are built from; 4 = `erf` joined
 * the unary kernels (exact GELU is x (1 + erf(x / sqrt 2)) / 2: one kernel instead of a rational
 * approximation of ~25, and float64 exact); 5 = the fused `softmaxCrossEntropy` takes an
 * `ignoreIndex` (PyTorch's ignore_index, -100 by default): rows labelled with it add no loss and
 * no gradient and a 'mean' divides by the others, so padded targets train the same on backends
 * that never read labels on the host (before, only cpu and cpu-reference honoured the default);
 * 6 = `sort` along the last axis (values and int32 indices, stable, one order on every backend):
 * sort, argsort, topk, kthvalue, median and quantile cannot be composed efficiently from the rest;
 * and the math functions of torch joined the unary kernels: sin, cos, tan, asin, acos, atan, sinh,
 * cosh, asinh, acosh, atanh, log1p, expm1, floor, ceil, round (half to even) and trunc.
 */
export const BACKEND_CONTRACT_VERSION = 6;

/** Element types. `float64` is optional; cpu-reference runs it for finite differences. */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** Host storage for each dtype. bool is stored as 0/1 bytes. */
export interface DTypeArrayMap {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}
export type TypedArray = DTypeArrayMap[DType];

export type Shape = readonly number[];

/**
 * An opaque reference to storage owned by a backend. Core never looks inside; the brand
 * stops a plain object from being passed as one by accident.
 */
export interface BackendHandle {
  readonly __myelinHandle?: never;
}

/**
 * Elementwise unary kernels. `sign(0) = 0`; `log` of a negative number is NaN; `relu(x)` is
 * max(x, 0) with NaN staying NaN (as in PyTorch) and -0 giving 0 or -0; `erf` is the error
 * function (float32 within a few ulp, as libm's erff and CUDA's; erf(+-Infinity) = +-1).
 * The trigonometric, hyperbolic and inverse functions, `log1p` (log(1 + x)) and `expm1`
 * (exp(x) - 1) are C's: NaN outside the domain (asin(2), acosh(0.5), log1p(-2)), +-Infinity at
 * its poles (atanh(+-1), log1p(-1)). `floor`, `ceil`, `trunc` and `round` map floats to whole
 * floats; `round` breaks ties to even (round(2.5) = 2, round(-0.5) = -0), as torch.round.
 * They take floats only (core's floor, ceil, round and trunc of an int32 tensor copy it).
 */
export const UNARY_OPS = [
  'neg',
  'exp',
  'log',
  'sqrt',
  'abs',
  'sign',
  'sigmoid',
  'tanh',
  'relu',
  'erf',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'asinh',
  'acosh',
  'atanh',
  'log1p',
  'expm1',
  'floor',
  'ceil',
  'round',
  'trunc',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/** Broadcasting arithmetic kernels: output dtype equals the (common) input dtype. */
export const ARITHMETIC_OPS = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'] as const;
export type ArithmeticOp = (typeof ARITHMETIC_OPS)[number];

/** Broadcasting comparison kernels: output dtype is bool. */
export const COMPARISON_OPS = ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];

export type BinaryOp = ArithmeticOp | ComparisonOp;

/** Reductions over a set of axes. `sum` of an empty set is 0; `max` of an empty set is -Infinity. */
export const REDUCE_OPS = ['sum', 'max'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

/** Kernels that are not elementwise families: one name each. */
export const STRUCTURAL_OPS = [
  'cast',
  'where',
  'argmax',
  'sort',
  'reshape',
  'transpose',
  'broadcastTo',
  'slice',
  'pad',
  'concat',
  'gather',
  'scatterAdd',
  'unfold',
  'matmul',
] as const;
export type StructuralOp = (typeof STRUCTURAL_OPS)[number];

/** The closed list of primitive operations. Core's gradient table is typed over this union. */
export type PrimitiveOp = UnaryOp | BinaryOp | ReduceOp | StructuralOp;

export const PRIMITIVE_OPS: readonly PrimitiveOp[] = [
  ...UNARY_OPS,
  ...ARITHMETIC_OPS,
  ...COMPARISON_OPS,
  ...REDUCE_OPS,
  ...STRUCTURAL_OPS,
];

/**
 * The activations of the fused linear kernels: the four classic ones, exact GELU
 * (x Phi(x) = x (1 + erf(x / sqrt 2)) / 2), GELU's tanh approximation (PyTorch's
 * `approximate='tanh'`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))) and SiLU (x sigmoid(x)).
 * A backend runs only those it lists in `Backend.fusedActivations` (the classic four without one).
 */
export type FusedActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh' | 'gelu' | 'gelu_tanh' | 'silu';

/** The activations of the first contract, which every backend's fused linear kernels take. */
export type ClassicFusedActivation = 'linear' | 'relu' | 'sigmoid' | 'tanh';

/** The activations every backend's fused linear kernels take (those of the first contract). */
export const CLASSIC_FUSED_ACTIVATIONS: readonly ClassicFusedActivation[] = Object.freeze([
  'linear',
  'relu',
  'sigmoid',
  'tanh',
]);

/**
 * The activations whose derivative is not a function of their output: their backward needs the
 * pre-activation z, so training keeps it (`matmulBiasActivationWithPreactivation`) and
 * `biasActivationBackward` takes z in place of y for them.
 */
export const PREACTIVATION_ACTIVATIONS: readonly FusedActivation[] = Object.freeze(['gelu', 'gelu_tanh', 'silu']);

/**
 * Optional fused kernels. Core uses one when the backend has it and composes primitives
 * otherwise; the conformance suite checks both paths agree.
 *
 * Versioning: every member is optional, so adding one is backward compatible: a backend built
 * for an earlier list simply lacks it and core composes primitives there. Adding a member does
 * NOT bump BACKEND_CONTRACT_VERSION; changing the meaning of an existing one does.
 * (softmaxCrossEntropy, biasActivationBackward, adamUpdateMany and sgdUpdateMany joined in v3;
 * binaryCrossEntropy, then conv2d, conv2dBackward, maxPool2d and maxPool2dBackward, then batchNorm and
 * batchNormBackward, then accumulate, later in v3; softmax, softmaxBackward, layerNorm and
 * layerNormBackward in v4; lstmCell, lstmCellBackward, gruCell and gruCellBackward later in v4.)
 *
 * The activations 'gelu', 'gelu_tanh' and 'silu' joined FusedActivation in v4 without a bump, as
 * did `Backend.fusedActivations` and `matmulBiasActivationWithPreactivation`: the meaning of
 * every earlier activation is unchanged, and core passes a new one to `matmulBiasActivation` /
 * `biasActivationBackward` only on a backend that lists it in `fusedActivations`. A backend built
 * for the earlier list has no such list, so core gives it only the classic four and composes the
 * rest from primitives, exactly as before.
 */
export interface FusedKernels {
  /**
   * `activation(a @ b + bias)` for rank-3 `a` [B,M,K] (or [B,K,M] with transposeA) and
   * `b` [B,K,N] (or [B,N,K]); `bias` broadcasts against [B,M,N].
   */
  matmulBiasActivation?(
    a: BackendHandle,
    b: BackendHandle,
    bias: BackendHandle | null,
    activation: FusedActivation,
    transposeA: boolean,
    transposeB: boolean,
  ): BackendHandle;

  /**
   * `matmulBiasActivation` for training with an activation whose derivative needs its input
   * (one of PREACTIVATION_ACTIVATIONS): returns the activation's `output` and the
   * `preactivation` z = a @ b + bias it was computed from, both [B,M,N], which core keeps for
   * `biasActivationBackward`. Only called with activations the backend lists in
   * `fusedActivations`; without this kernel core composes those activations when it records.
   */
  matmulBiasActivationWithPreactivation?(
    a: BackendHandle,
    b: BackendHandle,
    bias: BackendHandle | null,
    activation: FusedActivation,
    transposeA: boolean,
    transposeB: boolean,
  ): { output: BackendHandle; preactivation: BackendHandle };

  /**
   * One Adam/AdamW step for one float parameter, all handles of the same shape and dtype:
   *   g = grad + weightDecay * param                  (when !decoupledWeightDecay)
   *   param = param * (1 - lr * weightDecay)          (when decoupledWeightDecay)
   *   m = beta1 * m + (1 - beta1) * g
   *   v = beta2 * v + (1 - beta2) * g^2
   *   param = param - lr * (m / (1 - beta1^step)) / (sqrt(v / (1 - beta2^step)) + eps)
   * Returns three NEW handles; the inputs are not modified (the caller swaps them in).
   */
  adamUpdate?(
    param: BackendHandle,
    grad: BackendHandle,
    m: BackendHandle,
    v: BackendHandle,
    options: AdamUpdateOptions,
  ): { param: BackendHandle; m: BackendHandle; v: BackendHandle };

  /**
   * Softmax cross-entropy of float `logits` [rows, classes] at int32 `labels` [rows], each in
   * 0..classes-1 or equal to `ignoreIndex` (core checks them where it can read them; a kernel
   * may throw on another label out of range). Per row: logsumexp(logits[r]) - logits[r,
   * labels[r]], and 0 for a row labelled `ignoreIndex` (PyTorch's ignore_index; core passes
   * -100 by default). `loss` is [rows] for 'none', their sum ('sum') or sum / kept ('mean', kept
   * = the rows not labelled `ignoreIndex`; NaN when none is) of shape [] otherwise. `grad` (null
   * unless withGrad) is [rows, classes]: softmax(logits) - onehot(labels) on kept rows and 0 on
   * ignored ones, divided by kept for 'mean' (all 0 when nothing is kept), i.e. the gradient of
   * the reduced loss ('none': of the sum of the per-row losses). Since contract 5.
   */
  softmaxCrossEntropy?(
    logits: BackendHandle,
    labels: BackendHandle,
    reduction: 'none' | 'sum' | 'mean',
    withGrad: boolean,
    ignoreIndex: number,
  ): { loss: BackendHandle; grad: BackendHandle | null };

  /**
   * Binary cross-entropy of float `probabilities` against a float `target` of the same shape and
   * dtype, elementwise: -(y clog(p) + (1 - y) clog(1 - p)) with clog(x) = max(log(x), -100) for
   * x > 0 and -100 otherwise (PyTorch's clamp, also for NaN). `loss` has the input's shape for
   * 'none', else it is the sum ('sum') or sum / size ('mean') of shape []. `grad` (null unless
   * withGrad) has the input's shape: the exact derivative of the clamped loss, per element
   * -y [p > 0 and log(p) > -100] / p + (1 - y) [1 - p > 0 and log(1 - p) > -100] / (1 - p),
   * divided by the size for 'mean' (the gradient of the reduced loss; 'none': of their sum).
   */
  binaryCrossEntropy?(
    probabilities: BackendHandle,
    target: BackendHandle,
    reduction: 'none' | 'sum' | 'mean',
    withGrad: boolean,
  ): { loss: BackendHandle; grad: BackendHandle | null };

  /**
   * 2-D convolution (cross-correlation, PyTorch's `F.conv2d`) of float x [N, C, H, W] with
   * weight [O, C/groups, kh, kw] and an optional bias [O] (same dtype), zero padding on both
   * sides: y [N, O, outH, outW], out = floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1.
   * Equal to unfold + matmul + bias.
   */
  conv2d?(
    x: BackendHandle,
    weight: BackendHandle,
    bias: BackendHandle | null,
    options: Conv2dKernelOptions,
  ): BackendHandle;

  /**
   * The gradients of `conv2d` for `grad` = dL/dy [N, O, outH, outW]: `input` = dL/dx (the
   * transposed convolution), `weight` = dL/dweight, `bias` = dL/dbias (the sum of grad over
   * N, outH and outW); each null unless asked for in `needs`. Returns NEW handles.
   */
  conv2dBackward?(
    grad: BackendHandle,
    x: BackendHandle,
    weight: BackendHandle,
    options: Conv2dKernelOptions,
    needs: { input: boolean; weight: boolean; bias: boolean },
  ): { input: BackendHandle | null; weight: BackendHandle | null; bias: BackendHandle | null };

  /**
   * Max pooling (PyTorch's `F.max_pool2d`, floor mode) of float x [N, C, H, W] with symmetric
   * padding (never picked: as -Infinity) of at most half the kernel: y [N, C, outH, outW], the
   * max over each window's taps inside the image (NaN if one is NaN).
   */
  maxPool2d?(x: BackendHandle, options: UnfoldOptions): BackendHandle;

  /**
   * The gradient of `maxPool2d` for `grad` = dL/dy, with its input `x` and output `y`: each
   * window's gradient goes to its taps equal to the max, shared equally among ties (core's
   * composed max rule; a NaN max gives NaN to the window's taps); overlapping windows add up.
   * Returns dL/dx, shaped as x.
   */
  maxPool2dBackward?(grad: BackendHandle, x: BackendHandle, y: BackendHandle, options: UnfoldOptions): BackendHandle;

  /**
   * Batch normalisation (PyTorch's `F.batch_norm`) of float x [N, C], [N, C, L] or [N, C, H, W]
   * per channel c: y = (x - mean[c]) * invStd[c] * weight[c] + bias[c], weight and bias [C] or
   * null (1 and 0). With `stats` null (training) mean and variance are the batch's, over every
   * axis but 1 (the biased variance); otherwise `stats` holds the [C] mean and variance to use
   * (the running statistics). invStd = 1 / sqrt(variance + eps). Returns NEW handles: y, and the
   * [C] mean, variance and invStd used (for the running statistics and the backward).
   */
  batchNorm?(
    x: BackendHandle,
    weight: BackendHandle | null,
    bias: BackendHandle | null,
    stats: { mean: BackendHandle; variance: BackendHandle } | null,
    eps: number,
  ): { output: BackendHandle; mean: BackendHandle; variance: BackendHandle; invStd: BackendHandle };

  /**
   * The gradients of `batchNorm` for `grad` = dL/dy, with its input x and the [C] mean and invStd
   * the forward used, over every axis but 1 (M values per channel), xhat = (x - mean) * invStd,
   * dxhat = grad * weight (weight null: grad): `weight` = sum(grad * xhat), `bias` = sum(grad),
   * `input` = invStd * (dxhat - sum(dxhat) / M - xhat * sum(dxhat * xhat) / M) when `training`
   * (the statistics were the batch's, so they depend on x), else dxhat * invStd. Each null unless
   * asked for in `needs`. Returns NEW handles.
   */
  batchNormBackward?(
    grad: BackendHandle,
    x: BackendHandle,
    weight: BackendHandle | null,
    mean: BackendHandle,
    invStd: BackendHandle,
    training: boolean,
    needs: { input: boolean; weight: boolean; bias: boolean },
  ): { input: BackendHandle | null; weight: BackendHandle | null; bias: BackendHandle | null };

  /**
   * The backward of y = activation(z + bias) for float `grad` (dL/dy) and `y`, both [rows, n]:
   * `input` = dL/dz = grad * activation'(y), written with y as core's rules are (relu: 0 where
   * y <= 0, else grad, so NaN passes; sigmoid: grad * (y * (1 - y)); tanh: grad * (1 - y * y);
   * linear: grad), and `bias` = the sum of `input` over its rows, [n].
   * For 'gelu', 'gelu_tanh' and 'silu' (PREACTIVATION_ACTIVATIONS) the second argument is the
   * pre-activation z instead, and the derivatives are PyTorch's: gelu'(z) = Phi(z) + z phi(z);
   * gelu_tanh'(z) = 0.5 (1 + t) + 0.5 z (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 z^2) with
   * t = tanh(sqrt(2/pi) (z + 0.044715 z^3)); silu'(z) = s (1 + z (1 - s)) with s = sigmoid(z).
   */
  biasActivationBackward?(
    grad: BackendHandle,
    y: BackendHandle,
    activation: FusedActivation,
  ): { input: BackendHandle; bias: BackendHandle };

  /**
   * `adamUpdate` for many parameters in one call (one optimizer step of one parameter group, one
   * `options` for all): entry i of each array belongs to parameter i. Returns NEW handles.
   */
  adamUpdateMany?(
    params: readonly BackendHandle[],
    grads: readonly BackendHandle[],
    ms: readonly BackendHandle[],
    vs: readonly BackendHandle[],
    options: AdamUpdateOptions,
  ): { params: BackendHandle[]; ms: BackendHandle[]; vs: BackendHandle[] };

  /**
   * One SGD step (torch.optim.SGD) for many float parameters, each with its gradient:
   *   d = grad + weightDecay * param
   *   buf = d (buffers[i] null: the first step), else momentum * buf + (1 - dampening) * d
   *   d = nesterov ? d + momentum * buf : buf            (only when momentum != 0)
   *   param = param - lr * d
   * Returns NEW handles: every parameter, and with momentum every buffer (null without).
   */
  sgdUpdateMany?(
    params: readonly BackendHandle[],
    grads: readonly BackendHandle[],
    buffers: readonly (BackendHandle | null)[],
    options: SgdUpdateOptions,
  ): { params: BackendHandle[]; buffers: (BackendHandle | null)[] };

  /**
   * One step of a running sum: `sum + cast(x) * scale` elementwise, for float `sum` (float32 or
   * float64) and `x` of the same shape (float32, float64 or int32), cast to sum's dtype first and
   * the product rounded to that dtype before the add: exactly core's composed cast, multiply and
   * add. `fit` and `evaluate` keep their loss and metric sums on the device with it, one launch
   * per sum and step instead of three. Returns a NEW handle.
   */
  accumulate?(sum: BackendHandle, x: BackendHandle, scale: number): BackendHandle;

  /**
   * Softmax over the last axis of float x (rank >= 1), per row: e = exp(x - max(x)), y = e /
   * sum(e); a row holding NaN, or whose max is not finite, gives NaN (as the composed max, sub,
   * exp, sum and div do: an attention query that sees no key). Returns a NEW handle shaped as x.
   */
  softmax?(x: BackendHandle): BackendHandle;

  /**
   * The gradient of `softmax` for `grad` = dL/dy and its output `y` (one shape and dtype): per
   * row of the last axis, dx = y * (grad - sum(grad * y)). Returns a NEW handle.
   */
  softmaxBackward?(grad: BackendHandle, y: BackendHandle): BackendHandle;

  /**
   * Layer normalisation over the last axis of float x [..., n] (PyTorch's `F.layer_norm` with
   * its normalized axes merged into one), per row: the mean and the biased variance, invStd =
   * 1 / sqrt(variance + eps) (eps inside the root), y = (x - mean) * invStd * weight + bias, with
   * weight and bias [n] or null (1 and 0). Returns NEW handles: y shaped as x, and the mean and
   * invStd used, [rows] (rows = x's size / n), for the backward.
   */
  layerNorm?(
    x: BackendHandle,
    weight: BackendHandle | null,
    bias: BackendHandle | null,
    eps: number,
  ): { output: BackendHandle; mean: BackendHandle; invStd: BackendHandle };

  /**
   * The gradients of `layerNorm` for `grad` = dL/dy, with its input x, weight (or null) and the
   * [rows] mean and invStd it returned; per row, xhat = (x - mean) * invStd and dxhat = grad *
   * weight (grad without one): `input` = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat *
   * xhat)), `weight` = the sum over rows of grad * xhat, `bias` = the sum over rows of grad, both
   * [n]. Each null unless asked for in `needs`. Returns NEW handles.
   */
  layerNormBackward?(
    grad: BackendHandle,
    x: BackendHandle,
    weight: BackendHandle | null,
    mean: BackendHandle,
    invStd: BackendHandle,
    needs: { input: boolean; weight: boolean; bias: boolean },
  ): { input: BackendHandle | null; weight: BackendHandle | null; bias: BackendHandle | null };

  /**
   * One LSTM step (PyTorch's LSTMCell after its matmuls) of float `gates` [B, 4H], the step's
   * pre-activations x W_ih^T + b_ih + h W_hh^T + b_hh in PyTorch's column blocks i, f, g, o, and
   * `state` [B, 2H] = [h | c] of the same dtype (only its c half is read): per element i =
   * sigmoid, f = sigmoid, g = tanh and o = sigmoid of their blocks, c' = f * c + i * g and
   * h' = o * tanh(c'), each product and sum rounded as the composed mul and add. Returns a NEW
   * handle [B, 2H] = [h' | c'].
   */
  lstmCell?(gates: BackendHandle, state: BackendHandle): BackendHandle;

  /**
   * The gradients of `lstmCell` for `grad` [B, 2H] = [dh' | dc'] with its `gates` and `state`
   * (activations recomputed from the gates): dc = dc' + dh' * o * (1 - tanh(c')^2); `gates`
   * [B, 4H] holds di * i (1 - i), df * f (1 - f), dg * (1 - g^2) and do * o (1 - o) with
   * di = dc * g, df = dc * c, dg = dc * i, do = dh' * tanh(c'); `state` [B, 2H] is zero in its
   * h half and dc * f in its c half. Returns NEW handles.
   */
  lstmCellBackward?(
    grad: BackendHandle,
    gates: BackendHandle,
    state: BackendHandle,
  ): { gates: BackendHandle; state: BackendHandle };

  /**
   * One GRU step (PyTorch's GRUCell after its matmuls) of float `gx` = x W_ih^T + b_ih and
   * `gh` = h W_hh^T + b_hh, both [B, 3H] in PyTorch's column blocks r, z, n, and `h` [B, H] of the
   * same dtype: r = sigmoid(gh_r + gx_r), z = sigmoid(gh_z + gx_z), n = tanh(gx_n + gh_n * r),
   * h' = (h - n) * z + n (ATen's order of operations, each rounded as the composed ops). Returns
   * a NEW handle [B, H].
   */
  gruCell?(gx: BackendHandle, gh: BackendHandle, h: BackendHandle): BackendHandle;

  /**
   * The gradients of `gruCell` for `grad` = dL/dh' [B, H] with its inputs (activations
   * recomputed): dn = grad * (1 - z) * (1 - n^2), dz = grad * (h - n) * z (1 - z), dr = dn * gh_n
   * * r (1 - r); `gx` [B, 3H] = [dr | dz | dn], `gh` [B, 3H] = [dr | dz | dn * r], `h` [B, H] =
   * grad * z. Returns NEW handles.
   */
  gruCellBackward?(
    grad: BackendHandle,
    gx: BackendHandle,
    gh: BackendHandle,
    h: BackendHandle,
  ): { gx: BackendHandle; gh: BackendHandle; h: BackendHandle };
}

/** The names of the optional fused kernels (the conformance meta-test checks each has cases). */
export const FUSED_KERNELS = [
  'matmulBiasActivation',
  'matmulBiasActivationWithPreactivation',
  'adamUpdate',
  'softmaxCrossEntropy',
  'biasActivationBackward',
  'adamUpdateMany',
  'sgdUpdateMany',
  'binaryCrossEntropy',
  'conv2d',
  'conv2dBackward',
  'maxPool2d',
  'maxPool2dBackward',
  'batchNorm',
  'batchNormBackward',
  'accumulate',
  'softmax',
  'softmaxBackward',
  'layerNorm',
  'layerNormBackward',
  'lstmCell',
  'lstmCellBackward',
  'gruCell',
  'gruCellBackward',
] as const satisfies readonly (keyof FusedKernels)[];
export type FusedKernelName = (typeof FUSED_KERNELS)[number];
// A member of FusedKernels missing from FUSED_KERNELS is a compile error here.
const _everyFusedKernelListed: Record<Exclude<keyof FusedKernels, FusedKernelName>, never> = {};
void _everyFusedKernelListed;

/** The window arguments of the fused convolution kernels (each pair: height, width). */
export interface Conv2dKernelOptions {
  stride: readonly [number, number];
  padding: readonly [number, number];
  dilation: readonly [number, number];
  groups: number;
}

export interface SgdUpdateOptions {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/**
 * The sliding windows of `unfold` over the two spatial axes of an NCHW tensor, each as
 * `[height, width]`: window size, step, zero padding added on both sides, and spacing of the
 * taps inside a window (PyTorch's `F.unfold` arguments).
 */
export interface UnfoldOptions {
  readonly kernelSize: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: readonly [number, number];
  readonly dilation: readonly [number, number];
}

export interface AdamUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  decoupledWeightDecay: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface Backend {
  /** Registry name, e.g. 'cpu-reference', 'tfjs-cpu', 'webgpu'. */
  readonly name: string;
  /** The BACKEND_CONTRACT_VERSION this backend implements. */
  readonly contractVersion: number;
  /** The dtypes this backend stores. Always includes float32, int32 and bool. */
  readonly dtypes: readonly DType[];
  /** Optional fused kernels; absent members fall back to composed primitives. */
  readonly fused?: FusedKernels;
  /**
   * The activations its `matmulBiasActivation` and `biasActivationBackward` take; absent, the
   * classic four (CLASSIC_FUSED_ACTIVATIONS). Core composes any other activation from primitives.
   */
  readonly fusedActivations?: readonly FusedActivation[];

  // ---- storage -------------------------------------------------------------------------
  /** Copy host values (row-major, `values.length` = product of `shape`) into a new handle. */
  fromData(values: TypedArray, shape: Shape, dtype: DType): BackendHandle;
  /** A new handle of `shape` with every element `value`. */
  fill(shape: Shape, value: number, dtype: DType): BackendHandle;
  /**
   * Read a handle back to the host. The returned array is the caller's to keep. The values are
   * those at the call: disposing the handle (or reusing its storage) before the promise settles
   * does not change them (`fit` keeps training while a loss read is in flight).
   */
  read(handle: BackendHandle): Promise<TypedArray>;
  /** Synchronous read, where the backend can do it without stalling a device (optional). */
  readSync?(handle: BackendHandle): TypedArray;
  /**
   * `readSync` into the caller's array (optional; same condition): `out` has the handle's
   * dtype's array type and exactly its element count. Code that reads the same tensors every
   * step (a gradient all-reduce) reuses one buffer instead of allocating each time.
   */
  readInto?(handle: BackendHandle, out: TypedArray): void;
  /** Release a handle's storage. Disposing twice is a no-op. */
  dispose(handle: BackendHandle): void;
  /** The number of handles created and not yet disposed (leak tests use it). */
  liveHandles(): number;

  // ---- elementwise ---------------------------------------------------------------------
  /** Elementwise `op(x)`; float dtypes only (`neg`, `abs`, `sign` also run on int32). */
  unary(op: UnaryOp, x: BackendHandle): BackendHandle;
  /** Convert to `dtype` (float -> int truncates toward zero; nonzero -> bool true). */
  cast(x: BackendHandle, dtype: DType): BackendHandle;
  /**
   * Broadcasting `op(a, b)`. Both inputs have the same dtype. Arithmetic ops return that
   * dtype (core sends `div` and `pow` float inputs only); comparison ops return bool.
   * `outShape` is the broadcast shape, computed by core.
   */
  binary(op: BinaryOp, a: BackendHandle, b: BackendHandle, outShape: Shape): BackendHandle;
  /** Broadcasting `condition ? a : b`; `condition` is bool, `a` and `b` share a dtype. */
  where(condition: BackendHandle, a: BackendHandle, b: BackendHandle, outShape: Shape): BackendHandle;

  // ---- reductions ----------------------------------------------------------------------
  /**
   * Reduce over `axes` (sorted, unique, non-negative). With `keepDims` the reduced axes stay
   * as size 1, otherwise they are removed. An empty `axes` returns a copy.
   */
  reduce(op: ReduceOp, x: BackendHandle, axes: readonly number[], keepDims: boolean): BackendHandle;
  /** Index (int32) of the first maximum along `axis`; the axis is removed. NaN counts as max. */
  argmax(x: BackendHandle, axis: number): BackendHandle;
  /**
   * Sort along the LAST axis (core moves another axis last): `[values, indices]`, values of x's
   * dtype (float32, float64 or int32) and int32 indices into the axis, both of x's shape. The
   * order is one total order so that every backend agrees bit for bit: NaN is larger than
   * +Infinity, -0 equals +0, and the sort is STABLE in both directions (equal keys keep ascending
   * index order, as torch.sort(stable=True)); `descending` reverses the key order only. An empty
   * or length-1 axis works.
   */
  sort(x: BackendHandle, descending: boolean): [BackendHandle, BackendHandle];

  // ---- movement ------------------------------------------------------------------------
  /** Same elements in row-major order, new shape (same element count). */
  reshape(x: BackendHandle, shape: Shape): BackendHandle;
  /** Permute axes: output axis i is input axis `perm[i]`. Result is a contiguous copy. */
  transpose(x: BackendHandle, perm: readonly number[]): BackendHandle;
  /** Broadcast to `shape` (same rank as x; each x dim equals the target or is 1). */
  broadcastTo(x: BackendHandle, shape: Shape): BackendHandle;
  /** The box starting at `begin` with extent `size` (both full rank, in bounds). */
  slice(x: BackendHandle, begin: readonly number[], size: readonly number[]): BackendHandle;
  /** Pad each axis with `paddings[i] = [before, after]` elements of `value`. */
  pad(x: BackendHandle, paddings: readonly (readonly [number, number])[], value: number): BackendHandle;
  /** Join along `axis`; all inputs share dtype and every other dimension. */
  concat(xs: readonly BackendHandle[], axis: number): BackendHandle;
  /**
   * Select along `axis` by `indices` (int32, any shape, values in range): the output shape is
   * x.shape[:axis] + indices.shape + x.shape[axis+1:].
   */
  gather(x: BackendHandle, indices: BackendHandle, axis: number): BackendHandle;
  /**
   * The adjoint of `gather`: a zero tensor whose `axis` has `dimSize` entries, with each
   * slice of `updates` added at its index (repeated indices accumulate). `updates` has the
   * shape `gather` would produce.
   */
  scatterAdd(updates: BackendHandle, indices: BackendHandle, axis: number, dimSize: number): BackendHandle;
  /**
   * im2col, as PyTorch's `F.unfold`: x [N, C, H, W] (float) -> [N, C*kh*kw, outH*outW] where
   * out[n, (c*kh + i)*kw + j, oh*outW + ow] = x[n, c, oh*sh - ph + i*dh, ow*sw - pw + j*dw], and 0
   * where that position falls in the padding. outH = floor((H + 2ph - dh*(kh-1) - 1) / sh) + 1
   * (outW alike), at least 1 (core checks). Its gradient is a scatterAdd (core composes it), so a
   * backend implements this one kernel for convolution and pooling.
   */
  unfold(x: BackendHandle, options: UnfoldOptions): BackendHandle;

  // ---- linear algebra ------------------------------------------------------------------
  /**
   * Batched matrix product of rank-3 float handles with equal batch size:
   * a [B,M,K] (or [B,K,M] with transposeA), b [B,K,N] (or [B,N,K] with transposeB) -> [B,M,N].
   */
  matmul(a: BackendHandle, b: BackendHandle, transposeA: boolean, transposeB: boolean): BackendHandle;
}
