import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { ArgumentError, BackendError, getBackend, tensor, tidy } from '@myelin/core';
import { binaryCrossEntropyWithLogits } from './binary.js';
import {
  BCELoss,
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  L1Loss,
  MSELoss,
  NLLLoss,
  lossFromConfig,
  lossInfo,
  type Loss,
} from './classes.js';
import { crossEntropy } from './classification.js';
import { asyncOnlyBackend, expectValues } from './test-helpers.js';

const roundTrip = (loss: Loss): Loss => lossFromConfig(JSON.parse(JSON.stringify(loss.config())));

describe('loss classes', () => {
  it('forward the functions with their options', async () => {
    const logits = tensor([
      [1, 2, 0.5, -1],
      [0, -0.5, 3, 1],
      [2, 2, -2, 0.5],
    ]);
    const target = tensor([1, 2, 0], { dtype: 'int32' });
    const options = { weight: [1, 2, 0.5, 1.5], labelSmoothing: 0.1, reduction: 'sum' as const };
    const expected = await crossEntropy(logits, target, { ...options, weight: tensor(options.weight) }).item();
    expect(await new CrossEntropyLoss(options).forward(logits, target).item()).toBeCloseTo(expected, 6);
    expect(
      await new CrossEntropyLoss({ ...options, weight: tensor(options.weight) }).forward(logits, target).item(),
    ).toBeCloseTo(expected, 6);
    // Same inputs as mseLoss's tests: 0.25166666666666665 (numpy, float64).
    await expectValues(
      new MSELoss().forward(
        tensor([
          [0.5, -1.2, 2],
          [0.3, 0, -0.7],
        ]),
        tensor([
          [1, -1, 1.5],
          [0.3, 0.4, 0.2],
        ]),
      ),
      [],
      [0.25166666666666665],
    );
  });
  it('describe themselves in JSON and rebuild from it', async () => {
    const losses: Loss[] = [
      new MSELoss(),
      new L1Loss({ reduction: 'sum' }),
      new BCELoss({ weight: tensor([[1, 2]]) }),
      new BCEWithLogitsLoss({ posWeight: [2, 0.5], reduction: 'none' }),
      new CrossEntropyLoss({ labelSmoothing: 0.2, weight: tensor([1, 3]) }),
      new NLLLoss({ weight: [0.5, 1] }),
      new CrossEntropyLoss({ ignoreIndex: 0, reduction: 'sum' }),
      new NLLLoss({ ignoreIndex: -1 }),
    ];
    expect(losses.map((loss) => loss.config())).toEqual([
      { type: 'MSELoss', reduction: 'mean' },
      { type: 'L1Loss', reduction: 'sum' },
      { type: 'BCELoss', reduction: 'mean', weight: [[1, 2]] },
      { type: 'BCEWithLogitsLoss', reduction: 'none', posWeight: [2, 0.5] },
      { type: 'CrossEntropyLoss', reduction: 'mean', labelSmoothing: 0.2, weight: [1, 3] },
      { type: 'NLLLoss', reduction: 'mean', weight: [0.5, 1] },
      // ignoreIndex only when given: the default -100 is looked for only where targets are read.
      { type: 'CrossEntropyLoss', reduction: 'sum', labelSmoothing: 0, ignoreIndex: 0 },
      { type: 'NLLLoss', reduction: 'mean', ignoreIndex: -1 },
    ]);
    for (const loss of losses) expect(roundTrip(loss).config()).toEqual(loss.config());
    const logits = tensor([
      [2, -1],
      [0.5, 3],
    ]);
    const rebuilt = roundTrip(losses[3]!);
    await expectValues(
      rebuilt.forward(
        logits,
        tensor([
          [1, 0],
          [0, 1],
        ]),
      ),
      [2, 2],
      Array.from(
        await binaryCrossEntropyWithLogits(
          logits,
          tensor([
            [1, 0],
            [0, 1],
          ]),
          { posWeight: tensor([2, 0.5]), reduction: 'none' },
        ).data(),
      ),
    );
  });
  it("make weight tensors from numbers on the input's backend and free them", async () => {
    const backend = asyncOnlyBackend();
    const loss = new NLLLoss({ weight: [1, 3] });
    const before = backend.liveHandles();
    const value = tidy(() =>
      loss
        .forward(
          tensor(
            [
              [-0.1, -2.4],
              [-1.2, -0.4],
            ],
            { backend, requiresGrad: true },
          ).logSoftmax(),
          tensor([0, 1], { dtype: 'int32', backend }),
        )
        .detach(),
    );
    // (1 * -logp[0,0] + 3 * -logp[1,1]) / (1 + 3) of the (already normalised) log-probabilities, by hand in float64.
    const logp = (row: number[], i: number) => row[i]! - Math.log(Math.exp(row[0]!) + Math.exp(row[1]!));
    await expectValues(value, [], [(-logp([-0.1, -2.4], 0) - 3 * logp([-1.2, -0.4], 1)) / 4]);
    value.dispose();
    expect(backend.liveHandles()).toBe(before);
  });
  it('validate their options when built', () => {
    expect(() => new MSELoss({ reduction: 'average' as never })).toThrow(
      `MSELoss: reduction must be 'mean', 'sum' or 'none', got "average"`,
    );
    expect(() => new CrossEntropyLoss({ labelSmoothing: -0.1 })).toThrow(
      'CrossEntropyLoss: labelSmoothing must be a number in [0, 1), got -0.1',
    );
    expect(() => new NLLLoss({ weight: [[1, 2], [3]] })).toThrow(
      'NLLLoss: weight: ragged array: item 1 has shape [1], item 0 has [2]',
    );
    expect(() => new BCELoss({ weight: 'heavy' as never })).toThrow(ArgumentError);
    // An option the loss does not have is not ignored (PyTorch's names are camelCase here).
    expect(() => new CrossEntropyLoss({ label_smoothing: 0.1 } as never)).toThrow(
      "CrossEntropyLoss: unknown option 'label_smoothing' (allowed: reduction, labelSmoothing, weight, ignoreIndex; 'label_smoothing' is 'labelSmoothing' here)",
    );
    expect(() => new NLLLoss({ ignore_index: -1 } as never)).toThrow(/'ignore_index' is 'ignoreIndex' here/);
    expect(() => new NLLLoss({ ignoreIndex: 0.5 })).toThrow('NLLLoss: ignoreIndex must be an int32 integer, got 0.5');
  });
  it('pass ignoreIndex on: CrossEntropyLoss and NLLLoss leave out the rows of that class', async () => {
    const logits = tensor([
      [2, -1],
      [0.5, 3],
    ]);
    const target = tensor([0, 1], { dtype: 'int32' });
    const rowLosses = await new CrossEntropyLoss({ reduction: 'none' }).forward(logits, target).data();
    const ignored = new CrossEntropyLoss({ ignoreIndex: 0, reduction: 'none' }).forward(logits, target);
    await expectValues(ignored, [2], [0, rowLosses[1]!]);
    await expectValues(new NLLLoss({ ignoreIndex: 1 }).forward(logits.logSoftmax(), target), [], [rowLosses[0]!]);
  });
  it('cannot serialise a weight tensor that only reads asynchronously', () => {
    const backend = asyncOnlyBackend();
    expect(() => new NLLLoss({ weight: tensor([1, 2], { backend }) }).config()).toThrow(BackendError);
  });
});

