import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  AlphaDropout,
  ArgumentError,
  Bilinear,
  ChannelShuffle,
  DTypeError,
  Dropout1d,
  Dropout2d,
  Dropout3d,
  FeatureAlphaDropout,
  Fold,
  GRUCell,
  Generator,
  LSTMCell,
  RMSNorm,
  RNNCell,
  RReLU,
  ReflectionPad1d,
  ReflectionPad2d,
  Sequential,
  ShapeError,
  Unfold,
  ZeroPad1d,
  ZeroPad2d,
  alphaDropout,
  disposeCheckpoint,
  getBackend,
  moduleFromConfig,
  ones,
  packCheckpoint,
  pad,
  randn,
  rmsNorm,
  rrelu,
  tensor,
  unpackCheckpoint,
  type Module,
  type ModuleConfig,
  type NestedArray,
  type Tensor,
} from '@myelin/core';
import { PYTORCH_LAYERS } from './layers-fixture.js';

const t64 = (values: unknown, requiresGrad = false): Tensor =>
  tensor(values as NestedArray, { dtype: 'float64', requiresGrad });
const flat = (values: unknown): number[] => (Array.isArray(values) ? values.flatMap(flat) : [values as number]);
const values = async (t: Tensor | null | undefined): Promise<number[]> => Array.from(await t!.data());

/** The largest |actual - expected|, relative to max(1, |expected|); the sizes must agree. */
async function maxError(actual: Tensor | null | undefined, expected: unknown): Promise<number> {
  expect(actual).toBeTruthy();
  const want = flat(expected);
  const got = await values(actual);
  expect(got.length).toBe(want.length);
  return got.reduce((worst, value, i) => {
    const w = want[i]!;
    if (Object.is(value, w)) return worst;
    return Math.max(worst, Math.abs(value - w) / Math.max(1, Math.abs(w)));
  }, 0);
}

type Case = (typeof PYTORCH_LAYERS.cases)[number];

/** The module's output(s) for the case's inputs: LSTMCell gives [h', c'], the rest one tensor. */
function run(module: Module, c: Case, inputs: Tensor[]): Tensor[] {
  if (module instanceof LSTMCell) {
    const state = inputs.length === 3 ? { h: inputs[1]!, c: inputs[2]! } : undefined;
    const { h, c: cell } = module.forwardWithState(inputs[0]!, state);
    return [h, cell];
  }
  void c;
  return [(module.forward as (...xs: Tensor[]) => Tensor)(...inputs)];
}

describe('the torch.nn layers added since the first round, against PyTorch (float64, cpu-reference)', () => {
  let worst = 0;
  for (const c of PYTORCH_LAYERS.cases) {
    it(`${c.name}: output and every gradient match torch.nn.${c.config.type}; config and state dict round-trip`, async () => {
      const module = moduleFromConfig(c.config as ModuleConfig, { generator: new Generator(3) });
      module.eval(); // RReLU's fixed slope; no other layer here differs between modes
      const expectedNames = Object.keys(c.parameters);
      expect(module.namedParameters().map(([name]) => name)).toEqual(expectedNames); // PyTorch's names and order
      module.loadStateDict(Object.fromEntries(Object.entries(c.parameters).map(([name, v]) => [name, t64(v)])));
      const inputs = c.inputs.map((x) => t64(x, true));
      const outputs = run(module, c, inputs);
      let loss: Tensor | null = null;
      outputs.forEach((output, i) => {
        expect(output.shape).toEqual(c.outputShapes[i]);
        const term = output.mul(t64(c.outputWeights[i]).reshape(c.outputShapes[i]!)).sum();
        loss = loss === null ? term : loss.add(term);
      });
      (loss as unknown as Tensor).backward();
      const errors: [string, number][] = [];
      for (const [i, output] of outputs.entries()) errors.push([`output ${i}`, await maxError(output, c.outputs[i])]);
      for (const [i, gradient] of c.inputGradients.entries())
        if (gradient !== null) errors.push([`input ${i} gradient`, await maxError(inputs[i]!.grad, gradient)]);
      const parameters = Object.fromEntries(module.namedParameters());
      for (const [name, gradient] of Object.entries(c.parameterGradients))
        errors.push([`${name} gradient`, await maxError(parameters[name]!.grad, gradient)]);
      for (const [what, error] of errors) expect(error, `${c.name}: ${what}`).toBeLessThan(1e-12);
      worst = Math.max(worst, ...errors.map(([, e]) => e));

      // The config is the fixture's own, and a checkpoint rebuilds the same layer.
      expect(module.config()).toEqual(c.config);
      const bytes = await packCheckpoint({ modelConfig: module.config(), modelState: module.stateDict(), epoch: 1 });
      const loaded = unpackCheckpoint(bytes);
      const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig).eval();
      expect(rebuilt.config()).toEqual(module.config());
      expect(rebuilt.toString()).toBe(module.toString());
      rebuilt.loadStateDict(loaded.modelState);
      const again = run(rebuilt, c, inputs);
      for (const [i, output] of again.entries()) expect(await values(output)).toEqual(await values(outputs[i]));
      disposeCheckpoint(loaded);
    });
  }
  it('(worst error over all cases)', () => {
    console.log(`torch.nn layers vs PyTorch: worst relative error ${worst.toExponential(2)}`);
    expect(worst).toBeGreaterThan(0); // the cases ran
  });
});

