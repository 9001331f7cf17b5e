import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  Generator,
  ArgumentError,
  DTypeError,
  LayerNorm,
  Linear,
  ModuleList,
  MultiheadAttention,
  MyelinError,
  ReLU,
  SelectTimeStep,
  Sequential,
  ShapeError,
  Transformer,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
  dropout,
  generateSquareSubsequentMask,
  logicalNot,
  manualSeed,
  moduleFromConfig,
  noGrad,
  randn,
  scaledDotProductAttention,
  summary,
  tensor,
  tidy,
  Adam,
  crossEntropy,
  concat,
  type Module,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_TRANSFORMER } from './transformer-fixture.js';

type Case = (typeof PYTORCH_TRANSFORMER)[number];
type Mask = { dtype: string; values: unknown };
const t64 = (values: unknown, requiresGrad = false): Tensor =>
  tensor(values as NestedArray, { dtype: 'float64', requiresGrad });
const flat = (values: unknown): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);
const mask = (m: Mask | undefined): Tensor | undefined =>
  m === undefined ? undefined : m.dtype === 'bool' ? tensor(m.values as NestedArray, { dtype: 'bool' }) : t64(m.values);

/** The largest |actual - expected| over all elements; the sizes must agree. */
async function maxError(actual: Tensor | null, expected: unknown): Promise<number> {
  expect(actual).not.toBeNull();
  const want = flat(expected);
  const got = Array.from(await actual!.data());
  expect(got.length).toBe(want.length);
  return got.reduce((worst, value, i) => Math.max(worst, Math.abs(value - want[i]!)), 0);
}

/** The module of a fixture case, in float64, and a function running its PyTorch call. */
function build(c: Case): { module: Module; run: (inputs: Record<string, Tensor>) => [Tensor, Tensor | null] } {
  const extra = c as unknown as {
    embedDim: number;
    numHeads: number;
    dModel: number;
    nhead: number;
    numLayers: number;
  };
  const options = { ...(c.options as Record<string, unknown>), dtype: 'float64' as const };
  const masks = c.masks as Record<string, Mask | undefined>;
  const m = (name: string): Tensor | undefined => mask(masks[name]);
  switch (c.type) {
    case 'MultiheadAttention': {
      const module = new MultiheadAttention(extra.embedDim, extra.numHeads, options);
      const forward = (c as unknown as { forward: { needWeights: boolean; averageAttnWeights: boolean } }).forward;
      return {
        module,
        run: ({ query, key, value }) => {
          const result = module.forwardWithWeights(query!, key ?? query!, value ?? query!, {
            ...forward,
            attnMask: m('attn_mask'),
            keyPaddingMask: m('key_padding_mask'),
          });
          return [result.output, result.weights];
        },
      };
    }
    case 'TransformerEncoderLayer': {
      const module = new TransformerEncoderLayer(extra.dModel, extra.nhead, options);
      return {
        module,
        run: ({ src }) => [
          module.forwardWithMasks(src!, { srcMask: m('src_mask'), srcKeyPaddingMask: m('src_key_padding_mask') }),
          null,
        ],
      };
    }
    case 'TransformerEncoder': {
      const layer = new TransformerEncoderLayer(extra.dModel, extra.nhead, options);
      const module = new TransformerEncoder(layer, extra.numLayers, {
        norm: new LayerNorm(extra.dModel, { dtype: 'float64' }),
      });
      layer.dispose();
      return {
        module,
        run: ({ src }) => [
          module.forwardWithMasks(src!, { mask: m('mask'), srcKeyPaddingMask: m('src_key_padding_mask') }),
          null,
        ],
      };
    }
    case 'TransformerDecoderLayer':
    case 'TransformerDecoder': {
      const layer = new TransformerDecoderLayer(extra.dModel, extra.nhead, options);
      const module =
        c.type === 'TransformerDecoderLayer'
          ? layer
          : new TransformerDecoder(layer, extra.numLayers, { norm: new LayerNorm(extra.dModel, { dtype: 'float64' }) });
      if (module !== layer) layer.dispose();
      const decoderMasks = {
        tgtMask: m('tgt_mask'),
        memoryMask: m('memory_mask'),
        tgtKeyPaddingMask: m('tgt_key_padding_mask'),
        memoryKeyPaddingMask: m('memory_key_padding_mask'),
      };
      return {
        module,
        run: ({ tgt, memory }) => [
          (module as TransformerDecoderLayer | TransformerDecoder).forwardWithMasks(tgt!, memory!, decoderMasks),
          null,
        ],
      };
    }
    case 'Transformer': {
      const module = new Transformer({ ...options, dModel: extra.dModel, nhead: extra.nhead });
      return {
        module,
        run: ({ src, tgt }) => [
          module.forwardWithMasks(src!, tgt!, {
            tgtMask: m('tgt_mask'),
            srcKeyPaddingMask: m('src_key_padding_mask'),
            memoryKeyPaddingMask: m('memory_key_padding_mask'),
          }),
          null,
        ],
      };
    }
  }
  throw new Error(`unknown case type ${String(c.type)}`);
}