describe('lossFromConfig', () => {
  it('lists the known types for an unknown one', () => {
    expect(() => lossFromConfig({ type: 'HingeLoss' })).toThrow(
      "lossFromConfig: unknown loss type 'HingeLoss' (known types: MSELoss, L1Loss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, NLLLoss, HuberLoss, SmoothL1Loss, KLDivLoss, PoissonNLLLoss, HingeEmbeddingLoss, SoftMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, MultiLabelMarginLoss)",
    );
    expect(() => lossFromConfig({ type: 'toString' })).toThrow(ArgumentError);
    expect(() => lossFromConfig({} as never)).toThrow('lossFromConfig: unknown loss type undefined');
    expect(() => lossFromConfig(null as never)).toThrow(
      "lossFromConfig: expected an object like { type: 'MSELoss' }, got null",
    );
  });
  it('rejects options the type does not have, and bad values', () => {
    expect(() => lossFromConfig({ type: 'MSELoss', labelSmoothing: 0.1 })).toThrow(
      "lossFromConfig: MSELoss has no option 'labelSmoothing' (its options: reduction)",
    );
    expect(() => lossFromConfig({ type: 'CrossEntropyLoss', labelSmoothing: '0.1' })).toThrow(ArgumentError);
    expect(() => lossFromConfig({ type: 'BCEWithLogitsLoss', posWeight: [1, null] })).toThrow(
      'BCEWithLogitsLoss: posWeight: expected a tensor or (nested) arrays of numbers, got null at [1]',
    );
    expect(() => lossFromConfig({ type: 'L1Loss', reduction: 'max' })).toThrow(ArgumentError);
  });
  it('builds working losses from hand-written configs', async () => {
    const loss = lossFromConfig({ type: 'CrossEntropyLoss' });
    expect(loss).toBeInstanceOf(CrossEntropyLoss);
    expect(loss.config()).toEqual({ type: 'CrossEntropyLoss', reduction: 'mean', labelSmoothing: 0 });
    // -log softmax([0, 0])[0] = ln 2.
    await expectValues(
      loss.forward(tensor([[0, 0]]), tensor([0], { dtype: 'int32', backend: getBackend() })),
      [],
      [Math.LN2],
    );
  });
});

describe('loss metadata', () => {
  it('says what each loss compares, its target kinds and whether it takes logits, on the class, the instance and by name', () => {
    const expected = {
      MSELoss: { task: 'regression', onLogits: false, targets: ['value'] },
      L1Loss: { task: 'regression', onLogits: false, targets: ['value'] },
      BCELoss: { task: 'binary', onLogits: false, targets: ['binary'] },
      BCEWithLogitsLoss: { task: 'binary', onLogits: true, targets: ['binary'] },
      CrossEntropyLoss: { task: 'classification', onLogits: true, targets: ['class-index', 'distribution'] },
      NLLLoss: { task: 'classification', onLogits: false, targets: ['class-index'] },
      HuberLoss: { task: 'regression', onLogits: false, targets: ['value'] },
      SmoothL1Loss: { task: 'regression', onLogits: false, targets: ['value'] },
      KLDivLoss: { task: 'regression', onLogits: false, targets: ['distribution'] },
      PoissonNLLLoss: { task: 'regression', onLogits: false, targets: ['value'] },
    };
    for (const [type, info] of Object.entries(expected)) {
      expect(lossInfo(type)).toEqual(info);
      expect(lossInfo({ type })).toEqual(info);
      const loss = lossFromConfig({ type });
      expect({ task: loss.task, onLogits: loss.onLogits, targets: loss.targets }).toEqual(info);
    }
    expect(BCEWithLogitsLoss.info).toEqual(expected.BCEWithLogitsLoss);
    expect(lossInfo('bcewithlogitsloss')).toEqual(expected.BCEWithLogitsLoss);
    expect(lossInfo('HingeLoss')).toBeUndefined();
  });
});
