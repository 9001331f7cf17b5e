// torch.optim.swa_utils: AveragedModel (equal average, ema), updateBn and SWALR against torch
// 1.13's values (test-torch-lbfgs-swa.ts, made by scripts/make-torch-lbfgs-swa-fixture.py).
import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AveragedModel,
  BatchNorm1d,
  Linear,
  Module,
  ReLU,
  SGD,
  SWALR,
  Sequential,
  dispose,
  ema,
  fromHost,
  getBackend,
  noGrad,
  schedulerFromConfig,
  tidy,
  updateBn,
  type Backend,
  type Tensor,
} from '@myelin/core';
import { TORCH_LBFGS_SWA } from './test-torch-lbfgs-swa.js';
import { closeTo } from './test-helpers.js';

// The default backend: AveragedModel copies a model from its config, which builds on the default backend.
const backend: Backend = getBackend();

const f64 = (data: number[], shape: number[]): Tensor => fromHost(data, shape, { backend, dtype: 'float64' });

const expectCloseTo = closeTo(1e-12, 1e-14);

const linear = (): Linear => new Linear(3, 2, { dtype: 'float64', backend });

function setWeights(model: Module, values: Record<string, number[] | number[][]>): void {
  const state = model.stateDict();
  tidy(() =>
    noGrad(() => {
      for (const [name, v] of Object.entries(values)) {
        const target = state[name]!;
        target.assign(f64((v as number[]).flat(), [...target.shape]));
      }
    }),
  );
}

describe('AveragedModel: matches torch.optim.swa_utils.AveragedModel', () => {
  const { snapshots, equal, ema: emaWant, emaDecay } = TORCH_LBFGS_SWA.averagedModel;
  for (const [name, want, options] of [
    ['the equal average (default)', equal, {}],
    [`ema(${emaDecay})`, emaWant, { avgFn: ema(emaDecay) }],
  ] as const) {
    it(`${name}: weights after each of ${snapshots.length} updates, n_averaged in the state dict`, () => {
      const model = linear();
      const swa = new AveragedModel(model, options);
      expect(Object.keys(swa.stateDict())).toEqual(['n_averaged', 'module.weight', 'module.bias']);
      const live = backend.liveHandles();
      snapshots.forEach((snapshot, k) => {
        setWeights(model, snapshot);
        swa.updateParameters(model);
        const state = swa.stateDict();
        expectCloseTo(state['module.weight']!.dataSync(), want[k]!.weight, `update ${k + 1}: weight`);
        expectCloseTo(state['module.bias']!.dataSync(), want[k]!.bias, `update ${k + 1}: bias`);
        expect(Array.from(swa.nAveraged.dataSync())).toEqual([want[k]!.nAveraged]);
      });
      expect(backend.liveHandles(), 'no tensors left behind').toBe(live);
      // forward runs the averaged copy.
      const x = f64([1, 2, 3], [1, 3]);
      const y = tidy(() => swa.forward(x));
      const expected = tidy(() =>
        x.matmul(swa.module.stateDict().weight!.transpose(0, 1)).add(swa.module.stateDict().bias!),
      );
      expectCloseTo(y.dataSync(), Array.from(expected.dataSync()), 'forward');
      dispose([x, y, expected]);
      swa.dispose();
      model.dispose();
    });
  }

  it('a custom avgFn gets (averaged, current, numAveraged); useBuffers averages float buffers too', () => {
    const model = new Sequential(
      new Linear(2, 2, { dtype: 'float64', backend }),
      new BatchNorm1d(2, { dtype: 'float64', backend }),
    );
    const seen: number[] = [];
    const swa = new AveragedModel(model, {
      useBuffers: true,
      avgFn: (averaged, current, n) => {
        seen.push(n.dataSync()[0]!);
        return averaged.add(current).div(2);
      },
    });
    setWeights(model, { '1.running_mean': [2, 4] });
    swa.updateParameters(model);
    setWeights(model, { '1.running_mean': [4, 8] });
    swa.updateParameters(model);
    expect(Array.from(swa.module.stateDict()['1.running_mean']!.dataSync())).toEqual([3, 6]);
    expect(seen.slice(-1)).toEqual([1]);
    swa.dispose();
    model.dispose();
  });

  it('errors name what is wrong', () => {
    const model = linear();
    expect(() => new AveragedModel({} as never)).toThrow(/AveragedModel: model must be a Module/);
    expect(() => new AveragedModel(model, { avgFn: 1 as never })).toThrow(
      /AveragedModel: avgFn must be a function \(averaged, current, numAveraged\) => Tensor, got 1/,
    );
    expect(() => new AveragedModel(model, { use_buffers: true } as never)).toThrow(
      /'use_buffers' is 'useBuffers' here/,
    );
    expect(() => ema(1.5)).toThrow('ema: invalid decay 1.5 (must be in [0, 1])');
    class Custom extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
    }
    expect(() => new AveragedModel(new Custom())).toThrow(/cannot copy the model from its config .*pass \{ copy/);
    const copied = new AveragedModel(new Custom(), { copy: () => new Custom() });
    expect(copied.module).toBeInstanceOf(Custom);
    expect(() => new AveragedModel(model, { copy: (m) => m })).toThrow(
      /copy must return a new Module .*got the model itself/,
    );
    const swa = new AveragedModel(model);
    const other = new Linear(3, 4, { dtype: 'float64', backend });
    expect(() => swa.updateParameters(other)).toThrow(
      "AveragedModel.updateParameters: the model's 'weight' has shape [4,3], the averaged 'weight' [2,3]",
    );
    const bad = new AveragedModel(model, { avgFn: (a) => a.sum() });
    expect(() => bad.updateParameters(model)).toThrow(
      "AveragedModel.updateParameters: avgFn returned shape [] for 'weight' of shape [2,3]",
    );
    expect(Array.from(bad.nAveraged.dataSync()), 'a failed update counts nothing').toEqual([0]);
    expect(() => new AveragedModel(model, { avgFn: () => 'x' as never }).updateParameters(model)).toThrow(
      /avgFn must return a Tensor/,
    );
    for (const m of [swa, bad, other, model]) m.dispose();
  });
});