describe('attention and Transformer layers against PyTorch (float64, cpu-reference)', () => {
  let worst = 0;
  for (const c of PYTORCH_TRANSFORMER) {
    it(`${c.name}: output${c.weights === null ? '' : ', weights'} and every gradient match torch.nn.${c.type}`, async () => {
      const { module, run } = build(c);
      // PyTorch's state-dict names and shapes load 1:1.
      module.loadStateDict(Object.fromEntries(Object.entries(c.parameters).map(([name, v]) => [name, t64(v)])));
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([name, v]) => [name, t64(v, true)]));
      const [output, weights] = run(inputs);
      let loss = output.mul(t64(c.outputWeights)).sum();
      if (c.weightsWeights !== null) loss = loss.add(weights!.mul(t64(c.weightsWeights)).sum());
      loss.backward();
      const errors: [string, number][] = [['output', await maxError(output, c.output)]];
      if (c.weights !== null) errors.push(['weights', await maxError(weights, c.weights)]);
      else expect(weights).toBeNull();
      for (const [name, gradient] of Object.entries(c.inputGradients))
        errors.push([`${name} gradient`, await maxError(inputs[name]!.grad, gradient)]);
      const parameters = Object.fromEntries(module.namedParameters());
      expect(Object.keys(parameters)).toEqual(Object.keys(c.parameterGradients)); // PyTorch's order too
      for (const [name, gradient] of Object.entries(c.parameterGradients))
        errors.push([`${name} gradient`, await maxError(parameters[name]!.grad, gradient)]);
      for (const [what, error] of errors) expect(error, `${c.name}: ${what}`).toBeLessThan(1e-12);
      worst = Math.max(worst, ...errors.map(([, e]) => e));
      module.dispose();
    });
  }
  it('(worst error over all cases)', () => {
    console.log(`attention and Transformer layers vs PyTorch: worst absolute error ${worst.toExponential(2)}`);
    expect(worst).toBeGreaterThan(0); // the cases ran
  });
});

const allClose = async (a: Tensor, b: Tensor, tolerance = 1e-12): Promise<void> => {
  const [x, y] = [Array.from(await a.data()), Array.from(await b.data())];
  expect(a.shape).toEqual(b.shape);
  expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!)))).toBeLessThan(tolerance);
};

