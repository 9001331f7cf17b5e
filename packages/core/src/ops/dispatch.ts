import type { BackendHandle, BinaryOp, DType, PrimitiveOp, Shape, UnaryOp } from '../backend/contract.js';
import { BackendMismatchError, DTypeError } from '../errors.js';
import { isFloat } from '../backend/dtypes.js';
import { isGradEnabled } from '../autograd/grad-mode.js';
import type { AttributesOf } from '../autograd/node.js';
import { Tensor, type TensorLike } from '../tensor/tensor.js';

/**
 * Runs one primitive kernel and records it on the tape when any input requires gradients.
 * Every public op goes through here (or through runUnary/runBinary/runWhere, the same steps
 * without a kernel closure for the most frequent ops), so recording, backend checks and
 * ownership are in one place.
 */
export function runPrimitive<P extends PrimitiveOp>(
  op: P,
  inputs: readonly Tensor[],
  attrs: AttributesOf<P>,
  outShape: Shape,
  outDtype: DType,
  kernel: (...handles: BackendHandle[]) => BackendHandle,
): Tensor {
  const n = inputs.length;
  const first = inputs[0]!;
  const backend = first.backend;
  let requiresGrad = first.requiresGrad;
  for (let i = 1; i < n; i++) {
    const input = inputs[i]!;
    if (input.backend !== backend) {
      throw new BackendMismatchError(
        `${op}: inputs live on different backends ('${backend.name}' and '${input.backend.name}'); move one with tensor.to(backend)`,
      );
    }
    if (input.requiresGrad) requiresGrad = true;
  }
  // No spread or array of handles for the usual arities: this runs for every op.
  const handle =
    n === 1
      ? kernel(first.handle)
      : n === 2
        ? kernel(first.handle, inputs[1]!.handle)
        : n === 3
          ? kernel(first.handle, inputs[1]!.handle, inputs[2]!.handle)
          : kernel(...inputs.map((t) => t.handle));
  const output = new Tensor(handle, outShape, outDtype, backend);
  if (requiresGrad && isGradEnabled() && isFloat(outDtype)) {
    output.requiresGrad = true;
    const inputVersions = new Array<number>(n);
    for (let i = 0; i < n; i++) inputVersions[i] = inputs[i]!.version;
    output.gradNode = { op, inputs, attrs, inputVersions };
  }
  return output;
}

/** The attributes of ops that have none: one shared object, not one per op. */
const NO_ATTRS = Object.freeze({}) as Record<string, never>;

function mismatch(op: string, a: Tensor, b: Tensor): BackendMismatchError {
  return new BackendMismatchError(
    `${op}: inputs live on different backends ('${a.backend.name}' and '${b.backend.name}'); move one with tensor.to(backend)`,
  );
}

/** Records `output` on the tape (the caller checked that it should be). */
function record(output: Tensor, op: PrimitiveOp, inputs: Tensor[], attrs: object = NO_ATTRS): Tensor {
  output.requiresGrad = true;
  const inputVersions = new Array<number>(inputs.length);
  for (let i = 0; i < inputs.length; i++) inputVersions[i] = inputs[i]!.version;
  output.gradNode = { op, inputs, attrs: attrs as Record<string, never>, inputVersions };
  return output;
}

/** runPrimitive for a unary kernel (output shape and dtype are the input's). */
/** Throws a DTypeError naming `op` unless `x` is float32 or float64 (float-only kernels and composites). */
export function requireFloatInput(op: string, x: Tensor): void {
  if (!isFloat(x.dtype))
    throw new DTypeError(`${op}: expected a float tensor, got dtype ${x.dtype} (cast it with .cast('float32'))`);
}

export function runUnary(op: UnaryOp, x: Tensor): Tensor {
  const output = new Tensor(x.backend.unary(op, x.handle), x.shape, x.dtype, x.backend);
  return x.requiresGrad && isGradEnabled() && isFloat(x.dtype) ? record(output, op, [x]) : output;
}

/** runPrimitive for a broadcasting binary kernel. */
export function runBinary(op: BinaryOp, a: Tensor, b: Tensor, outShape: Shape, outDtype: DType): Tensor {
  const backend = a.backend;
  if (b.backend !== backend) throw mismatch(op, a, b);
  const output = new Tensor(backend.binary(op, a.handle, b.handle, outShape), outShape, outDtype, backend);
  return (a.requiresGrad || b.requiresGrad) && isGradEnabled() && isFloat(outDtype)
    ? record(output, op, [a, b])
    : output;
}

