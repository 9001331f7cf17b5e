import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ReduceLROnPlateau, SGD, tensor, type ReduceLROnPlateauOptions } from '@myelin/core';

const optimizer = (...lrs: number[]) =>
  new SGD(
    lrs.map((lr) => ({ params: [tensor([1])], lr })),
    { lr: lrs[0]! },
  );

/** The lr after each step(metric). */
function run(metrics: number[], options: ReduceLROnPlateauOptions, lr = 1): number[] {
  const scheduler = new ReduceLROnPlateau(optimizer(lr), options);
  return metrics.map((m) => {
    scheduler.step(m);
    return scheduler.getLastLr()[0]!;
  });
}

describe('ReduceLROnPlateau (torch.optim.lr_scheduler.ReduceLROnPlateau)', () => {
  it('reduces by factor after more than `patience` epochs without improvement', () => {
    // 10 best, 9 better, then bad epochs 1, 2, 3 > patience 2: reduce on the 5th step.
    expect(run([10, 9, 9, 9, 9, 9, 9, 9], { patience: 2, factor: 0.5 })).toEqual([1, 1, 1, 1, 0.5, 0.5, 0.5, 0.25]);
  });

  it('counts no bad epochs during cooldown', () => {
    expect(run([10, 10, 10, 10, 10, 10, 10], { patience: 1, factor: 0.5, cooldown: 2 })).toEqual([
      1, 1, 0.5, 0.5, 0.5, 0.5, 0.25,
    ]);
  });

  it('needs a relative improvement beyond threshold (rel) or an absolute one (abs)', () => {
    // 9.9995 > 10 * (1 - 1e-4) = 9.999: not an improvement.
    expect(run([10, 9.9995], { patience: 0 })).toEqual([1, 0.1]);
    expect(run([10, 9.9995], { patience: 0, threshold: 1e-6 })).toEqual([1, 1]);
    expect(run([10, 9.5], { patience: 0, threshold: 1, thresholdMode: 'abs' })).toEqual([1, 0.1]);
  });

  it('mode max treats higher metrics as better', () => {
    expect(run([0.5, 0.6, 0.7, 0.7], { mode: 'max', patience: 0 })).toEqual([1, 1, 1, 0.1]);
    expect(run([0.5, 0.6, 0.7, 0.7], { mode: 'min', patience: 0 })).toEqual([
      1, 0.1, 0.010000000000000002, 0.0010000000000000002,
    ]);
  });

  it('never goes below minLr (one or per group), and skips reductions smaller than eps', () => {
    expect(run([1, 1, 1, 1], { patience: 0, factor: 0.1, minLr: 0.05 })).toEqual([1, 0.1, 0.05, 0.05]);
    const scheduler = new ReduceLROnPlateau(optimizer(1, 2), { patience: 0, factor: 0.5, minLr: [0.9, 0.1] });
    scheduler.step(1);
    scheduler.step(1);
    expect(scheduler.getLastLr()).toEqual([0.9, 1]);
    expect(run([1, 1], { patience: 0, factor: 0.5 }, 1e-8)).toEqual([1e-8, 1e-8]);
  });

  it('requires the metric and validates options', () => {
    const scheduler = new ReduceLROnPlateau(optimizer(1));
    expect(() => scheduler.step()).toThrow(
      "ReduceLROnPlateau.step: pass the epoch's metric, e.g. step(validationLoss); got undefined",
    );
    expect(() => new ReduceLROnPlateau(optimizer(1), { factor: 1 })).toThrow(
      'ReduceLROnPlateau: invalid factor 1 (must be in [0, 1))',
    );
    expect(() => new ReduceLROnPlateau(optimizer(1), { mode: 'maximum' as never })).toThrow(
      "invalid mode 'maximum' (must be 'min' or 'max')",
    );
    expect(() => new ReduceLROnPlateau(optimizer(1), { patience: -1 })).toThrow(
      'ReduceLROnPlateau: invalid patience -1 (must be an integer >= 0)',
    );
    expect(() => new ReduceLROnPlateau(optimizer(1, 1), { minLr: [0] })).toThrow(
      'minLr has 1 entries, but the optimizer has 2 parameter groups',
    );
  });

  it('round-trips best, bad epochs, cooldown and lrs through JSON (an unset best is null)', () => {
    const options = { patience: 2, factor: 0.5, cooldown: 1 };
    const metrics = [5, 4, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 3];
    const straight = run(metrics, options);
    const fresh = new ReduceLROnPlateau(optimizer(1), options);
    expect(JSON.parse(JSON.stringify(fresh.stateDict()))).toMatchObject({
      best: null,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
    });
    const first = new ReduceLROnPlateau(optimizer(1), options);
    metrics.slice(0, 6).forEach((m) => first.step(m));
    const saved = JSON.parse(JSON.stringify(first.stateDict()));
    const opt = optimizer(1);
    const second = new ReduceLROnPlateau(opt, options);
    second.loadStateDict(saved);
    expect(opt.paramGroups[0]!.lr).toBe(straight[5]);
    const resumed = metrics.slice(6).map((m) => {
      second.step(m);
      return second.getLastLr()[0]!;
    });
    expect(resumed).toEqual(straight.slice(6));
    expect(() => second.loadStateDict({ ...saved, best: 'x' })).toThrow('best must be a finite number or null, got x');
  });
});