describe('scaledDotProductAttention', () => {
  it('computes softmax(q k^T / sqrt(E) + mask) v, with bool masks true where a query may attend', async () => {
    // One query, two keys: scores (1*1 + 0*0) / sqrt(2) and (1*0 + 0*1) / sqrt(2).
    const q = t64([[[1, 0]]]);
    const k = t64([
      [
        [1, 0],
        [0, 1],
      ],
    ]);
    const v = t64([
      [
        [10, 0],
        [0, 20],
      ],
    ]);
    const p = 1 / (1 + Math.exp(-1 / Math.sqrt(2)));
    await allClose(scaledDotProductAttention(q, k, v), t64([[[10 * p, 20 * (1 - p)]]]));
    const onlySecond = tensor([[false, true]], { dtype: 'bool' });
    await allClose(scaledDotProductAttention(q, k, v, { attnMask: onlySecond }), t64([[[0, 20]]]));
    await allClose(scaledDotProductAttention(q, k, v, { scale: 0 }), t64([[[5, 10]]]));
  });

  it('isCausal is the bool mask of keys at or before each query, and the float mask generateSquareSubsequentMask gives', async () => {
    manualSeed(3);
    const [q, k, v] = [
      randn([2, 3, 4, 8], { dtype: 'float64' }),
      randn([2, 3, 4, 8], { dtype: 'float64' }),
      randn([2, 3, 4, 5], { dtype: 'float64' }),
    ];
    const causal = scaledDotProductAttention(q, k, v, { isCausal: true });
    const blocked = tensor(
      [
        [false, true, true, true],
        [false, false, true, true],
        [false, false, false, true],
        [false, false, false, false],
      ],
      { dtype: 'bool' },
    );
    await allClose(causal, scaledDotProductAttention(q, k, v, { attnMask: logicalNot(blocked) }));
    await allClose(
      causal,
      scaledDotProductAttention(q, k, v, { attnMask: generateSquareSubsequentMask(4, { dtype: 'float64' }) }),
    );
    expect(Array.from(await generateSquareSubsequentMask(3).data())).toEqual([
      0,
      -Infinity,
      -Infinity,
      0,
      0,
      -Infinity,
      0,
      0,
      0,
    ]);
  });

  it('names what is wrong with its arguments', () => {
    const q = randn([2, 3, 4]);
    expect(() => scaledDotProductAttention(q, randn([2, 5, 3]), randn([2, 5, 4]))).toThrow(/key \[2,5,3\]/);
    expect(() =>
      scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: tensor([[true]], { dtype: 'bool' }) }),
    ).toThrow(/either attnMask or isCausal/);
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: tensor([[1, 2]], { dtype: 'int32' }) })).toThrow(
      DTypeError,
    );
    expect(() => scaledDotProductAttention(q, q, q, { attnMask: randn([2, 2]) })).toThrow(
      /does not broadcast to the scores' shape \[2,3,3\]/,
    );
    expect(() => scaledDotProductAttention(q, q, q, { dropoutP: 2 })).toThrow(ArgumentError);
  });
});

describe('dropout (functional)', () => {
  it('is the identity with training false or p 0, zeroes or scales by 1 / (1 - p) otherwise', async () => {
    const x = randn([1000]);
    expect(dropout(x, 0.5, { training: false })).toBe(x);
    expect(dropout(x, 0)).toBe(x);
    const y = await dropout(tensor(new Array(1000).fill(1)), 0.25).data();
    expect(new Set(Array.from(y).map((v) => v.toFixed(6)))).toEqual(new Set(['0.000000', (1 / 0.75).toFixed(6)]));
    expect(() => dropout(x, 1.5)).toThrow(/p must be/);
  });
});