describe('updateBn: matches torch.optim.swa_utils.update_bn', () => {
  const { state, batches, after, training } = TORCH_LBFGS_SWA.updateBn;
  const build = (): Sequential => {
    const o = { dtype: 'float64' as const, backend };
    const model = new Sequential(
      new Linear(3, 4, o),
      new BatchNorm1d(4, { ...o, momentum: 0.3 }),
      new ReLU(),
      new Linear(4, 2, o),
      new BatchNorm1d(2, o),
    );
    const own = model.stateDict();
    tidy(() =>
      noGrad(() => {
        for (const [name, values] of Object.entries(state)) {
          const target = own[name]!;
          target.assign(fromHost(values, [...target.shape], { backend, dtype: target.dtype }));
        }
      }),
    );
    return model;
  };

  it('recomputes the running statistics over the batches; momentum and eval mode are restored', async () => {
    const model = build();
    model.eval();
    const data = batches.map((b) => f64(b.flat(), [b.length, 3]));
    await updateBn(data, model);
    const got = model.stateDict();
    for (const [name, values] of Object.entries(after)) expectCloseTo(got[name]!.dataSync(), values, name);
    expect(model.training).toBe(training);
    expect((model.children()[1]![1] as BatchNorm1d).momentum).toBe(0.3);
    expect((model.children()[4]![1] as BatchNorm1d).momentum).toBe(0.1);
    dispose(data);
    model.dispose();
  });

  it('takes { x, y } batches, arrays (first element) and async sources; on an AveragedModel it updates the copy', async () => {
    const model = build();
    const swa = new AveragedModel(model);
    const data = batches.map((b) => f64(b.flat(), [b.length, 3]));
    async function* source(): AsyncGenerator<{ x: Tensor; y: Tensor } | Tensor[]> {
      yield { x: data[0]!, y: data[0]! };
      yield [data[1]!];
      yield { x: data[2]!, y: data[2]! };
    }
    await updateBn(source(), swa);
    const got = swa.module.stateDict();
    for (const [name, values] of Object.entries(after)) expectCloseTo(got[name]!.dataSync(), values, name);
    expect(swa.training).toBe(true);
    dispose(data);
    swa.dispose();
    model.dispose();
  });

  it('a model without BatchNorm is left alone; bad batches and options are errors', async () => {
    const plain = linear();
    await updateBn([f64([1, 2, 3], [1, 3])], plain);
    const model = build();
    await expect(updateBn([5 as never], model)).rejects.toThrow(
      /updateBn: a batch must be a tensor, an array whose first element is the input, or \{ x \}, got 5/,
    );
    await expect(updateBn([], model, { epoch: -1 })).rejects.toThrow(
      'updateBn: invalid epoch -1 (must be an integer >= 0)',
    );
    await expect(updateBn(5 as never, model)).rejects.toThrow(/data: expected an iterable/);
    plain.dispose();
    model.dispose();
  });
});