describe('RNNCell, LSTMCell and GRUCell', () => {
  it("register PyTorch's parameters, initialised in U(-1/sqrt(hiddenSize), 1/sqrt(hiddenSize))", async () => {
    const lstm = new LSTMCell(5, 16, { generator: new Generator(1) });
    expect(Object.fromEntries(lstm.namedParameters().map(([name, p]) => [name, p.shape]))).toEqual({
      weight_ih: [64, 5],
      weight_hh: [64, 16],
      bias_ih: [64],
      bias_hh: [64],
    });
    expect(lstm.weightIh.shape).toEqual([64, 5]);
    const all = (await Promise.all(lstm.parameters().map(values))).flat();
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...all)).toBeGreaterThan(0.24);
    expect(Object.keys(new GRUCell(2, 3, { bias: false }).stateDict())).toEqual(['weight_ih', 'weight_hh']);
    expect(new GRUCell(2, 3).weightHh.shape).toEqual([9, 3]);
    expect(new RNNCell(2, 3).weightIh.shape).toEqual([3, 2]);
    expect(String(new RNNCell(2, 3, { nonlinearity: 'relu', bias: false }))).toContain(
      'RNNCell(2, 3, bias=false, nonlinearity=relu)',
    );
    expect(new RNNCell(2, 3).config()).toEqual({
      type: 'RNNCell',
      inputSize: 2,
      hiddenSize: 3,
      bias: true,
      nonlinearity: 'tanh',
    });
  });

  it('LSTMCell.forward is forwardWithState’s h; a cell steps inside a loop', async () => {
    const cell = new LSTMCell(3, 2, { generator: new Generator(2) });
    const x = randn([4, 3], { generator: new Generator(5) });
    const { h, c } = cell.forwardWithState(x);
    expect(await values(cell.forward(x))).toEqual(await values(h));
    const next = cell.forwardWithState(x, { h, c });
    expect(await values(cell.forward(x, h, c))).toEqual(await values(next.h));
    const gru = new GRUCell(3, 2);
    let state = gru.forward(x);
    for (let i = 0; i < 3; i++) state = gru.forward(x, state);
    expect(state.shape).toEqual([4, 2]);
  });

  it('name the layer, the shape and the fix in their errors, and free what they made', () => {
    const backend = getBackend();
    const cell = new GRUCell(3, 2);
    const [wide, x, h, single, h1, x64] = [
      ones([4, 5]),
      ones([4, 3]),
      ones([3, 2]),
      ones([3]),
      ones([1, 2]),
      ones([4, 3], { dtype: 'float64' }),
    ];
    const before = backend.liveHandles();
    expect(() => cell.forward(wide)).toThrow(ShapeError);
    expect(() => cell.forward(wide)).toThrow(
      'GRUCell(3 -> 2) got input of shape [4,5]: expected [batch, 3] or unbatched [3]',
    );
    expect(() => cell.forward(x, h)).toThrow(
      'GRUCell(3 -> 2): hx has shape [3,2], expected [4,2] ([batch, hiddenSize])',
    );
    expect(() => cell.forward(single, h1)).toThrow(
      'GRUCell(3 -> 2): hx has shape [1,2], expected [2] ([hiddenSize] for unbatched input)',
    );
    expect(() => cell.forward(x64)).toThrow(DTypeError);
    expect(backend.liveHandles()).toBe(before);
    expect(() => new RNNCell(2, 3, { nonlinearity: 'gelu' as never })).toThrow(
      `RNNCell: options.nonlinearity must be 'tanh' or 'relu', got "gelu"`,
    );
    expect(() => new LSTMCell(2, 3, { layers: 2 } as never)).toThrow(ArgumentError);
    expect(() => new LSTMCell(2, 3).forwardWithState(ones([1, 2]), { h: ones([1, 3]) } as never)).toThrow(
      'LSTMCell(2 -> 3): c must be a Tensor of shape [1,3], got undefined',
    );
  });
});