describe('MultiheadAttention', () => {
  it('has PyTorch-shaped parameters and init: xavier-uniform input projection, zero biases', async () => {
    const mha = new MultiheadAttention(16, 4);
    expect(mha.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['in_proj_weight', [48, 16]],
      ['in_proj_bias', [48]],
      ['out_proj.weight', [16, 16]],
      ['out_proj.bias', [16]],
    ]);
    const bound = Math.sqrt(6 / (16 + 48));
    const w = Array.from(await mha.inProjWeight!.data());
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    expect(Array.from(await mha.inProjBias!.data()).every((v) => v === 0)).toBe(true);
    expect(Array.from(await mha.outProj.bias!.data()).every((v) => v === 0)).toBe(true);
    const separate = new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, bias: false, addBiasKV: true });
    expect(separate.namedParameters().map(([n]) => n)).toEqual([
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'bias_k',
      'bias_v',
      'out_proj.weight',
    ]);
  });

  it('self-attention by forward(x) equals forwardWithWeights(x, x, x); unbatched equals a batch of one; isCausal equals a causal mask', async () => {
    manualSeed(4);
    const mha = new MultiheadAttention(8, 2, { batchFirst: true, dtype: 'float64' });
    const x = randn([1, 5, 8], { dtype: 'float64' });
    const full = mha.forwardWithWeights(x, x, x);
    await allClose(mha.forward(x), full.output);
    const unbatched = mha.forwardWithWeights(x.reshape([5, 8]), x.reshape([5, 8]), x.reshape([5, 8]));
    await allClose(unbatched.output, full.output.reshape([5, 8]));
    await allClose(unbatched.weights!, full.weights!.reshape([5, 5]));
    const causal = mha.forwardWithWeights(x, x, x, { isCausal: true });
    const masked = mha.forwardWithWeights(x, x, x, { attnMask: generateSquareSubsequentMask(5, { dtype: 'float64' }) });
    await allClose(causal.output, masked.output);
    expect((await causal.weights!.data())[1]).toBe(0); // query 0 never sees key 1
  });

  it('drops attention weights in train mode only', async () => {
    manualSeed(5);
    const mha = new MultiheadAttention(8, 2, { dropout: 0.5 });
    const x = randn([4, 2, 8]);
    const train = await mha.forward(x).data();
    mha.eval();
    const evalA = await mha.forward(x).data();
    const evalB = await mha.forward(x).data();
    expect(Array.from(evalA)).toEqual(Array.from(evalB));
    expect(Array.from(train)).not.toEqual(Array.from(evalA));
  });

  it('names what is wrong with a call', () => {
    expect(() => new MultiheadAttention(10, 3)).toThrow(/embedDim \(10\) must be divisible by numHeads \(3\)/);
    const mha = new MultiheadAttention(8, 2);
    const x = randn([5, 2, 8]);
    expect(() => mha.forward(randn([5, 2, 7]))).toThrow(
      /query has shape \[5,2,7\], expected \[L, batch, E\] with E = 8/,
    );
    expect(() => mha.forward(randn([5, 2, 3, 8]))).toThrow(/query must be \[L, batch, E\]/);
    expect(() => mha.forward(x, randn([4, 3, 8]), randn([4, 3, 8]))).toThrow(/one batch size/);
    expect(() => mha.forward(x, randn([4, 2, 8]), randn([3, 2, 8]))).toThrow(/one sequence length/);
    expect(() => mha.forwardWithWeights(x, x, x, { keyPaddingMask: tensor([[true]], { dtype: 'bool' }) })).toThrow(
      /keyPaddingMask has shape \[1,1\], expected \[2,5\]/,
    );
    expect(() => mha.forwardWithWeights(x, x, x, { attnMask: randn([5, 4]) })).toThrow(/attnMask has shape \[5,4\]/);
    expect(() => mha.forwardWithWeights(x, x, x, { attnMask: randn([3, 5, 5]) })).toThrow(
      /attnMask has shape \[3,5,5\]/,
    );
    expect(() => mha.forwardWithWeights(x, x, x, { attnMask: tensor([[1]], { dtype: 'int32' }) })).toThrow(DTypeError);
    expect(() => mha.forwardWithWeights(x, x, x, { needWeigths: true } as never)).toThrow(
      /unknown option 'needWeigths'/,
    );
  });
});

