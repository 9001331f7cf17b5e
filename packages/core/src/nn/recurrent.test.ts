import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  DTypeError,
  GRU,
  LSTM,
  Linear,
  RNN,
  SelectTimeStep,
  Sequential,
  ShapeError,
  getBackend,
  gruCell,
  lstmCell,
  manualSeed,
  moduleFromConfig,
  noGrad,
  packPaddedSequence,
  padPackedSequence,
  randn,
  rnnReluCell,
  tensor,
  tidy,
  type NestedArray,
  type RNNBase,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_PACKED_SEQUENCE } from './packed-sequence-fixture.js';
import { PYTORCH_RECURRENT } from './recurrent-fixture.js';

/** What both fixtures record per case: the module, its parameters, state, loss weights, and PyTorch's results. */
type Case = Pick<
  (typeof PYTORCH_RECURRENT)[number],
  | 'name'
  | 'type'
  | 'inputSize'
  | 'hiddenSize'
  | 'parameters'
  | 'input'
  | 'outputWeights'
  | 'hWeights'
  | 'output'
  | 'h'
  | 'inputGradient'
  | 'parameterGradients'
> & {
  options: Record<string, unknown>;
  state: { h: unknown; c?: unknown } | null;
  cWeights: unknown;
  c: unknown;
  stateGradient: { h: unknown; c?: unknown } | null;
};
type PackedCase = (typeof PYTORCH_PACKED_SEQUENCE)['layers'][number];
type AnyState = { h: Tensor; c?: Tensor };
const t64 = (values: unknown, requiresGrad = false): Tensor =>
  tensor(values as NestedArray, { dtype: 'float64', requiresGrad });
const flat = (values: unknown): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);

/** The largest |actual - expected| over all elements; the shapes must agree. */
async function maxError(actual: Tensor | null, expected: unknown): Promise<number> {
  expect(actual).not.toBeNull();
  const want = flat(expected);
  const got = Array.from(await actual!.data());
  expect(got.length).toBe(want.length);
  return got.reduce((worst, value, i) => Math.max(worst, Math.abs(value - want[i]!)), 0);
}

function build(c: Case): RNNBase<AnyState> {
  const options = { ...c.options, dtype: 'float64' as const };
  if (c.type === 'LSTM') return new LSTM(c.inputSize, c.hiddenSize, options) as RNNBase<AnyState>;
  if (c.type === 'GRU') return new GRU(c.inputSize, c.hiddenSize, options);
  return new RNN(c.inputSize, c.hiddenSize, options as ConstructorParameters<typeof RNN>[2]);
}

/**
 * Runs a case through `run` (the layer on the input, or on it packed) and returns the largest
 * error of the output, the final state and every gradient against PyTorch's, per quantity.
 */
async function errorsAgainstTorch(
  c: Case,
  run: (module: RNNBase<AnyState>, input: Tensor, state: AnyState | undefined) => { output: Tensor; state: AnyState },
): Promise<[string, number][]> {
  const module = build(c);
  // PyTorch's state-dict names and shapes load 1:1.
  module.loadStateDict(Object.fromEntries(Object.entries(c.parameters).map(([name, v]) => [name, t64(v)])));
  const input = t64(c.input, true);
  const state =
    c.state === null ? undefined : { h: t64(c.state.h, true), ...('c' in c.state ? { c: t64(c.state.c, true) } : {}) };
  const { output, state: final } = run(module, input, state);
  let loss = output
    .mul(t64(c.outputWeights))
    .sum()
    .add(final.h.mul(t64(c.hWeights)).sum());
  if (c.cWeights !== null) loss = loss.add(final.c!.mul(t64(c.cWeights)).sum());
  loss.backward();
  const errors: [string, number][] = [
    ['output', await maxError(output, c.output)],
    ['h_n', await maxError(final.h, c.h)],
    ['input gradient', await maxError(input.grad, c.inputGradient)],
  ];
  if (c.c !== null) errors.push(['c_n', await maxError(final.c!, c.c)]);
  if (c.stateGradient !== null) {
    errors.push(['h0 gradient', await maxError(state!.h.grad, c.stateGradient.h)]);
    if ('c' in c.stateGradient) errors.push(['c0 gradient', await maxError(state!.c!.grad, c.stateGradient.c)]);
  }
  const parameters = Object.fromEntries(module.namedParameters());
  expect(Object.keys(parameters)).toEqual(Object.keys(c.parameterGradients)); // PyTorch's order too
  for (const [name, gradient] of Object.entries(c.parameterGradients))
    errors.push([`${name} gradient`, await maxError(parameters[name]!.grad, gradient)]);
  return errors;
}

