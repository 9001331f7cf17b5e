import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  Adagrad,
  Adam,
  LambdaCallback,
  Linear,
  MSELoss,
  NAdam,
  OneCycleLR,
  RMSprop,
  SGD,
  fit,
  schedulerFromConfig,
  tensor,
} from '@myelin/core';

// Expected values from PyTorch 1.13 (Debian's python3-torch), for an SGD(lr=0.5, momentum=0.9)
// or Adam(lr=0.5) parameter group, read after construction and after each scheduler.step():
//   s = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=10)
const TORCH_COS = {
  lr: [
    0.0040000000000000036, 0.052000000000000005, 0.1, 0.09504846320134738, 0.0811745653949763, 0.06112620219362893,
    0.03887419780637107, 0.0188258346050237, 0.004951936798652629, 4e-7, 0.004951936798652624,
  ],
  momentum: [
    0.95, 0.8999999999999999, 0.85, 0.854951556604879, 0.8688255099070633, 0.8888739533021842, 0.9111260466978157,
    0.9311744900929366, 0.945048443395121, 0.95, 0.945048443395121,
  ],
};
//   OneCycleLR(opt, max_lr=0.1, total_steps=10, anneal_strategy='linear', three_phase=True, pct_start=0.25)
const TORCH_LINEAR_THREE_PHASE = {
  lr: [
    0.004, 0.068, 0.068, 0.0040000000000000036, 0.0033334000000000003, 0.0026668000000000004, 0.0020002,
    0.0013336000000000003, 0.0006670000000000001, 4.0000000000022656e-7, -0.0006662000000000005,
  ],
  momentum: [0.95, 0.8833333333333333, 0.8833333333333333, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95],
};
//   Adam: OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=3): (lr, betas[0])
const TORCH_ADAM: [number, number][] = [
  [0.0003999999999999993, 0.95],
  [0.009944154354509118, 0.8505584586887436],
  [0.00811745653949763, 0.8688255099070633],
  [0.00462637102666975, 0.9037365046793212],
  [0.001334775301888306, 0.9366525935914912],
  [4e-8, 0.95],
  [0.0013347753018883054, 0.9366525935914912],
];

const sgd = () => new SGD([tensor([1])], { lr: 0.5, momentum: 0.9 });

function trace(optimizer: SGD, schedule: OneCycleLR, steps: number): { lr: number[]; momentum: number[] } {
  const read = () => optimizer.paramGroups[0]!;
  const out = { lr: [read().lr], momentum: [read().momentum as number] };
  for (let i = 0; i < steps; i++) {
    schedule.step();
    out.lr.push(read().lr);
    out.momentum.push(read().momentum as number);
  }
  return out;
}

const expectSequence = (got: number[], want: number[], what: string) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i], `${what} at step ${i}`).toBeCloseTo(w, 12));
};