/** runPrimitive for `reshape` to an already resolved (frozen) shape. */
export function runReshape(x: Tensor, shape: Shape): Tensor {
  const output = new Tensor(x.backend.reshape(x.handle, shape), shape, x.dtype, x.backend);
  return x.requiresGrad && isGradEnabled() && isFloat(x.dtype)
    ? record(output, 'reshape', [x], { shape: shape as number[] })
    : output;
}

/** runPrimitive for `where`. */
export function runWhere(condition: Tensor, a: Tensor, b: Tensor, outShape: Shape): Tensor {
  const backend = condition.backend;
  if (a.backend !== backend) throw mismatch('where', condition, a);
  if (b.backend !== backend) throw mismatch('where', condition, b);
  const output = new Tensor(backend.where(condition.handle, a.handle, b.handle, outShape), outShape, a.dtype, backend);
  return (condition.requiresGrad || a.requiresGrad || b.requiresGrad) && isGradEnabled() && isFloat(a.dtype)
    ? record(output, 'where', [condition, a, b])
    : output;
}

export { isFloat };

const PROMOTION_ORDER: readonly DType[] = ['bool', 'int32', 'float32', 'float64'];

/** NumPy-like promotion for mixed dtypes: bool < int32 < float32 < float64. */
export function promoteTypes(a: DType, b: DType): DType {
  return PROMOTION_ORDER.indexOf(a) >= PROMOTION_ORDER.indexOf(b) ? a : b;
}

/** A scalar constant on `like`'s backend; owned by nothing (callers attach it to an output). */
export function scalarLike(value: number, like: Tensor, dtype: DType = like.dtype): Tensor {
  return new Tensor(like.backend.fill(SCALAR_SHAPE, value, dtype), SCALAR_SHAPE, dtype, like.backend);
}

const SCALAR_SHAPE: Shape = Object.freeze([]);
const NO_CONSTANTS: readonly Tensor[] = Object.freeze([]);

/**
 * Turns the operands of a binary op into two tensors of one dtype on one backend. Numbers
 * become scalars of the tensor's dtype (a float scalar with an int tensor makes both float).
 * Returns the constants it created, which the caller attaches to the op's output.
 */
export function coerceOperands(
  op: string,
  a: TensorLike,
  b: TensorLike,
  minimumDtype?: DType,
): { a: Tensor; b: Tensor; created: readonly Tensor[] } {
  // Two tensors of one dtype (most ops): nothing to convert, nothing to allocate.
  if (
    typeof a !== 'number' &&
    typeof b !== 'number' &&
    a.dtype === b.dtype &&
    (minimumDtype === undefined || promoteTypes(a.dtype, minimumDtype) === a.dtype)
  ) {
    return { a, b, created: NO_CONSTANTS };
  }
  const created: Tensor[] = [];
  if (typeof a === 'number' && typeof b === 'number') {
    throw new DTypeError(`${op}: at least one operand must be a tensor`);
  }
  const reference = (typeof a === 'number' ? b : a) as Tensor;
  let dtype = reference.dtype;
  const other = typeof a === 'number' ? a : b;
  if (typeof other === 'number') {
    if (!Number.isInteger(other) && !isFloat(dtype)) dtype = 'float32';
  } else {
    dtype = promoteTypes(dtype, other.dtype);
  }
  if (minimumDtype) dtype = promoteTypes(dtype, minimumDtype);
  return { a: toOperand(a, reference, dtype, created), b: toOperand(b, reference, dtype, created), created };
}

/** A number as a scalar of `dtype` beside `reference`, or a tensor cast to `dtype`; what it makes goes into `created`. */
function toOperand(operand: TensorLike, reference: Tensor, dtype: DType, created: Tensor[]): Tensor {
  if (typeof operand === 'number') {
    const constant = scalarLike(operand, reference, dtype);
    created.push(constant);
    return constant;
  }
  if (operand.dtype === dtype) return operand;
  const converted = operand.cast(dtype);
  created.push(converted);
  return converted;
}

/**
 * Temporary operands (scalars, casts) live exactly as long as the output's graph node needs
 * them: adopted by the output when it is on the tape, freed at once otherwise.
 */
export function adoptAll(output: Tensor, created: readonly Tensor[]): Tensor {
  for (const constant of created) {
    if (output.gradNode !== null) output.adoptConstant(constant);
    else constant.dispose();
  }
  return output;
}
