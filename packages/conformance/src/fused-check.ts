import { fromHost, tidy, type Backend, type Tensor } from '@myelin/core';
import { composedOnly } from './cases/fused.js';
import { expectClose, type Tolerance } from './compare.js';

/** One input of `expectFusedMatchesComposed`: a float32 shape, and its values (default: a fixed ramp). */
export interface FusedCheckInput {
  shape: number[];
  values?: number[];
}

/** Output and input gradients of `fn` on `backend`, the output seeded by a fixed ramp before backward. */
async function valuesAndGradients(
  backend: Backend,
  inputs: readonly FusedCheckInput[],
  fn: (...xs: Tensor[]) => Tensor,
): Promise<Float32Array[]> {
  const xs = inputs.map(({ shape, values }) => {
    const size = shape.reduce((a, d) => a * d, 1);
    const data = Float32Array.from(values ?? Array.from({ length: size }, (_, i) => Math.sin(i * 1.3) + i * 1e-3));
    return fromHost(data, shape, { backend, requiresGrad: true });
  });
  const out = tidy(() => {
    const y = fn(...xs);
    const seed = fromHost(
      Float32Array.from({ length: y.size }, (_, i) => 0.5 + (i % 7) / 4),
      [...y.shape],
      { backend },
    );
    y.mul(seed).sum().backward();
    return y.detach();
  });
  const results = [Float32Array.from(await out.data())];
  for (const x of xs) results.push(Float32Array.from(await x.grad!.data()));
  for (const t of [out, ...xs]) t.dispose();
  return results;
}

/**
 * Checks that `fn`'s output and input gradients agree on the backend's fused kernels and on the
 * composed path (the same backend with `fused` hidden), for a backend package's own cases that
 * reach paths the shared suite does not (NaN where the composed path has NaN).
 */
export async function expectFusedMatchesComposed(
  backend: Backend,
  inputs: readonly FusedCheckInput[],
  fn: (...xs: Tensor[]) => Tensor,
  tolerance: Tolerance = { atol: 1e-4, rtol: 1e-4 },
): Promise<void> {
  const fused = await valuesAndGradients(backend, inputs, fn);
  const composed = await valuesAndGradients(composedOnly(backend), inputs, fn);
  if (fused.length !== composed.length) throw new Error(`${fused.length} results fused, ${composed.length} composed`);
  fused.forEach((values, i) =>
    expectClose(
      values,
      composed[i]!,
      tolerance,
      i === 0 ? 'fused vs composed: output' : `fused vs composed: gradient ${i - 1}`,
    ),
  );
}
