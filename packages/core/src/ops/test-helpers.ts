import { expect, it } from 'vitest';
import { tensor, type Tensor } from '@myelin/core';

// Comparing Myelin with a committed PyTorch fixture (scripts/make-*-fixture.py), for the ops' tests.

export type Nested = number | Nested[];

/** The numbers of a nested array, row-major. */
export const flat = (v: unknown): number[] => (Array.isArray(v) ? (v as Nested[]).flatMap(flat) : [v as number]);

/** One case of a fixture: PyTorch's output for its inputs and the gradients of sum(out * outputWeights). */
export interface FixtureCase {
  readonly args: Record<string, unknown>;
  readonly inputs: readonly (Nested | null)[];
  readonly outputWeights: Nested;
  readonly values: Nested;
  readonly gradients: readonly (Nested | null)[];
}

/** The largest |ours - PyTorch's| over the value and every gradient, after checking the shapes agree. */
export async function worstError(fixture: FixtureCase, fn: (inputs: (Tensor | null)[]) => Tensor): Promise<number> {
  const inputs = fixture.inputs.map((v) => (v === null ? null : tensor(v, { dtype: 'float64', requiresGrad: true })));
  const out = fn(inputs);
  const expected = tensor(fixture.values, { dtype: 'float64' });
  expect(out.shape).toEqual(expected.shape);
  out
    .mul(tensor(fixture.outputWeights, { dtype: 'float64' }))
    .sum()
    .backward();
  const pairs: [unknown, Nested][] = [[await out.array(), fixture.values]];
  inputs.forEach((t, i) => {
    if (t !== null) pairs.push([t.grad, fixture.gradients[i]!]);
  });
  let worst = 0;
  for (const [actual, want] of pairs) {
    const got = flat(actual instanceof Object && 'array' in actual ? await (actual as Tensor).array() : actual);
    const wanted = flat(want);
    expect(got.length).toBe(wanted.length);
    got.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - wanted[i]!))));
  }
  return worst;
}

/** One test per case of a fixture section: `run` maps the recorded inputs and args to our op; 1e-12 in float64. */
export function itMatchesPyTorch(
  label: string,
  cases: Record<string, { readonly args: Record<string, unknown> }>,
  run: (inputs: (Tensor | null)[], args: Record<string, unknown>) => Tensor,
): void {
  for (const [name, fixture] of Object.entries(cases)) {
    it(`${label} ${name}`, async () => {
      const error = await worstError(fixture as unknown as FixtureCase, (inputs) => run(inputs, fixture.args));
      expect(error).toBeLessThan(1e-12);
    });
  }
}

/** Equal numbers, NaN equal to NaN, or within 1e-12 of each other (relative above 1). */
export function expectClose(got: ArrayLike<number>, want: unknown, what: string): void {
  const expected = flat(want).map((v) => (v === null ? Number.NaN : v));
  expect(got.length, what).toBe(expected.length);
  expected.forEach((v, i) => {
    const value = got[i]!;
    if (Number.isNaN(v) || !Number.isFinite(v)) expect(value, `${what} at ${i}`).toBe(v);
    else
      expect(Math.abs(value - v), `${what} at ${i}: ${value} vs ${v}`).toBeLessThanOrEqual(
        1e-12 * Math.max(1, Math.abs(v)),
      );
  });
}
