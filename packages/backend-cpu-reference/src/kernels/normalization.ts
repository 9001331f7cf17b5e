import { ArgumentError, ShapeError } from '@myelin/core/backend';
import { allocate, type HostTensor } from '../handle.js';
import { unsupported } from '../name.js';

/**
 * The fused batch normalisation kernels of the contract (batchNorm, batchNormBackward) as plain
 * loops: statistics and sums in double, each value rounded once to the storage type.
 */

interface Layout {
  /** Channels, values per channel per sample (the spatial size), samples. */
  c: number;
  inner: number;
  n: number;
}

function layout(op: string, x: HostTensor): Layout {
  if (x.dtype !== 'float32' && x.dtype !== 'float64') throw unsupported(op, x.dtype);
  if (x.shape.length < 2 || x.shape.length > 4)
    throw new ShapeError(`${op}: expected [N, C], [N, C, L] or [N, C, H, W], got [${x.shape.join(', ')}]`);
  const [n, c] = x.shape as [number, number];
  const inner = x.shape.slice(2).reduce((a, b) => a * b, 1);
  return { c, inner, n };
}

function perChannel(op: string, name: string, t: HostTensor | null, x: HostTensor, c: number): void {
  if (t === null) return;
  if (t.dtype !== x.dtype) throw new ArgumentError(`${op}: ${name} dtype ${t.dtype} differs from ${x.dtype}`);
  if (t.shape.length !== 1 || t.shape[0] !== c)
    throw new ShapeError(`${op}: ${name} must be [${c}], got [${t.shape.join(', ')}]`);
}

/** Calls visit(index) for every value of channel `ch`, sample by sample. */
function eachOfChannel({ c, inner, n }: Layout, ch: number, visit: (index: number) => void): void {
  for (let b = 0; b < n; b++) {
    const start = (b * c + ch) * inner;
    for (let i = start; i < start + inner; i++) visit(i);
  }
}

function channelVector(dtype: HostTensor['dtype'], values: ArrayLike<number>): HostTensor {
  const data = allocate(dtype, values.length);
  for (let i = 0; i < values.length; i++) data[i] = values[i]!;
  return { data, shape: [values.length], dtype };
}

export function batchNorm(
  x: HostTensor,
  weight: HostTensor | null,
  bias: HostTensor | null,
  stats: { mean: HostTensor; variance: HostTensor } | null,
  eps: number,
): { output: HostTensor; mean: HostTensor; variance: HostTensor; invStd: HostTensor } {
  const shape = layout('batchNorm', x);
  const { c, inner, n } = shape;
  perChannel('batchNorm', 'weight', weight, x, c);
  perChannel('batchNorm', 'bias', bias, x, c);
  perChannel('batchNorm', 'mean', stats?.mean ?? null, x, c);
  perChannel('batchNorm', 'variance', stats?.variance ?? null, x, c);
  const count = n * inner;
  if (stats === null && count < 1) throw new ShapeError(`batchNorm: no values per channel in [${x.shape.join(', ')}]`);
  const means = new Float64Array(c);
  const variances = new Float64Array(c);
  const invStds = new Float64Array(c);
  const out = allocate(x.dtype, x.data.length);
  for (let ch = 0; ch < c; ch++) {
    let m: number;
    let v: number;
    if (stats === null) {
      let sum = 0;
      eachOfChannel(shape, ch, (i) => (sum += x.data[i]!));
      m = sum / count;
      let squares = 0;
      eachOfChannel(shape, ch, (i) => (squares += (x.data[i]! - m) ** 2));
      v = squares / count;
    } else {
      m = stats.mean.data[ch]!;
      v = stats.variance.data[ch]!;
    }
    const invStd = 1 / Math.sqrt(v + eps);
    const scale = weight === null ? 1 : weight.data[ch]!;
    const shift = bias === null ? 0 : bias.data[ch]!;
    eachOfChannel(shape, ch, (i) => (out[i] = (x.data[i]! - m) * invStd * scale + shift));
    [means[ch], variances[ch], invStds[ch]] = [m, v, invStd];
  }
  return {
    output: { data: out, shape: x.shape.slice(), dtype: x.dtype },
    mean: channelVector(x.dtype, means),
    variance: channelVector(x.dtype, variances),
    invStd: channelVector(x.dtype, invStds),
  };
}

export function batchNormBackward(
  grad: HostTensor,
  x: HostTensor,
  weight: HostTensor | null,
  mean: HostTensor,
  invStd: HostTensor,
  training: boolean,
  needs: { input: boolean; weight: boolean; bias: boolean },
): { input: HostTensor | null; weight: HostTensor | null; bias: HostTensor | null } {
  const shape = layout('batchNormBackward', x);
  const { c, inner, n } = shape;
  if (grad.dtype !== x.dtype || grad.shape.length !== x.shape.length || grad.shape.some((d, i) => d !== x.shape[i]))
    throw new ShapeError(
      `batchNormBackward: grad [${grad.shape.join(', ')}] ${grad.dtype} differs from x [${x.shape.join(', ')}] ${x.dtype}`,
    );
  perChannel('batchNormBackward', 'weight', weight, x, c);
  perChannel('batchNormBackward', 'mean', mean, x, c);
  perChannel('batchNormBackward', 'invStd', invStd, x, c);
  const count = n * inner;
  const dInput = needs.input ? allocate(x.dtype, x.data.length) : null;
  const dWeight = new Float64Array(c);
  const dBias = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    const m = mean.data[ch]!;
    const s = invStd.data[ch]!;
    let sumGrad = 0;
    let sumGradXhat = 0;
    eachOfChannel(shape, ch, (i) => {
      sumGrad += grad.data[i]!;
      sumGradXhat += grad.data[i]! * (x.data[i]! - m) * s;
    });
    dWeight[ch] = sumGradXhat;
    dBias[ch] = sumGrad;
    if (dInput === null) continue;
    const scale = weight === null ? 1 : weight.data[ch]!;
    if (training) {
      // dxhat = grad * scale: its mean is scale * sumGrad / M, its xhat-weighted mean scale * sumGradXhat / M.
      const meanDxhat = (scale * sumGrad) / count;
      const meanDxhatXhat = (scale * sumGradXhat) / count;
      eachOfChannel(shape, ch, (i) => {
        const xhat = (x.data[i]! - m) * s;
        dInput[i] = s * (grad.data[i]! * scale - meanDxhat - xhat * meanDxhatXhat);
      });
    } else eachOfChannel(shape, ch, (i) => (dInput[i] = grad.data[i]! * scale * s));
  }
  return {
    input: dInput === null ? null : { data: dInput, shape: x.shape.slice(), dtype: x.dtype },
    weight: needs.weight ? channelVector(x.dtype, dWeight) : null,
    bias: needs.bias ? channelVector(x.dtype, dBias) : null,
  };
}
