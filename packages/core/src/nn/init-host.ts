import type { Generator } from '../tensor/random.js';

/**
 * The host-side float64 mathematics behind `orthogonal_` and `truncNormal_`: a Householder QR
 * and an exact truncated-normal sampler. Both draw only from the seeded host generator.
 */

/**
 * The orthogonal matrix torch.nn.init.orthogonal_ makes from a [rows, cols] matrix A of
 * standard normal draws (row-major): the Q of A = QR (of Aᵀ when rows < cols, transposed back)
 * with R's diagonal made positive, so the result is unique for A whatever sign convention the
 * reflections use. Rows (rows <= cols) or columns (rows >= cols) come out orthonormal.
 */
export function orthogonalFromNormal(a: Float64Array, rows: number, cols: number): Float64Array {
  const wide = rows < cols;
  const m = Math.max(rows, cols);
  const n = Math.min(rows, cols);
  // work[i * n + j] is the m x n matrix to factor: A, or Aᵀ when A is wide.
  const work = new Float64Array(m * n);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) work[wide ? j * n + i : i * n + j] = a[i * cols + j]!;
  const reflectors: Float64Array[] = [];
  const diagonal = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += work[i * n + k]! ** 2;
    norm = Math.sqrt(norm);
    const x0 = work[k * n + k]!;
    const alpha = x0 >= 0 ? -norm : norm; // reflect away from x0: no cancellation in v[0]
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = work[i * n + k]!;
    v[0] = x0 - alpha;
    let vNorm = 0;
    for (let i = 0; i < v.length; i++) vNorm += v[i]! ** 2;
    vNorm = Math.sqrt(vNorm);
    if (vNorm > 0) for (let i = 0; i < v.length; i++) v[i]! /= vNorm;
    reflectors.push(v);
    // Apply H = I - 2 v vᵀ to the trailing columns k..n-1.
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * work[i * n + j]!;
      for (let i = k; i < m; i++) work[i * n + j]! -= 2 * v[i - k]! * dot;
    }
    diagonal[k] = work[k * n + k]!;
  }
  // Q = H_0 H_1 ... H_{n-1} applied to the first n columns of the identity.
  const q = new Float64Array(m * n);
  for (let j = 0; j < n; j++) q[j * n + j] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = reflectors[k]!;
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k]! * q[i * n + j]!;
      for (let i = k; i < m; i++) q[i * n + j]! -= 2 * v[i - k]! * dot;
    }
  }
  // Column j times sign(R[j][j]) makes R's diagonal positive (a zero diagonal keeps its column).
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const value = diagonal[j]! < 0 ? -q[i * n + j]! : q[i * n + j]!;
      out[wide ? j * cols + i : i * cols + j] = value;
    }
  return out;
}

/**
 * `count` draws of a standard normal truncated to [low, high] (low < high; either may be
 * infinite), exactly, by rejection (Robert 1995, "Simulation of truncated normal variables"):
 * normal proposals when the window holds zero and is wide, uniform proposals on a narrow window,
 * and translated exponential proposals in a tail. Every acceptance rate is above ~0.3.
 */
export function truncatedStandardNormal(count: number, low: number, high: number, generator: Generator): Float64Array {
  if (high <= 0) {
    // The left tail is the right tail mirrored.
    const mirrored = truncatedStandardNormal(count, -high, -low, generator);
    for (let i = 0; i < count; i++) mirrored[i] = -mirrored[i]!;
    return mirrored;
  }
  const sampler = chooseSampler(low, high);
  const out = new Float64Array(count);
  let filled = 0;
  while (filled < count) {
    const batch = Math.max(64, 2 * (count - filled));
    filled = sampler(generator, batch, out, filled);
  }
  return out;
}

/** Draws `batch` proposals, writes the accepted ones from `out[filled]` on, returns the new fill. */
type Sampler = (generator: Generator, batch: number, out: Float64Array, filled: number) => number;

function chooseSampler(low: number, high: number): Sampler {
  if (low <= 0) {
    // The window holds 0: normal proposals accept Φ(high) - Φ(low), uniform ones that mass times
    // sqrt(2π) / width; take the better of the two.
    if (high - low > Math.sqrt(2 * Math.PI)) {
      return (generator, batch, out, filled) => {
        const z = generator.normal(batch);
        for (let i = 0; i < batch && filled < out.length; i++) if (z[i]! >= low && z[i]! <= high) out[filled++] = z[i]!;
        return filled;
      };
    }
    return uniformSampler(low, high, 0);
  }
  // 0 < low: a narrow window takes uniform proposals (density ratio across it at least 1/e),
  // anything else exponential ones from low with Robert's optimal rate.
  if ((high - low) * (high + low) <= 2) return uniformSampler(low, high, low);
  const rate = (low + Math.sqrt(low * low + 4)) / 2;
  return (generator, batch, out, filled) => {
    const u = generator.uniform(2 * batch);
    for (let i = 0; i < batch && filled < out.length; i++) {
      // 1 - u lies in (0, 1]: the log is finite.
      const z = low - Math.log(1 - u[2 * i]!) / rate;
      if (z <= high && u[2 * i + 1]! < Math.exp(-((z - rate) ** 2) / 2)) out[filled++] = z;
    }
    return filled;
  };
}

/** Uniform proposals on [low, high] accepted with exp((peak² - z²) / 2), `peak` the window's point nearest 0. */
function uniformSampler(low: number, high: number, peak: number): Sampler {
  return (generator, batch, out, filled) => {
    const u = generator.uniform(2 * batch);
    for (let i = 0; i < batch && filled < out.length; i++) {
      const z = low + (high - low) * u[2 * i]!;
      if (u[2 * i + 1]! < Math.exp((peak * peak - z * z) / 2)) out[filled++] = z;
    }
    return filled;
  };
}
