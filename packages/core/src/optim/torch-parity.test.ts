// RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop and ASGD against PyTorch: the trajectories in
// test-torch-trajectories.ts were computed once by torch.optim in float64 (see
// packages/core/scripts/make-torch-optim-fixture.py); here the same steps run in float64 on
// cpu-reference and must agree to 1e-12 relative, parameters after every step and the final state.
import { describe, expect, it } from 'vitest';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { fromHost, noGrad, optimizerFromConfig, tidy, type OptimizerConfig, type Tensor } from '@myelin/core';
import { TORCH_TRAJECTORIES } from './test-torch-trajectories.js';
import { closeTo } from './test-helpers.js';

const backend = createCpuReferenceBackend();
const { shapes, init, target, curvature, noise, steps } = TORCH_TRAJECTORIES;

const f64 = (data: number[], shape: number[], requiresGrad = false): Tensor =>
  fromHost(data, shape, { backend, dtype: 'float64', requiresGrad });

const expectCloseTo = closeTo(1e-12, 1e-15);

describe('RMSprop, Adagrad, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD: float64 trajectories match torch.optim', () => {
  it('the fixture covers every optimizer with several option sets', () => {
    const types = TORCH_TRAJECTORIES.cases.map((c) => c.type);
    for (const type of ['rmsprop', 'adagrad', 'adadelta', 'adamax', 'nadam', 'radam', 'rprop', 'asgd'])
      expect(types.filter((t) => t === type).length, type).toBeGreaterThanOrEqual(2);
  });

  for (const testCase of TORCH_TRAJECTORIES.cases) {
    it(`${testCase.type} (${testCase.name}): ${steps} steps, two parameter groups, and the final state`, () => {
      const params = init.map((values, i) => f64(values, shapes[i]!, true));
      const targets = target.map((values, i) => f64(values, shapes[i]!));
      const curvatures = curvature.map((values, i) => f64(values, shapes[i]!));
      const optimizer = optimizerFromConfig(
        [{ params: [params[0]!] }, { params: [params[1]!], ...testCase.secondGroup }],
        { type: testCase.type, ...testCase.options } as OptimizerConfig,
      );
      try {
        for (let step = 0; step < steps; step++) {
          params.forEach((p, i) => {
            // (p - target) * curvature + noise: the script's gradient, bit for bit.
            p.grad = tidy(() =>
              noGrad(() => p.sub(targets[i]!).mul(curvatures[i]!).add(f64(noise[step]![i]!, shapes[i]!))),
            );
          });
          optimizer.step();
          params.forEach((p, i) =>
            expectCloseTo(p.dataSync(), testCase.trajectory[step]![i]!, `step ${step + 1}, parameter ${i}`),
          );
        }
        const { state } = optimizer.stateDict();
        testCase.state.forEach((want, i) => {
          const got = state[i]!;
          expect(Object.keys(got).sort(), `parameter ${i}'s state names`).toEqual(Object.keys(want).sort());
          for (const [name, value] of Object.entries(want as Record<string, number | number[]>)) {
            const saved = got[name]!;
            if (typeof value === 'number') expectCloseTo([saved as number], [value], `state ${i}.${name}`);
            else expectCloseTo((saved as Tensor).dataSync(), value, `state ${i}.${name}`);
            if (typeof saved !== 'number') saved.dispose();
          }
        });
      } finally {
        optimizer.dispose();
        for (const t of [...params, ...targets, ...curvatures]) t.dispose();
      }
    });
  }
});
