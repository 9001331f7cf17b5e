import { Adam, Generator, Linear, MSELoss, ReLU, Sequential, fromHost, noGrad, tidy } from '@myelin/core';
import '@myelin/backend-cpu-reference';

/** The target of REFERENCE-EXPERIMENTS section 3. */
export const cubic = (x: number): number => x ** 3 + x ** 2 - x - 1;

export interface ApproximationResult {
  grid: number[];
  truth: number[];
  prediction: number[];
  /** Mean squared error inside [-2, 2], on the rest of [-5, 5], and outside it (to +-7). */
  error: { middle: number; edges: number; outside: number };
}

/**
 * Linear(1,6) -> ReLU -> Linear(6,1), MSE, Adam lr 0.01, one random sample x ~ U[-5,5] per
 * step: good in the middle of the sampled range, poor at its edges and outside it.
 */
export async function approximateCubic(options: { steps: number; seed: number }): Promise<ApproximationResult> {
  const generator = new Generator(options.seed);
  const model = new Sequential(new Linear(1, 6, { generator }), new ReLU(), new Linear(6, 1, { generator }));
  const optimizer = new Adam(model.parameters(), { lr: 0.01 });
  const loss = new MSELoss();
  const samples = generator.uniform(options.steps, -5, 5);
  for (let step = 0; step < options.steps; step++) {
    const x = samples[step]!;
    tidy(() => {
      const value = loss.forward(model.forward(fromHost([x], [1, 1])), fromHost([cubic(x)], [1, 1]));
      value.backward();
      optimizer.step();
      optimizer.zeroGrad();
    });
  }
  const grid = Array.from({ length: 141 }, (_, i) => -7 + i * 0.1);
  const output = noGrad(() => tidy(() => model.forward(fromHost(grid, [grid.length, 1]))));
  const prediction = Array.from(await output.data());
  output.dispose();
  optimizer.dispose();
  model.dispose();
  const truth = grid.map(cubic);
  const mse = (keep: (x: number) => boolean): number => {
    const errors = grid.flatMap((x, i) => (keep(x) ? [(prediction[i]! - truth[i]!) ** 2] : []));
    return errors.reduce((a, b) => a + b, 0) / errors.length;
  };
  return {
    grid,
    truth,
    prediction,
    error: {
      middle: mse((x) => Math.abs(x) <= 2),
      edges: mse((x) => Math.abs(x) > 2 && Math.abs(x) <= 5),
      outside: mse((x) => Math.abs(x) > 5.05),
    },
  };
}
