import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  ArgumentError,
  Generator,
  Linear,
  Module,
  ModuleDict,
  ParameterDict,
  ParameterList,
  ReLU,
  disposeCheckpoint,
  moduleFromConfig,
  ones,
  packCheckpoint,
  randn,
  summary,
  tensor,
  zeros,
  unpackCheckpoint,
  type ModuleConfig,
  type Tensor,
} from '@myelin/core';

const values = async (t: Tensor) => Array.from(await t.data());

/** A model using all three containers the way torch code does: layers and weights picked by key. */
class Heads extends Module {
  readonly heads: ModuleDict;
  readonly scales: ParameterList;
  readonly extra: ParameterDict;

  constructor(heads: ModuleDict, scales: ParameterList, extra: ParameterDict) {
    super();
    this.heads = this.registerModule('heads', heads);
    this.scales = this.registerModule('scales', scales);
    this.extra = this.registerModule('extra', extra);
  }

  forward(x: Tensor): Tensor {
    const hidden = this.heads.get('body').forward(x).mul(this.scales.at(0));
    return this.heads.get('out').forward(hidden).add(this.extra.get('shift'));
  }
}

const heads = (seed: number) =>
  new Heads(
    new ModuleDict([
      ['body', new Linear(3, 4, { generator: new Generator(seed) })],
      ['out', new Linear(4, 2, { generator: new Generator(seed + 1) })],
    ]),
    new ParameterList([ones([4]), randn([2, 2], { generator: new Generator(seed + 2) })]),
    new ParameterDict({ shift: tensor([0.5, -0.5]) }),
  );