describe('RMSNorm', () => {
  it("defaults eps to the dtype's machine epsilon (torch.finfo(dtype).eps), as torch 2.4's eps=None", async () => {
    // mean(x^2) = 1e-14 is below float32's epsilon (1.19e-7) and above float64's (2.2e-16).
    const x32 = tensor([[1e-7, -1e-7]]);
    const y32 = await values(new RMSNorm(2).forward(x32));
    expect(y32[0]).toBeCloseTo(1e-7 / Math.sqrt(1e-14 + 2 ** -23), 9);
    const y64 = await values(rmsNorm(tensor([[1e-7, -1e-7]], { dtype: 'float64' }), [2]));
    expect(y64[0]).toBeCloseTo(1 / Math.sqrt(1 + Number.EPSILON / 1e-14), 12);
    const norm = new RMSNorm([3], { eps: 1e-3, elementwiseAffine: false });
    expect(norm.weight).toBeNull();
    expect(norm.config()).toEqual({ type: 'RMSNorm', normalizedShape: [3], eps: 1e-3, elementwiseAffine: false });
    expect(new RMSNorm(4).config()).toEqual({
      type: 'RMSNorm',
      normalizedShape: [4],
      eps: null,
      elementwiseAffine: true,
    });
    expect(() => new RMSNorm(4).forward(ones([2, 3]))).toThrow(
      'rmsNorm: input [2,3] does not end in normalizedShape [4]',
    );
  });
});

describe('Bilinear', () => {
  it("has PyTorch's weight [out, in1, in2] and init U(-1/sqrt(in1), 1/sqrt(in1)), and needs two inputs", async () => {
    const layer = new Bilinear(4, 3, 5, { generator: new Generator(7) });
    expect(layer.weight.shape).toEqual([5, 4, 3]);
    expect(layer.bias!.shape).toEqual([5]);
    const all = (await Promise.all(layer.parameters().map(values))).flat();
    expect(Math.max(...all.map(Math.abs))).toBeLessThanOrEqual(0.5);
    expect(Math.max(...all.map(Math.abs))).toBeGreaterThan(0.45);
    expect(() => layer.forward(ones([2, 4]))).toThrow(/takes two inputs/);
    expect(() => layer.forward(ones([2, 4]), ones([3, 3]))).toThrow(ShapeError);
  });
});

describe('RReLU', () => {
  it('draws each slope from U(lower, upper) in train mode, from the given generator, and its gradient is that slope', async () => {
    const x = t64(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? -1 - i / 100 : i / 50)),
      true,
    );
    const layer = new RReLU(0.1, 0.3, { generator: new Generator(11) });
    const y = layer.forward(x);
    y.sum().backward();
    const xs = await values(x);
    const ys = await values(y);
    const gs = await values(x.grad);
    const slopes = xs.map((v, i) => (v > 0 ? 1 : ys[i]! / v));
    for (const [i, v] of xs.entries()) {
      if (v > 0) expect(ys[i]).toBe(v);
      else {
        expect(slopes[i]).toBeGreaterThanOrEqual(0.1);
        expect(slopes[i]).toBeLessThan(0.3);
      }
      expect(gs[i]).toBeCloseTo(slopes[i]!, 12);
    }
    expect(new Set(slopes.filter((s) => s !== 1)).size).toBe(100); // one slope per element
    const same = rrelu(x.detach(), 0.1, 0.3, { training: true, generator: new Generator(11) });
    expect(await values(same)).toEqual(ys);
    layer.eval();
    expect(await values(layer.forward(t64([-2, 3])))).toEqual([-0.4, 3]);
  });
});

describe('AlphaDropout and FeatureAlphaDropout', () => {
  it("keep an element as a x + b and drop it to PyTorch's constant, with PyTorch's a and b", async () => {
    const x = t64(Array.from({ length: 400 }, (_, i) => (i - 200) / 50));
    for (const { p, dropped, a, b } of PYTORCH_LAYERS.alphaDropout) {
      const ys = await values(alphaDropout(x, p, { generator: new Generator(1) }));
      const xs = await values(x);
      let kept = 0;
      for (const [i, y] of ys.entries()) {
        if (Math.abs(y - dropped) < 1e-12 && Math.abs(a * xs[i]! + b - dropped) > 1e-9) continue;
        expect(y).toBeCloseTo(a * xs[i]! + b, 12);
        kept++;
      }
      expect(kept / ys.length).toBeGreaterThan(1 - p - 0.1);
      expect(kept / ys.length).toBeLessThan(1 - p + 0.1);
    }
    const layer = new AlphaDropout(0.3);
    layer.eval();
    expect(layer.forward(x)).toBe(x);
    expect((await values(alphaDropout(x, 1))).map((v) => v + 0)).toEqual(new Array<number>(400).fill(0));
  });

  it('FeatureAlphaDropout drops whole channels', async () => {
    const layer = new FeatureAlphaDropout(0.5, { generator: new Generator(2) });
    const y = (await layer.forward(ones([4, 6, 3], { dtype: 'float64' })).array()) as number[][][];
    for (const sample of y) for (const channel of sample) expect(new Set(channel).size).toBe(1);
    const { dropped } = PYTORCH_LAYERS.alphaDropout[1]!;
    const all = y.flat(2);
    expect(all.some((v) => Math.abs(v - dropped) < 1e-12)).toBe(true);
    expect(() => layer.forward(ones([3]))).toThrow('featureAlphaDropout: expected input of rank >= 2');
  });
});