describe('SWALR: matches torch.optim.swa_utils.SWALR', () => {
  const { lrs: startLrs, cases } = TORCH_LBFGS_SWA.swalr;
  for (const testCase of cases) {
    it(`${testCase.name}: 12 steps, two groups`, () => {
      const a = f64([0], [1]);
      const b = f64([0], [1]);
      const optimizer = new SGD(
        [
          { params: [a], lr: startLrs[0]! },
          { params: [b], lr: startLrs[1]! },
        ],
        { lr: startLrs[0]! },
      );
      const scheduler = new SWALR(optimizer, testCase.options as never);
      const got = [optimizer.paramGroups.map((g) => g.lr)];
      for (let i = 0; i < 12; i++) {
        scheduler.step();
        got.push(optimizer.paramGroups.map((g) => g.lr));
      }
      got.forEach((lrs, k) => expectCloseTo(lrs, testCase.lrs[k]!, `lr after ${k} steps`));
      // A state dict round trip resumes the schedule.
      const resumed = new SWALR(optimizer, testCase.options as never);
      resumed.loadStateDict(JSON.parse(JSON.stringify(scheduler.stateDict())));
      scheduler.step();
      const next = optimizer.paramGroups.map((g) => g.lr);
      optimizer.paramGroups.forEach((g, i) => (g.lr = testCase.lrs[12]![i]!));
      resumed.step();
      expect(optimizer.paramGroups.map((g) => g.lr)).toEqual(next);
      dispose([a, b]);
    });
  }

  it('schedulerFromConfig builds it; options are checked', () => {
    const p = f64([0], [1]);
    const optimizer = new SGD([p], { lr: 0.1 });
    expect(schedulerFromConfig(optimizer, { type: 'SWALR', swaLr: 0.05 })).toBeInstanceOf(SWALR);
    expect(schedulerFromConfig(optimizer, { type: 'swa', swaLr: 0.05, annealStrategy: 'linear' })).toBeInstanceOf(
      SWALR,
    );
    expect(() => new SWALR(optimizer, {} as never)).toThrow(/SWALR: swaLr is required/);
    expect(() => new SWALR(optimizer, { swaLr: -1 })).toThrow('SWALR: invalid swaLr -1 (must be a finite number >= 0)');
    expect(() => new SWALR(optimizer, { swaLr: [0.1, 0.2] })).toThrow(
      'SWALR: swaLr has 2 entries, but the optimizer has 1 parameter groups',
    );
    expect(() => new SWALR(optimizer, { swaLr: 0.1, annealEpochs: 2.5 })).toThrow(
      'SWALR: invalid annealEpochs 2.5 (must be an integer >= 0)',
    );
    expect(() => new SWALR(optimizer, { swaLr: 0.1, annealStrategy: 'exp' as never })).toThrow(
      `SWALR: invalid annealStrategy "exp" (must be 'cos' or 'linear')`,
    );
    expect(() => new SWALR(optimizer, { swaLr: 0.1, anneal_epochs: 3 } as never)).toThrow(
      /'anneal_epochs' is 'annealEpochs' here/,
    );
    p.dispose();
  });
});