/** One test per case, each quantity within 1e-12, and a last test that logs the worst error. */
function describeParity<C extends Case>(
  title: string,
  cases: readonly C[],
  label: (c: C) => string,
  run: (
    c: C,
    module: RNNBase<AnyState>,
    input: Tensor,
    state: AnyState | undefined,
  ) => { output: Tensor; state: AnyState },
): void {
  describe(title, () => {
    let worst = 0;
    for (const c of cases) {
      it(`${c.name}: ${label(c)}`, async () => {
        const errors = await errorsAgainstTorch(c, (module, input, state) => run(c, module, input, state));
        for (const [what, error] of errors) expect(error, `${c.name}: ${what}`).toBeLessThan(1e-12);
        worst = Math.max(worst, ...errors.map(([, e]) => e));
      });
    }
    it('(worst error over all cases)', () => {
      console.log(`${title}: worst absolute error ${worst.toExponential(2)}`);
      expect(worst).toBeGreaterThan(0); // the cases ran
    });
  });
}

describeParity(
  'RNN, LSTM and GRU against PyTorch (float64, cpu-reference)',
  PYTORCH_RECURRENT,
  (c) => `output, final state and every gradient match torch.nn.${c.type}`,
  (_c, module, input, state) => module.forwardWithState(input, state),
);

describeParity(
  'RNN, LSTM and GRU on a PackedSequence against PyTorch (float64, cpu-reference)',
  PYTORCH_PACKED_SEQUENCE.layers as readonly (PackedCase & Case)[],
  (c) =>
    `lengths [${c.lengths.join(', ')}]: padded output, each sequence's final state and every gradient match torch.nn.${c.type}`,
  (c, module, input, state) => {
    const batchFirst = c.options.batchFirst === true;
    const packed = packPaddedSequence(input, c.lengths, { batchFirst, enforceSorted: c.enforceSorted });
    const result = module.forwardWithState(packed, state);
    expect(result.output.batchSizes).toEqual(c.batchSizes);
    const padOptions = {
      batchFirst,
      ...(c.pad.totalLength === null ? {} : { totalLength: c.pad.totalLength }),
      ...(c.pad.paddingValue === null ? {} : { paddingValue: c.pad.paddingValue }),
    };
    const { output, lengths } = padPackedSequence(result.output, padOptions);
    expect(lengths).toEqual(c.lengths);
    return { output, state: result.state };
  },
);

