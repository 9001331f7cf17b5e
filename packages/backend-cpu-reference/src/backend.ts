import {
  type Backend,
  BACKEND_CONTRACT_VERSION,
  type BackendHandle,
  BackendMismatchError,
  type DType,
  DisposedTensorError,
  formatShape,
  ShapeError,
  type Shape,
  type TypedArray,
} from '@myelin/core/backend';
import { allocate, CpuHandle, type HostTensor } from './handle.js';
import { sizeOf } from '@myelin/core/backend';
import { binary, where } from './kernels/binary.js';
import { gather, scatterAdd } from './kernels/gather.js';
import { unfold } from './kernels/unfold.js';
import { adamUpdate } from './kernels/adam.js';
import {
  accumulate,
  binaryCrossEntropy,
  biasActivationBackward,
  sgdUpdate,
  softmaxCrossEntropy,
} from './kernels/fused.js';
import { conv2d, conv2dBackward, maxPool2d, maxPool2dBackward } from './kernels/conv.js';
import { batchNorm, batchNormBackward } from './kernels/normalization.js';
import { matmul } from './kernels/matmul.js';
import { broadcastTo, concat, pad, slice, transpose } from './kernels/movement.js';
import { argmax, reduce } from './kernels/reduce.js';
import { sort } from './kernels/sort.js';
import { cast, unary } from './kernels/unary.js';
import { CPU_REFERENCE_BACKEND_NAME } from './name.js';

const DTYPES: readonly DType[] = Object.freeze(['float32', 'float64', 'int32', 'bool']);

/** A shape the handle can keep: a frozen one (core passes its tensors' shapes) is shared, any other copied. */
const ownShape = (shape: Shape): Shape => (Object.isFrozen(shape) ? shape : shape.slice());

/** What a disposed handle holds: one shared empty array per dtype (a dispose allocates nothing). */
const EMPTY: { readonly [D in DType]: TypedArray } = {
  float32: allocate('float32', 0),
  float64: allocate('float64', 0),
  int32: allocate('int32', 0),
  bool: allocate('bool', 0),
};