describe('ModuleDict, ParameterList, ParameterDict', () => {
  it('name parameters as torch does: heads.body.weight, scales.0, extra.shift', () => {
    const model = heads(1);
    expect(model.stateDict() && Object.keys(model.stateDict())).toEqual([
      'heads.body.weight',
      'heads.body.bias',
      'heads.out.weight',
      'heads.out.bias',
      'scales.0',
      'scales.1',
      'extra.shift',
    ]);
    expect(model.parameters()).toHaveLength(7);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(model.getParameter('scales.1').shape).toEqual([2, 2]);
    model.dispose();
  });

  it('behave like torch containers: order, keys, iteration, at, has, update', () => {
    const dict = new ModuleDict({ b: new ReLU() });
    dict.set('a', new Linear(1, 1)).update([['0', new ReLU()]]);
    expect(dict.keys()).toEqual(['b', 'a', '0']); // insertion order, '0' too
    expect([...dict]).toEqual(['b', 'a', '0']);
    expect(dict.length).toBe(3);
    expect(dict.has('a')).toBe(true);
    expect(dict.values()[1]).toBeInstanceOf(Linear);
    expect(dict.entries().map(([key]) => key)).toEqual(['b', 'a', '0']);
    const list = new ParameterList();
    list.append(ones([2])).extend([ones([3])]);
    expect(list.length).toBe(2);
    expect(list.at(-1).shape).toEqual([3]);
    expect([...list].map((p) => p.shape)).toEqual([[2], [3]]);
    const params = new ParameterDict();
    params.set('w', ones([1]));
    expect(params.get('w').requiresGrad).toBe(true);
    expect(params.namedParameters().map(([n]) => n)).toEqual(['w']);
    for (const m of [dict, list, params]) m.dispose();
  });

  it('reject bad keys, values and indices with clear errors', () => {
    const dict = new ModuleDict({ a: new ReLU() });
    expect(() => dict.get('b')).toThrow('ModuleDict.get: no key "b"; its keys are \'a\'');
    expect(() => dict.set('a', new ReLU())).toThrow("cannot register module 'a': the name is already used");
    expect(() => dict.set('x.y', new ReLU())).toThrow(/name must be a non-empty string without '\.'/);
    expect(() => new ModuleDict({ a: 3 as never })).toThrow(/child module 'a' must be a Module, got 3/);
    expect(() => new ModuleDict([['a']] as never)).toThrow(/entry 0 must be a \[key, value\] pair/);
    expect(() => new ModuleDict(5 as never)).toThrow(ArgumentError);
    expect(() => new ParameterList([[1, 2] as never])).toThrow(/parameter '0' must be a Tensor/);
    expect(() => new ParameterList([tensor([1], { dtype: 'int32' })])).toThrow(/must be a float tensor/);
    expect(() => new ParameterList(null as never)).toThrow(/must be an array of tensors, got null/);
    expect(() => new ParameterList().at(0)).toThrow('ParameterList.at: index 0 is out of range for 0 parameters');
    expect(() => new ParameterDict().get('w')).toThrow('ParameterDict.get: no key "w"; its keys are none');
    expect(() => dict.forward(ones([1]))).toThrow(/ModuleDict has no forward/);
    expect(() => new ParameterList().forward(ones([1]))).toThrow(/ParameterList has no forward/);
    dict.dispose();
  });

  it('print as torch lists them', () => {
    const model = heads(1);
    const text = model.toString();
    expect(text).toContain('(scales): ParameterList(\n    (0): Parameter containing: [float32 of size 4]');
    // one entry stays on one line, as torch 1.13 prints it; sizes as torch's 2x3
    expect(text).toContain('(extra): ParameterDict((shift): Parameter containing: [float32 of size 2])');
    expect(new ParameterList([zeros([2, 3])]).toString()).toBe(
      'ParameterList((0): Parameter containing: [float32 of size 2x3])\nParameters: 6 (trainable 6)',
    );
    expect(text).toContain('(heads): ModuleDict(\n    (body): Linear(');
    model.dispose();
  });

  it('round-trip through configs and a checkpoint, keys in order, and show in summary', async () => {
    const model = heads(1);
    const config = JSON.parse(
      JSON.stringify(
        new ModuleDict([
          ['9', new ReLU()],
          ['a', model.scales],
        ]).config(),
      ),
    ) as ModuleConfig;
    expect(config).toEqual({
      type: 'ModuleDict',
      modules: [
        ['9', { type: 'ReLU' }],
        [
          'a',
          {
            type: 'ParameterList',
            parameters: [
              { shape: [4], dtype: 'float32' },
              { shape: [2, 2], dtype: 'float32' },
            ],
          },
        ],
      ],
    });
    const saved = {
      type: 'ModuleDict',
      modules: [
        ['heads', model.heads.config()],
        ['scales', model.scales.config()],
        ['extra', model.extra.config()],
      ],
    };
    const dict = new ModuleDict([
      ['heads', model.heads],
      ['scales', model.scales],
      ['extra', model.extra],
    ]);
    expect(dict.config()).toEqual(saved);
    const bytes = await packCheckpoint({ modelConfig: dict.config(), modelState: dict.stateDict(), epoch: 1 });
    const loaded = unpackCheckpoint(bytes);
    const rebuilt = moduleFromConfig(loaded.modelConfig as ModuleConfig, { generator: new Generator(5) }) as ModuleDict;
    expect(rebuilt.config()).toEqual(saved);
    rebuilt.loadStateDict(loaded.modelState);
    disposeCheckpoint(loaded);
    const again = new Heads(
      rebuilt.get('heads') as ModuleDict,
      rebuilt.get('scales') as ParameterList,
      rebuilt.get('extra') as ParameterDict,
    );
    const x = randn([2, 3], { generator: new Generator(9) });
    expect(await values(again.forward(x))).toEqual(await values(model.forward(x)));
    expect(
      moduleFromConfig({ type: 'ParameterDict', parameters: [['w', { shape: [2], dtype: 'float64' }]] }).stateDict()[
        'w'
      ]!.dtype,
    ).toBe('float64');

    const table = summary(model, [3]);
    expect(table.layers.map((l) => [l.name, l.type, l.outputShape, l.parameters])).toEqual([
      ['heads.body', 'Linear', [1, 4], 16],
      ['heads.out', 'Linear', [1, 2], 10],
      ['scales', 'ParameterList', null, 8],
      ['extra', 'ParameterDict', null, 2],
    ]);
    expect(table.totalParameters).toBe(36);
    model.dispose();
  });

  it('reject bad configs naming the option and the value', () => {
    const fails = (config: unknown) => () => moduleFromConfig(config as ModuleConfig);
    expect(fails({ type: 'ModuleDict', modules: [['a']] })).toThrow(
      `moduleFromConfig: ModuleDict option 'modules'[0] must be a [key, value] pair with a string key, got ["a"]`,
    );
    expect(fails({ type: 'ModuleDict', modules: [['a', { type: 'Nope' }]] })).toThrow(
      /at modules\[0\]: unknown module type "Nope"/,
    );
    expect(fails({ type: 'ParameterList', parameters: [{ shape: [2, -1] }] })).toThrow(
      "moduleFromConfig: ParameterList option 'parameters'[0].shape[1] must be a size >= 0, got -1",
    );
    expect(fails({ type: 'ParameterList', parameters: [{ shape: [2], dtype: 'int32' }] })).toThrow(
      /'parameters'\[0\]\.dtype must be 'float32' or 'float64', got "int32"/,
    );
    expect(fails({ type: 'ParameterDict', parameters: [['w', 3]] })).toThrow(
      /'parameters'\[0\]\[1\] must be \{ shape: \[sizes\], dtype \}, got 3/,
    );
  });
});