describe('recurrent layers', () => {
  it('register PyTorch-shaped parameters and initialise them in U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize))', async () => {
    const lstm = new LSTM(5, 16, { numLayers: 2, bidirectional: true });
    const shapes = Object.fromEntries(lstm.namedParameters().map(([name, p]) => [name, p.shape]));
    expect(shapes).toEqual({
      weight_ih_l0: [64, 5],
      weight_hh_l0: [64, 16],
      bias_ih_l0: [64],
      bias_hh_l0: [64],
      weight_ih_l0_reverse: [64, 5],
      weight_hh_l0_reverse: [64, 16],
      bias_ih_l0_reverse: [64],
      bias_hh_l0_reverse: [64],
      weight_ih_l1: [64, 32],
      weight_hh_l1: [64, 16],
      bias_ih_l1: [64],
      bias_hh_l1: [64],
      weight_ih_l1_reverse: [64, 32],
      weight_hh_l1_reverse: [64, 16],
      bias_ih_l1_reverse: [64],
      bias_hh_l1_reverse: [64],
    });
    const all = (await Promise.all(lstm.parameters().map((p) => p.data()))).flatMap((d) => Array.from(d));
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all)).toBeGreaterThan(0.24); // the whole range is used
    expect(Object.keys(new GRU(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih_l0', 'weight_hh_l0']);
    expect(new GRU(2, 3).stateDict()['weight_ih_l0']!.shape).toEqual([9, 2]);
    expect(new RNN(2, 3).stateDict()['weight_hh_l0']!.shape).toEqual([3, 3]);
    expect(String(lstm)).toContain('LSTM(5, 16, numLayers=2, bidirectional=true)');
  });

  it('forward returns every step of [seq, batch, directions * hidden], as forwardWithState', async () => {
    manualSeed(1);
    const gru = new GRU(3, 4, { bidirectional: true, batchFirst: true });
    const x = randn([2, 5, 3]);
    const output = gru.forward(x);
    expect(output.shape).toEqual([2, 5, 8]);
    const { output: same, state } = gru.forwardWithState(x);
    expect(await same.array()).toEqual(await output.array());
    expect(state.h.shape).toEqual([2, 2, 4]); // batchFirst does not apply to the state
    expect(Object.keys(state)).toEqual(['h']);
    // The forward direction's final h is its last step; the reverse one's is its first.
    const h = (await state.h.array()) as number[][][];
    const out = (await output.array()) as number[][][];
    expect(h[0]![1]).toEqual(out[1]![4]!.slice(0, 4));
    expect(h[1]![1]).toEqual(out[1]![0]!.slice(4));
  });

  it('takes unbatched input [seq, input] and state [layers, hidden], as one batch of one', async () => {
    manualSeed(2);
    const lstm = new LSTM(3, 2, { numLayers: 2, batchFirst: true }); // batchFirst does not apply unbatched
    const x = randn([4, 3]);
    const h = randn([2, 2]);
    const c = randn([2, 2]);
    const single = lstm.forwardWithState(x, { h, c });
    expect(single.output.shape).toEqual([4, 2]);
    expect(single.state.h.shape).toEqual([2, 2]);
    expect(single.state.c.shape).toEqual([2, 2]);
    const batched = lstm.forwardWithState(x.reshape([1, 4, 3]), { h: h.reshape([2, 1, 2]), c: c.reshape([2, 1, 2]) });
    expect(await single.output.array()).toEqual(((await batched.output.array()) as number[][][])[0]);
    expect(flat(await single.state.c.array())).toEqual(flat(await batched.state.c.array()));
  });

  it('applies dropout between layers in train mode only, with masks from the default generator', async () => {
    const make = (dropout: number) => {
      manualSeed(3);
      return new LSTM(3, 4, { numLayers: 2, dropout });
    };
    manualSeed(30);
    const x = randn([5, 2, 3]);
    const plain = await make(0).forward(x).array();
    const withDropout = make(0.5);
    const trained = await withDropout.forward(x).array();
    expect(trained).not.toEqual(plain);
    manualSeed(4);
    const first = await withDropout.forward(x).array();
    manualSeed(4);
    expect(await withDropout.forward(x).array()).toEqual(first); // seeded
    expect(await withDropout.eval().forward(x).array()).toEqual(plain);
    // One layer: nothing to drop between (PyTorch warns; the output is the same).
    manualSeed(5);
    const one = new GRU(3, 4, { dropout: 0.9 });
    manualSeed(5);
    expect(await one.forward(x).array()).toEqual(await new GRU(3, 4).forward(x).array());
  });

  it('checks its options, input and state, naming the layer, what it got and what is right', () => {
    expect(() => new LSTM(0, 3)).toThrow('LSTM: inputSize must be a positive integer, got 0');
    expect(() => new GRU(2, 1.5)).toThrow('GRU: hiddenSize must be a positive integer, got 1.5');
    expect(() => new LSTM(2, 3, { numLayers: 0 })).toThrow('LSTM: options.numLayers must be a positive integer, got 0');
    expect(() => new GRU(2, 3, { dropout: 1.5 })).toThrow('GRU: options.dropout must be a number in [0, 1], got 1.5');
    expect(() => new RNN(2, 3, { nonlinearity: 'sigmoid' as 'tanh' })).toThrow(
      "RNN: options.nonlinearity must be 'tanh' or 'relu', got \"sigmoid\"",
    );
    expect(() => new LSTM(2, 3, { batch_first: true } as object)).toThrow(
      "LSTM: unknown option 'batch_first' (allowed: numLayers, bias, batchFirst, dropout, bidirectional, generator, dtype, backend; 'batch_first' is 'batchFirst' here)",
    );
    expect(() => new GRU(2, 3, { nonlinearity: 'relu' } as object)).toThrow("GRU: unknown option 'nonlinearity'");
    expect(() => new LSTM(2, 3, 2 as unknown as object)).toThrow(ArgumentError);

    const lstm = new LSTM(2, 3, { numLayers: 2 });
    expect(() => lstm.forward(randn([4, 2, 5]))).toThrow(
      new ShapeError(
        'LSTM(2 -> 3) got input of shape [4,2,5]: expected [seq, batch, 2], unbatched [seq, 2] or a PackedSequence',
      ),
    );
    expect(() => new GRU(2, 3, { batchFirst: true }).forward(randn([2]))).toThrow(
      'GRU(2 -> 3) got input of shape [2]: expected [batch, seq, 2], unbatched [seq, 2] or a PackedSequence',
    );
    expect(() => lstm.forward(randn([0, 2, 2]))).toThrow(
      'LSTM(2 -> 3) got input of shape [0,2,2]: the sequence is empty',
    );
    expect(() => lstm.forward(randn([4, 2, 2], { dtype: 'float64' }))).toThrow(
      new DTypeError('LSTM(2 -> 3) got input of dtype float64, but its parameters are float32; cast the input'),
    );
    const x = randn([4, 5, 2]);
    const h = randn([2, 5, 3]);
    expect(() => lstm.forwardWithState(x, { h } as never)).toThrow(
      'LSTM(2 -> 3): the initial state needs c, a Tensor of shape [2,5,3]; got undefined',
    );
    expect(() => lstm.forwardWithState(x, { h, c: randn([1, 5, 3]) })).toThrow(
      new ShapeError(
        'LSTM(2 -> 3): the initial state: c has shape [1,5,3], expected [2,5,3] ([numLayers * numDirections, batch, hiddenSize])',
      ),
    );
    expect(() => lstm.forwardWithState(randn([4, 2]), { h, c: h })).toThrow(
      'LSTM(2 -> 3): the initial state: h has shape [2,5,3], expected [2,3] ([numLayers * numDirections, hiddenSize] for unbatched input)',
    );
    expect(() => new GRU(2, 3).forwardWithState(x, { h: randn([1, 5, 3]), c: h } as never)).toThrow(
      "GRU(2 -> 3): the initial state: unknown option 'c' (allowed: h)",
    );
    expect(() => new GRU(2, 3).forwardWithState(x, [h] as never)).toThrow(
      'GRU(2 -> 3): the initial state must be an object { h }',
    );
    expect(() => new RNN(2, 3).forwardWithState(x, { h: randn([1, 5, 3], { dtype: 'float64' }) })).toThrow(
      'RNN(2 -> 3): the initial state: h has dtype float64, but the parameters are float32',
    );
  });

  it('round-trips its config through moduleFromConfig, in a Sequential with SelectTimeStep', async () => {
    const model = new Sequential(
      new LSTM(3, 4, { numLayers: 2, batchFirst: true, dropout: 0.25, bidirectional: true, dtype: 'float64' }),
      new SelectTimeStep(-1, { batchFirst: true }),
      new Linear(8, 2, { dtype: 'float64' }),
    );
    const config = model.config();
    expect(config).toEqual({
      type: 'Sequential',
      modules: [
        {
          type: 'LSTM',
          inputSize: 3,
          hiddenSize: 4,
          numLayers: 2,
          bias: true,
          batchFirst: true,
          dropout: 0.25,
          bidirectional: true,
          dtype: 'float64',
        },
        { type: 'SelectTimeStep', index: -1, batchFirst: true },
        { type: 'Linear', inFeatures: 8, outFeatures: 2, bias: true, dtype: 'float64' },
      ],
    });
    const rebuilt = moduleFromConfig(config);
    expect(rebuilt.config()).toEqual(config);
    rebuilt.loadStateDict(model.stateDict());
    model.eval();
    rebuilt.eval();
    const x = randn([2, 5, 3], { dtype: 'float64' });
    expect(await rebuilt.forward(x).array()).toEqual(await model.forward(x).array());
    expect(model.forward(x).shape).toEqual([2, 2]);
    for (const module of [new GRU(2, 3, { bias: false }), new RNN(2, 3, { nonlinearity: 'relu' }), new RNN(2, 3)])
      expect(moduleFromConfig(module.config()).config()).toEqual(module.config());
    expect(new RNN(2, 3).config()).toMatchObject({ type: 'RNN', nonlinearity: 'tanh' });
    expect(() => moduleFromConfig({ type: 'GRU', inputSize: 2 })).toThrow(
      "moduleFromConfig: GRU option 'hiddenSize' is required (a positive integer)",
    );
    expect(() => moduleFromConfig({ type: 'RNN', inputSize: 2, hiddenSize: 2, nonlinearity: 'gelu' })).toThrow(
      "moduleFromConfig: RNN option 'nonlinearity' must be 'tanh' or 'relu', got \"gelu\"",
    );
  });

  it('SelectTimeStep picks a step along the time axis', async () => {
    const x = tensor([
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      [
        [7, 8],
        [9, 10],
        [11, 12],
      ],
    ]); // [2, 3, 2]
    expect(await new SelectTimeStep().forward(x).array()).toEqual([
      [7, 8],
      [9, 10],
      [11, 12],
    ]);
    expect(await new SelectTimeStep(-1, { batchFirst: true }).forward(x).array()).toEqual([
      [5, 6],
      [11, 12],
    ]);
    expect(
      await new SelectTimeStep(0, { batchFirst: true }).forward(x.slice([0], [1]).reshape([3, 2])).array(),
    ).toEqual([1, 2]);
    expect(() => new SelectTimeStep(3).forward(x)).toThrow(
      'SelectTimeStep(index=3) got input of shape [2,3,2]: expected [seq, batch, feature] or unbatched [seq, feature] with step 3 in range',
    );
  });

  it('the functional cells are one step of the layers', async () => {
    manualSeed(6);
    const x = randn([1, 2, 3], { dtype: 'float64' });
    for (const [module, cell] of [
      [new GRU(3, 4, { dtype: 'float64' }), gruCell],
      [new RNN(3, 4, { dtype: 'float64', nonlinearity: 'relu' }), rnnReluCell],
    ] as const) {
      const h = randn([1, 2, 4], { dtype: 'float64' });
      const [wIh, wHh, bIh, bHh] = module.allWeights[0]!;
      const step = cell(x.reshape([2, 3]), h.reshape([2, 4]), wIh, wHh, bIh, bHh);
      expect(flat(await step.array())).toEqual(flat(await module.forwardWithState(x, { h }).state.h.array()));
    }
    const lstm = new LSTM(3, 4, { dtype: 'float64', bias: false });
    const [h, c] = [randn([1, 2, 4], { dtype: 'float64' }), randn([1, 2, 4], { dtype: 'float64' })];
    const [h1, c1] = lstmCell(x.reshape([2, 3]), [h.reshape([2, 4]), c.reshape([2, 4])], ...lstm.allWeights[0]!);
    const { state } = lstm.forwardWithState(x, { h, c });
    expect(flat(await h1.array())).toEqual(flat(await state.h.array()));
    expect(flat(await c1.array())).toEqual(flat(await state.c.array()));
    expect(() => gruCell(x, h, ...new GRU(3, 4, { dtype: 'float64' }).allWeights[0]!)).toThrow(
      'gruCell: input has shape [1,2,3], expected [batch, 3] (weight_ih is [12,3])',
    );
    expect(() => lstmCell(x.reshape([2, 3]), [h, c], ...lstm.allWeights[0]!)).toThrow(
      'lstmCell: h has shape [1,2,4], expected [2,4] ([batch, hidden])',
    );
  });

  it('leaks nothing: memory stays flat over repeated forward and backward in tidy, and outside it', () => {
    const backend = getBackend();
    manualSeed(7);
    for (const module of [
      new LSTM(3, 4, { numLayers: 2, bidirectional: true, dropout: 0.5 }),
      new GRU(3, 4, { numLayers: 2, batchFirst: true }),
      new RNN(3, 4, { nonlinearity: 'relu' }),
    ]) {
      const x = randn([7, 2, 3]);
      const round = () =>
        tidy(() => {
          const { output, state } = module.forwardWithState(x);
          output.sum().add(state.h.sum()).backward();
        });
      round(); // the parameters' gradients are allocated once
      const before = backend.liveHandles();
      for (let i = 0; i < 3; i++) round();
      expect(backend.liveHandles(), module.typeName).toBe(before);
      // Outside tidy: the result owns its intermediates; disposing the results frees everything.
      const output = module.forward(x);
      const total = output.sum();
      total.backward();
      total.dispose();
      output.dispose();
      const result = module.forwardWithState(x);
      for (const t of Object.values(result.state)) t.dispose();
      result.output.dispose();
      noGrad(() => {
        const { output: o, state } = module.forwardWithState(x);
        for (const t of [o, ...Object.values(state)]) t.dispose();
      });
      module.zeroGrad();
      expect(backend.liveHandles(), `${module.typeName} outside tidy`).toBe(before - module.parameters().length);
      x.dispose();
      module.dispose();
    }
  });
});