/** A new cpu-reference backend with its own count of live handles. */
export function createCpuReferenceBackend(): Backend {
  const owner = {};
  let live = 0;

  const own = (result: HostTensor): CpuHandle => {
    live++;
    return new CpuHandle(result.data, result.shape, result.dtype, owner);
  };
  const open = (handle: BackendHandle): CpuHandle => {
    if (!(handle instanceof CpuHandle) || handle.owner !== owner) {
      throw new BackendMismatchError(`backend '${CPU_REFERENCE_BACKEND_NAME}' was given a handle it did not create`);
    }
    if (handle.disposed)
      throw new DisposedTensorError(`backend '${CPU_REFERENCE_BACKEND_NAME}': handle used after dispose`);
    return handle;
  };

  return {
    name: CPU_REFERENCE_BACKEND_NAME,
    contractVersion: BACKEND_CONTRACT_VERSION,
    dtypes: DTYPES,

    fromData(values: TypedArray, shape: Shape, dtype: DType) {
      const size = sizeOf(shape);
      if (values.length !== size) {
        throw new ShapeError(`fromData got ${values.length} values for shape ${formatShape(shape)}: expected ${size}`);
      }
      const data = allocate(dtype, size);
      if (dtype === 'bool') for (let i = 0; i < size; i++) data[i] = values[i] !== 0 ? 1 : 0;
      else data.set(values);
      return own({ data, shape: ownShape(shape), dtype });
    },
    fill(shape: Shape, value: number, dtype: DType) {
      const data = allocate(dtype, sizeOf(shape));
      data.fill(dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
      return own({ data, shape: ownShape(shape), dtype });
    },
    read(handle: BackendHandle) {
      // Resolve with a copy taken now, so a later dispose cannot affect it.
      return Promise.resolve(open(handle).data.slice());
    },
    readSync(handle: BackendHandle) {
      return open(handle).data.slice();
    },
    dispose(handle: BackendHandle) {
      if (!(handle instanceof CpuHandle) || handle.owner !== owner || handle.disposed) return;
      handle.disposed = true;
      // Drop the reference so the storage can be collected even if core keeps the handle.
      handle.data = EMPTY[handle.dtype];
      live--;
    },
    liveHandles: () => live,

    unary: (op, x) => own(unary(op, open(x))),
    cast: (x, dtype) => own(cast(open(x), dtype)),
    binary: (op, a, b, outShape) => own(binary(op, open(a), open(b), ownShape(outShape))),
    where: (condition, a, b, outShape) => own(where(open(condition), open(a), open(b), ownShape(outShape))),

    reduce: (op, x, axes, keepDims) => own(reduce(op, open(x), axes, keepDims)),
    argmax: (x, axis) => own(argmax(open(x), axis)),
    sort(x, descending) {
      const [values, indices] = sort(open(x), descending);
      return [own(values), own(indices)];
    },

    reshape(x: BackendHandle, shape: Shape) {
      // Shares the input's array: kernels never write into an input, so sharing is safe, and
      // each handle still counts (and is disposed) on its own; the array lives while either does.
      const input = open(x);
      return own({ data: input.data, shape: ownShape(shape), dtype: input.dtype });
    },
    transpose: (x, perm) => own(transpose(open(x), perm)),
    broadcastTo: (x, shape) => own(broadcastTo(open(x), ownShape(shape))),
    slice: (x, begin, size) => own(slice(open(x), begin, [...size])),
    pad: (x, paddings, value) => own(pad(open(x), paddings, value)),
    concat: (xs, axis) => own(concat(xs.map(open), axis)),
    gather: (x, indices, axis) => own(gather(open(x), open(indices), axis)),
    scatterAdd: (updates, indices, axis, dimSize) => own(scatterAdd(open(updates), open(indices), axis, dimSize)),
    unfold: (x, options) => own(unfold(open(x), options)),

    matmul: (a, b, transposeA, transposeB) => own(matmul(open(a), open(b), transposeA, transposeB)),

    fused: {
      adamUpdate(param, grad, m, v, options) {
        const result = adamUpdate(open(param), open(grad), open(m), open(v), options);
        return { param: own(result.param), m: own(result.m), v: own(result.v) };
      },
      adamUpdateMany(params, grads, ms, vs, options) {
        // Opened (and so checked) before any result is made: a bad handle leaks nothing.
        const inputs = params.map((p, i) => [open(p), open(grads[i]!), open(ms[i]!), open(vs[i]!)] as const);
        const results = inputs.map(([p, g, m, v]) => adamUpdate(p, g, m, v, options));
        return {
          params: results.map((r) => own(r.param)),
          ms: results.map((r) => own(r.m)),
          vs: results.map((r) => own(r.v)),
        };
      },
      sgdUpdateMany(params, grads, buffers, options) {
        const inputs = params.map((p, i) => {
          const buffer = buffers[i];
          return [open(p), open(grads[i]!), buffer ? open(buffer) : null] as const;
        });
        const results = inputs.map(([p, g, b]) => sgdUpdate(p, g, b, options));
        return {
          params: results.map((r) => own(r.param)),
          buffers: results.map((r) => (r.buffer === null ? null : own(r.buffer))),
        };
      },
      softmaxCrossEntropy(logits, labels, reduction, withGrad, ignoreIndex) {
        const result = softmaxCrossEntropy(open(logits), open(labels), reduction, withGrad, ignoreIndex);
        return { loss: own(result.loss), grad: result.grad === null ? null : own(result.grad) };
      },
      binaryCrossEntropy(probabilities, target, reduction, withGrad) {
        const result = binaryCrossEntropy(open(probabilities), open(target), reduction, withGrad);
        return { loss: own(result.loss), grad: result.grad === null ? null : own(result.grad) };
      },
      conv2d(x, weight, bias, options) {
        return own(conv2d(open(x), open(weight), bias === null ? null : open(bias), options));
      },
      conv2dBackward(grad, x, weight, options, needs) {
        const result = conv2dBackward(open(grad), open(x), open(weight), options, needs);
        const wrap = (t: typeof result.input) => (t === null ? null : own(t));
        return { input: wrap(result.input), weight: wrap(result.weight), bias: wrap(result.bias) };
      },
      accumulate: (sum, x, scale) => own(accumulate(open(sum), open(x), scale)),
      maxPool2d: (x, options) => own(maxPool2d(open(x), options)),
      maxPool2dBackward: (grad, x, y, options) => own(maxPool2dBackward(open(grad), open(x), open(y), options)),
      batchNorm(x, weight, bias, stats, eps) {
        const opened = stats === null ? null : { mean: open(stats.mean), variance: open(stats.variance) };
        const result = batchNorm(
          open(x),
          weight === null ? null : open(weight),
          bias === null ? null : open(bias),
          opened,
          eps,
        );
        return {
          output: own(result.output),
          mean: own(result.mean),
          variance: own(result.variance),
          invStd: own(result.invStd),
        };
      },
      batchNormBackward(grad, x, weight, mean, invStd, training, needs) {
        const result = batchNormBackward(
          open(grad),
          open(x),
          weight === null ? null : open(weight),
          open(mean),
          open(invStd),
          training,
          needs,
        );
        const wrap = (t: typeof result.input) => (t === null ? null : own(t));
        return { input: wrap(result.input), weight: wrap(result.weight), bias: wrap(result.bias) };
      },
      biasActivationBackward(grad, y, activation) {
        const result = biasActivationBackward(open(grad), open(y), activation);
        return { input: own(result.input), bias: own(result.bias) };
      },
    },
  };
}
