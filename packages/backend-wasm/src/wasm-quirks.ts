// Where tfjs-backend-wasm 4.22 departs from tfjs-cpu, found by the conformance suite, and the
// exact compositions used instead. Every fix is built from contract kernels of the base class,
// so handles stay tracked and no intermediate leaks.
//  1. SelectV2 (tf.where) copies 4 bytes per element whatever the dtype: on bool operands it
//     writes past the output and corrupts the wasm heap (later kernels abort or read garbage).
//     bool `where` runs in int32 instead; argmax (whose tfjs mapping selects between bool
//     masks) is rebuilt from int32 selections.
//  2. Cast to bool truncates instead of testing `!= 0` (0.25 -> false) and stores the raw value
//     (5 stays 5): cast to bool is `x != 0`.
//  3. _FusedMatMul with transposeA or transposeB adds the bias to the wrong elements (every row
//     after the first); only a rank-1 bias is accepted at all.
//  4. Matmul with a transpose flag leaves XNNPACK for a scalar loop, 10-30x slower: the operand
//     is transposed first (a cheap copy) and the product runs untransposed. This fixes 3 too.
//  5. Slice copies its whole input out of the wasm heap into JS before cutting (slicing a batch
//     from a device-resident dataset copies the dataset every step): a slice much smaller than
//     its input selects rows with gather (a native kernel) first.
// Two more, in the fused convolution kernels, are mapped in backend-tfjs (src/conv.ts), since
// they live inside its tfjs calls: Conv2D/FusedConv2D are wrong for non-square filters (3x4:
// wrong values; 4x3: out-of-bounds writes), and there is no Conv2DBackpropFilter kernel at all.
import { TfjsBackend, type Tf, type TfjsBackendOptions } from '@myelin/backend-tfjs';
import type { BackendHandle, DType, FusedKernels, Shape } from '@myelin/core/backend';

interface TensorView {
  readonly dtype: string;
  readonly shape: readonly number[];
}
const view = (h: BackendHandle): TensorView => h as unknown as TensorView;

/** Inputs below this many elements are cheap to copy: Slice stays Slice. */
const GATHER_SLICE_MIN_INPUT = 1 << 16;

/** A TfjsBackend whose kernels avoid the wasm quirks listed above. */
export class WasmSafeTfjsBackend extends TfjsBackend {
  constructor(tf: Tf, options: TfjsBackendOptions) {
    super(tf, options);
    const inherited = this.fused.matmulBiasActivation;
    if (inherited) {
      const fused: FusedKernels = {
        ...this.fused,
        matmulBiasActivation: (a, b, bias, activation, transposeA, transposeB) =>
          this.untransposed(a, b, transposeA, transposeB, (x, y) =>
            inherited.call(this.fused, x, y, bias, activation, false, false),
          ),
      };
      (this as { fused: FusedKernels }).fused = fused;
    }
  }

  override slice(x: BackendHandle, begin: readonly number[], size: readonly number[]): BackendHandle {
    const shape = view(x).shape;
    const inputSize = shape.reduce((a, b) => a * b, 1);
    const outputSize = size.reduce((a, b) => a * b, 1);
    if (
      shape.length === 0 ||
      inputSize < GATHER_SLICE_MIN_INPUT ||
      outputSize * 4 > inputSize ||
      size[0] === shape[0]
    ) {
      return super.slice(x, begin, size);
    }
    return this.scratch((tmp) => {
      const rows = tmp(
        super.fromData(
          Int32Array.from({ length: size[0]! }, (_, i) => begin[0]! + i),
          [size[0]!],
          'int32',
        ),
      );
      const picked = super.gather(x, rows, 0);
      const rest = shape.slice(1);
      if (rest.every((d, i) => begin[i + 1] === 0 && size[i + 1] === d)) return picked;
      tmp(picked);
      return super.slice(picked, [0, ...begin.slice(1)], size);
    });
  }

  override matmul(a: BackendHandle, b: BackendHandle, transposeA: boolean, transposeB: boolean): BackendHandle {
    return this.untransposed(a, b, transposeA, transposeB, (x, y) => super.matmul(x, y, false, false));
  }

  /** Calls `product` on contiguous copies of the operands whose transpose flag is set. */
  private untransposed(
    a: BackendHandle,
    b: BackendHandle,
    transposeA: boolean,
    transposeB: boolean,
    product: (a: BackendHandle, b: BackendHandle) => BackendHandle,
  ): BackendHandle {
    if (!transposeA && !transposeB) return product(a, b);
    return this.scratch((tmp) =>
      product(transposeA ? tmp(this.transpose(a, [0, 2, 1])) : a, transposeB ? tmp(this.transpose(b, [0, 2, 1])) : b),
    );
  }

  /** Runs `fn` with a scratch list; every handle pushed on it is disposed afterwards. */
  private scratch<T>(fn: (keep: (h: BackendHandle) => BackendHandle) => T): T {
    const temporaries: BackendHandle[] = [];
    try {
      return fn((h) => {
        temporaries.push(h);
        return h;
      });
    } finally {
      for (const h of temporaries) this.dispose(h);
    }
  }

  override cast(x: BackendHandle, dtype: DType): BackendHandle {
    const from = view(x).dtype;
    if (dtype !== 'bool' || from === 'bool') return super.cast(x, dtype);
    return this.scratch((tmp) => {
      const zero = tmp(super.fill([], 0, from as DType));
      return super.binary('notEqual', x, zero, view(x).shape);
    });
  }

  override where(condition: BackendHandle, a: BackendHandle, b: BackendHandle, outShape: Shape): BackendHandle {
    if (view(a).dtype !== 'bool') return super.where(condition, a, b, outShape);
    return this.scratch((tmp) => {
      const picked = tmp(super.where(condition, tmp(super.cast(a, 'int32')), tmp(super.cast(b, 'int32')), outShape));
      return this.cast(picked, 'bool');
    });
  }

  /** The first index of the maximum along `axis` (NaN counts as the maximum), in int32 selections. */
  override argmax(x: BackendHandle, axis: number): BackendHandle {
    const { shape, dtype } = view(x);
    const n = shape[axis] ?? 0;
    const outShape = shape.filter((_, i) => i !== axis);
    if (n === 0 || outShape.some((d) => d === 0)) return super.argmax(x, axis);
    return this.scratch((tmp) => {
      const values = dtype === 'bool' ? tmp(super.cast(x, 'int32')) : x;
      const max = tmp(super.reduce('max', values, [axis], true));
      let hit = tmp(super.cast(tmp(super.binary('equal', values, max, shape)), 'int32'));
      if (dtype === 'float32') {
        const isNan = tmp(super.cast(tmp(super.binary('notEqual', values, values, shape)), 'int32'));
        const anyNan = tmp(super.reduce('max', isNan, [axis], true));
        const anyNanMask = tmp(this.cast(anyNan, 'bool'));
        hit = tmp(super.where(anyNanMask, isNan, hit, shape));
      }
      const iota = tmp(
        super.fromData(
          Int32Array.from({ length: n }, (_, i) => i),
          shape.map((d, i) => (i === axis ? d : 1)),
          'int32',
        ),
      );
      const past = tmp(super.fill([], n, 'int32'));
      const hitMask = tmp(this.cast(hit, 'bool'));
      const candidates = tmp(super.where(hitMask, iota, past, shape));
      // min = -max(-x): the contract's reductions are sum and max.
      const negated = tmp(super.unary('neg', candidates));
      const best = tmp(super.reduce('max', negated, [axis], false));
      return super.unary('neg', best);
    });
  }
}