describe('Transformer layers and stacks', () => {
  it('a stack holds independent copies of its layer, starting with its weights (as PyTorch)', async () => {
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16 });
    const encoder = new TransformerEncoder(layer, 3, { norm: new LayerNorm(8) });
    expect(encoder.layers.length).toBe(3);
    const names = encoder.namedParameters().map(([n]) => n);
    expect(names.slice(0, 4)).toEqual([
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
      'layers.0.self_attn.out_proj.weight',
      'layers.0.self_attn.out_proj.bias',
    ]);
    expect(names.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    const w0 = (encoder.layers.at(0) as TransformerEncoderLayer).linear1.weight;
    const w2 = (encoder.layers.at(2) as TransformerEncoderLayer).linear1.weight;
    expect(Array.from(await w2.data())).toEqual(Array.from(await layer.linear1.weight.data()));
    noGrad(() => w0.assign(w0.mul(2)));
    expect(Array.from(await w2.data())).toEqual(Array.from(await layer.linear1.weight.data()));
    expect(() => new TransformerEncoder(new Linear(2, 2) as never, 2)).toThrow(/expected a TransformerEncoderLayer/);
    expect(() => new TransformerEncoder(layer, 0)).toThrow(/numLayers/);
  });

  it("bias: false drops every bias, the layer norms' too (PyTorch 2.1)", () => {
    const layer = new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, bias: false });
    expect(layer.namedParameters().map(([n]) => n)).toEqual([
      'self_attn.in_proj_weight',
      'self_attn.out_proj.weight',
      'multihead_attn.in_proj_weight',
      'multihead_attn.out_proj.weight',
      'linear1.weight',
      'linear2.weight',
      'norm1.weight',
      'norm2.weight',
      'norm3.weight',
    ]);
  });

  it('Transformer re-draws every weight matrix with xavier_uniform_ and checks the batch sizes agree', async () => {
    const model = new Transformer({
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
      dimFeedforward: 32,
    });
    const w = model.decoder.layers.at(0) as TransformerDecoderLayer;
    const bound = Math.sqrt(6 / (8 + 32));
    const values = Array.from(await w.linear1.weight.data());
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values.map(Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(model.forward(randn([5, 3, 8]), randn([4, 3, 8])).shape).toEqual([4, 3, 8]);
    expect(() => model.forward(randn([5, 3, 8]), randn([4, 2, 8]))).toThrow(/one batch size/);
    expect(() => model.forward(randn([5, 3, 7]), randn([4, 3, 8]))).toThrow(
      /src must be \[seq, batch, dModel\].*dModel = 8, got \[5,3,7\]/,
    );
  });

  it('round-trip through config and state dict: moduleFromConfig rebuilds each one', async () => {
    manualSeed(6);
    const modules: [Module, Tensor[]][] = [
      [
        new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, addBiasKV: true, addZeroAttn: true, batchFirst: true }),
        [randn([2, 4, 8]), randn([2, 3, 3]), randn([2, 3, 5])],
      ],
      [
        new TransformerEncoder(
          new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, normFirst: true, activation: 'gelu' }),
          2,
        ),
        [randn([4, 2, 8])],
      ],
      [
        new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), 2, {
          norm: new LayerNorm(8),
        }),
        [randn([2, 3, 8]), randn([2, 5, 8])],
      ],
      [
        new Transformer({
          dModel: 8,
          nhead: 2,
          numEncoderLayers: 1,
          numDecoderLayers: 2,
          dimFeedforward: 16,
          bias: false,
        }),
        [randn([5, 2, 8]), randn([3, 2, 8])],
      ],
    ];
    for (const [module, inputs] of modules) {
      module.eval();
      const copy = moduleFromConfig(JSON.parse(JSON.stringify(module.config())) as ReturnType<Module['config']>);
      copy.loadStateDict(module.stateDict());
      copy.eval();
      expect(copy.toString()).toBe(module.toString());
      await allClose(
        copy.forward(inputs[0]!, ...inputs.slice(1)),
        module.forward(inputs[0]!, ...inputs.slice(1)),
        1e-6,
      );
    }
    const list = new ModuleList(new Linear(2, 3), new ReLU());
    expect(moduleFromConfig(list.config()).toString()).toBe(list.toString());
    expect(() => list.forward(randn([2]))).toThrow(MyelinError);
    expect(() =>
      moduleFromConfig({
        type: 'TransformerEncoder',
        encoderLayer: { type: 'Linear', inFeatures: 2, outFeatures: 2 },
        numLayers: 1,
        norm: null,
      }),
    ).toThrow(/encoderLayer must be a TransformerEncoderLayer config/);
  });

  it('works in a Sequential (encoder layer -> last step -> Linear) and in summary()', () => {
    const model = new Sequential(
      new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }),
      new SelectTimeStep(-1, { batchFirst: true }),
      new Linear(8, 3),
    );
    const result = summary(model, [6, 8], { batchSize: 4 });
    const rows = Object.fromEntries(result.layers.map((l) => [l.name, l.outputShape]));
    // A layer with children shows its children; MultiheadAttention has parameters of its own, so a row.
    expect(rows).toMatchObject({
      '0.self_attn': [4, 6, 8],
      '0.linear1': [4, 6, 16],
      '0.norm2': [4, 6, 8],
      '1': [4, 8],
      '2': [4, 3],
    });
    expect(result.layers.every((l) => l.outputShape !== null)).toBe(true);
  });

  it('with a key padding mask, padding changes nothing at the real positions (any pad length, any pad values)', async () => {
    manualSeed(8);
    const encoder = new TransformerEncoder(
      new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, dtype: 'float64' }),
      2,
    ).eval();
    const tokens = randn([1, 3, 8], { dtype: 'float64' });
    const alone = encoder.forward(tokens);
    for (const padding of [1, 4]) {
      const padded = concat([tokens, randn([1, padding, 8], { dtype: 'float64' }).mul(100)], 1);
      const mask = tensor([[...[false, false, false], ...new Array<boolean>(padding).fill(true)]], { dtype: 'bool' });
      const out = encoder.forwardWithMasks(padded, { srcKeyPaddingMask: mask });
      await allClose(out.slice([0, 0, 0], [1, 3, 8]), alone, 1e-12);
    }
  });

  it('an encoder learns a task that needs attention across positions: is the first token equal to the last?', () => {
    // Each sequence is 6 one-hot tokens of 4 kinds; the label says whether token 0 equals token 5.
    manualSeed(7);
    const batch = 64;
    // Seeded tokens (Math.random made the task, and the loss reached, differ from run to run).
    const draws = new Generator(11).integers(batch * 6, 0, 4);
    const tokens = Array.from({ length: batch }, (_, i) => {
      const seq = Array.from(draws.subarray(i * 6, i * 6 + 6));
      if (i % 2 === 0) seq[5] = seq[0]!;
      else if (seq[5] === seq[0]) seq[5] = (seq[0]! + 1) % 4;
      return seq;
    });
    const x = tensor(tokens.map((seq) => seq.map((t, p) => [...[0, 1, 2, 3].map((k) => (k === t ? 1 : 0)), p / 5])));
    const y = tensor(
      tokens.map((seq) => (seq[0] === seq[5] ? 1 : 0)),
      { dtype: 'int32' },
    );
    const model = new Sequential(
      new Linear(5, 16),
      new TransformerEncoderLayer(16, 4, { dimFeedforward: 32, dropout: 0, batchFirst: true }),
      new SelectTimeStep(-1, { batchFirst: true }),
      new Linear(16, 2),
    );
    const optimizer = new Adam(model.parameters(), { lr: 0.01 });
    const losses: number[] = [];
    for (let step = 0; step < 150; step++) {
      const loss = tidy(() => {
        optimizer.zeroGrad();
        const l = crossEntropy(model.forward(x), y);
        l.backward();
        optimizer.step();
        return l.dataSync()[0]!;
      });
      losses.push(loss);
    }
    expect(losses[0]).toBeGreaterThan(0.6);
    expect(Math.min(...losses.slice(-10))).toBeLessThan(0.1);
  });
});

describe('LayerNorm bias option', () => {
  it('bias: false keeps the weight only and round-trips through its config', () => {
    const norm = new LayerNorm(4, { bias: false });
    expect(norm.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(
      moduleFromConfig(norm.config())
        .namedParameters()
        .map(([n]) => n),
    ).toEqual(['weight']);
    expect(() => new LayerNorm(4, { bias: 1 as never })).toThrow(ArgumentError);
  });
});

void ShapeError;