describe('Dropout1d, Dropout2d and Dropout3d', () => {
  it('zero whole channels of batched and unbatched input and scale the rest by 1 / (1 - p)', async () => {
    const cases: [Module, number[]][] = [
      [new Dropout1d(0.5, { generator: new Generator(3) }), [3, 8, 4]],
      [new Dropout1d(0.5, { generator: new Generator(3) }), [8, 4]],
      [new Dropout2d(0.5, { generator: new Generator(3) }), [3, 8, 2, 2]],
      [new Dropout3d(0.5, { generator: new Generator(3) }), [2, 8, 2, 1, 2]],
      [new Dropout3d(0.5, { generator: new Generator(3) }), [8, 2, 1, 2]],
    ];
    for (const [layer, shape] of cases) {
      const y = await values(layer.forward(ones(shape)));
      const perChannel = shape
        .slice(
          shape.length === 5 ||
            (shape.length === 4 && layer instanceof Dropout2d) ||
            (shape.length === 3 && layer instanceof Dropout1d)
            ? 2
            : 1,
        )
        .reduce((a, d) => a * d, 1);
      const channels = y.length / perChannel;
      let zeroed = 0;
      for (let k = 0; k < channels; k++) {
        const block = new Set(y.slice(k * perChannel, (k + 1) * perChannel));
        expect(block.size).toBe(1);
        const [v] = block;
        expect([0, 2]).toContain(v);
        if (v === 0) zeroed++;
      }
      expect(zeroed).toBeGreaterThan(0);
      expect(zeroed).toBeLessThan(channels);
      layer.eval();
      const x = ones(shape);
      expect(layer.forward(x)).toBe(x);
    }
    expect(() => new Dropout1d().forward(ones([2, 3, 4, 5]))).toThrow(
      'dropout1d: expected [N, C, 1-D features] or unbatched [C, ...] input (rank 3 or 2), got shape [2,3,4,5]',
    );
    expect(() => new Dropout3d().forward(ones([2, 3]))).toThrow(ShapeError);
  });
});

describe('padding, Fold, Unfold and ChannelShuffle', () => {
  it('take one size for every side, check their input, and chain in a Sequential', async () => {
    expect(new ZeroPad2d(2).padding).toEqual([2, 2, 2, 2]);
    expect(() => new ZeroPad2d([1, 2] as never)).toThrow(
      'ZeroPad2d: padding must be an integer or 4 of them (last axis first; negative sizes crop), got [1,2]',
    );
    expect(() => new ReflectionPad1d([-1, 1]).forward(ones([1, 1, 4]))).toThrow(
      'ReflectionPad1d: padding must be a non-negative integer or 2 of them (last axis first), got [-1,1]',
    );
    expect(() => new ZeroPad1d([-3, -2]).forward(ones([1, 1, 4]))).toThrow(
      'pad: paddings [-3, -2] would leave -1 elements of axis 2 (size 4) of shape [1,1,4]: a crop can remove at most the whole axis',
    );
    expect(() => pad(ones([4]), [[-1, 0]], { mode: 'replicate' })).toThrow(
      "pad: mode 'replicate' needs non-negative paddings, got [-1, 0] for axis 0 (only 'constant' crops with negative ones)",
    );
    expect(() => new ReflectionPad2d(1).forward(ones([4, 4]))).toThrow(
      'ReflectionPad2d got input of shape [4,4]: expected rank 4 ([N, C, 2-D]) or 3 (unbatched)',
    );
    expect(() => new ReflectionPad2d(3).forward(ones([1, 1, 3, 3]))).toThrow(/reflect padding \[3, 3\]/);
    const model = new Sequential([new Unfold(2), new Fold(3, 2)]);
    // Fold(Unfold(x)) counts how many windows cover each position.
    expect(await values(model.forward(ones([1, 1, 3, 3])))).toEqual([1, 2, 1, 2, 4, 2, 1, 2, 1]);
    expect(() => new ChannelShuffle(4).forward(ones([1, 6, 2]))).toThrow(
      'channelShuffle: expected [N, C, *] input (rank >= 3) with C divisible by groups 4, got shape [1,6,2]',
    );
    expect(String(new Fold([4, 5], 2, { stride: [1, 2] }))).toContain(
      'Fold(outputSize=[4,5], kernelSize=2, dilation=1, padding=0, stride=[1,2])',
    );
  });
});