describe('OneCycleLR', () => {
  it("matches PyTorch's lr and momentum, cosine two-phase", () => {
    const optimizer = sgd();
    const got = trace(optimizer, new OneCycleLR(optimizer, { maxLr: 0.1, totalSteps: 10 }), 10);
    expectSequence(got.lr, TORCH_COS.lr, 'lr');
    expectSequence(got.momentum, TORCH_COS.momentum, 'momentum');
  });

  it("matches PyTorch's linear three-phase schedule", () => {
    const optimizer = sgd();
    const schedule = new OneCycleLR(optimizer, {
      maxLr: 0.1,
      totalSteps: 10,
      annealStrategy: 'linear',
      threePhase: true,
      pctStart: 0.25,
    });
    const got = trace(optimizer, schedule, 10);
    expectSequence(got.lr, TORCH_LINEAR_THREE_PHASE.lr, 'lr');
    expectSequence(got.momentum, TORCH_LINEAR_THREE_PHASE.momentum, 'momentum');
  });

  it("cycles Adam's first beta, takes epochs x stepsPerEpoch, and refuses a step past the cycle as PyTorch does", () => {
    const optimizer = new Adam([tensor([1])], { lr: 0.5 });
    const schedule = new OneCycleLR(optimizer, { maxLr: 0.01, epochs: 2, stepsPerEpoch: 3 });
    const read = (): [number, number] => [
      optimizer.paramGroups[0]!.lr,
      (optimizer.paramGroups[0]!.betas as readonly number[])[0]!,
    ];
    const got = [read()];
    for (let i = 0; i < 6; i++) {
      schedule.step();
      got.push(read());
    }
    TORCH_ADAM.forEach(([lr, beta], i) => {
      expect(got[i]![0], `lr at step ${i}`).toBeCloseTo(lr, 12);
      expect(got[i]![1], `beta1 at step ${i}`).toBeCloseTo(beta, 12);
    });
    expect((optimizer.paramGroups[0]!.betas as readonly number[])[1]).toBe(0.999);
    expect(() => schedule.step()).toThrow(/stepped 7 times, but the cycle has 6 steps/);
  });

  it("peaks at the optimizer's lr without maxLr, and is stepped by fit after every batch", async () => {
    const model = new Linear(2, 1);
    const optimizer = new SGD(model.parameters(), { lr: 0.2, momentum: 0.9 });
    const schedule = schedulerFromConfig(optimizer, { type: 'onecycle', epochs: 2, stepsPerEpoch: 4 });
    expect(schedule.interval).toBe('batch');
    expect(optimizer.paramGroups[0]!.lr).toBeCloseTo(0.2 / 25, 15);
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const y = tensor([[1], [2]]);
    const batches = Array.from({ length: 4 }, () => ({ x, y }));
    // The lr each batch after the first trains with: read after each step (fit steps the schedule then).
    const used: number[] = [];
    const record = new LambdaCallback({ onBatchEnd: () => void used.push(optimizer.paramGroups[0]!.lr) });
    const history = await fit(model, {
      train: batches,
      loss: new MSELoss(),
      optimizer,
      schedule,
      epochs: 2,
      callbacks: [record],
    });
    expect(schedule.lastEpoch).toBe(8);
    expect((schedule as OneCycleLR).totalSteps).toBe(8);
    expect(used).toHaveLength(8);
    // the peak at step 0.3 x 8 - 1 = 1.4 lies between steps 1 and 2; the last batch (step 7) trains at maxLr / 25 / 1e4
    expect(Math.max(...used)).toBeGreaterThan(0.19);
    expect(used[6]).toBeCloseTo(0.2 / 25 / 1e4, 15);
    // Each epoch's logged lr is its last step's (steps 3 and 7), not the one the schedule moved on to.
    expect(history.epochs.map((e) => e.lr)).toEqual([used[2], used[6]]);
  });

  it('resumes from its state dict at the same step, momentum included', () => {
    const first = sgd();
    const schedule = new OneCycleLR(first, { maxLr: 0.1, totalSteps: 10 });
    for (let i = 0; i < 4; i++) schedule.step();
    const state = JSON.parse(JSON.stringify(schedule.stateDict())) as Record<string, unknown>;
    const second = sgd();
    const resumed = new OneCycleLR(second, { maxLr: 0.1, totalSteps: 10 });
    resumed.loadStateDict(state);
    expect(resumed.lastEpoch).toBe(4);
    expect(second.paramGroups[0]!.lr).toBeCloseTo(TORCH_COS.lr[4]!, 12);
    expect(second.paramGroups[0]!.momentum).toBeCloseTo(TORCH_COS.momentum[4]!, 12);
    resumed.step();
    expect(second.paramGroups[0]!.lr).toBeCloseTo(TORCH_COS.lr[5]!, 12);
  });

  it('names what is wrong in its options', () => {
    expect(() => new OneCycleLR(sgd(), { maxLr: 0.1 })).toThrow(/pass totalSteps, or epochs and stepsPerEpoch/);
    expect(() => new OneCycleLR(sgd(), { totalSteps: 10, pctStart: 1.5 })).toThrow(/invalid pctStart 1.5/);
    expect(() => new OneCycleLR(sgd(), { totalSteps: 0 })).toThrow(/invalid totalSteps 0/);
    expect(() => new OneCycleLR(sgd(), { totalSteps: 10, maxLr: [0.1, 0.2] })).toThrow(
      /2 entries, but the optimizer has 1/,
    );
    expect(() => new OneCycleLR(sgd(), { totalSteps: 10, annealStrategy: 'exp' as 'cos' })).toThrow(/annealStrategy/);
  });

  it("cycles RMSprop's momentum and NAdam's first beta; Adagrad has neither", () => {
    const p = () => tensor([1], { requiresGrad: true });
    const rmsprop = new RMSprop([p()], { lr: 0.5 });
    new OneCycleLR(rmsprop, { maxLr: 0.1, totalSteps: 10 });
    expect(rmsprop.paramGroups[0]!.momentum).toBe(TORCH_COS.momentum[0]);
    const nadam = new NAdam([p()], { lr: 0.5 });
    new OneCycleLR(nadam, { maxLr: 0.1, totalSteps: 10 });
    expect(nadam.paramGroups[0]!.betas).toEqual([TORCH_COS.momentum[0], 0.999]);
    const adagrad = new Adagrad([p()], { lr: 0.5 });
    expect(() => new OneCycleLR(adagrad, { maxLr: 0.1, totalSteps: 10 })).toThrow(
      'OneCycleLR: cycleMomentum needs an optimizer with momentum or betas (SGD, RMSprop, Adam, AdamW, Adamax, NAdam; not Adagrad or Adadelta); pass cycleMomentum: false',
    );
    new OneCycleLR(adagrad, { maxLr: 0.1, totalSteps: 10, cycleMomentum: false });
    expect(adagrad.paramGroups[0]!.lr).toBeCloseTo(TORCH_COS.lr[0]!, 12);
  });
});
