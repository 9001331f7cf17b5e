import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { createCpuReferenceBackend } from '@myelin/backend-cpu-reference';
import { Generator, type Tensor, fromHost, getBackend, noGrad, ones, tensor, tidy, zeros } from '@myelin/core';
import { Linear, Module, ReLU, Sequential } from './index.js';
import { moduleInternals } from './module.js';

const values = async (t: Tensor | null) => Array.from(await t!.data());

/** A custom module with its own parameter, a buffer and a nested block. */
class Block extends Module {
  readonly scale: Tensor;
  readonly block: Sequential;
  constructor(generator = new Generator(1)) {
    super();
    this.block = this.registerModule(
      'block',
      new Sequential(new Linear(3, 4, { generator }), new ReLU(), new Linear(4, 2, { generator })),
    );
    this.scale = this.registerParameter('scale', ones([2]));
    this.registerBuffer('steps', zeros([], { dtype: 'int32' }));
  }
  forward(x: Tensor): Tensor {
    return this.block.forward(x).mul(this.scale);
  }
}

describe('Module bookkeeping', () => {
  it('names parameters with dots, own ones first, in registration order', () => {
    const model = new Block();
    expect(model.namedParameters().map(([name, p]) => [name, p.shape])).toEqual([
      ['scale', [2]],
      ['block.0.weight', [4, 3]],
      ['block.0.bias', [4]],
      ['block.2.weight', [2, 4]],
      ['block.2.bias', [2]],
    ]);
    expect(model.parameters().every((p) => p.requiresGrad)).toBe(true);
    expect(model.namedBuffers().map(([name]) => name)).toEqual(['steps']);
    expect(model.children().map(([name]) => name)).toEqual(['block']);
    expect(model.namedModules().map(([name, m]) => `${name}:${m.typeName}`)).toEqual([
      ':Block',
      'block:Sequential',
      'block.0:Linear',
      'block.1:ReLU',
      'block.2:Linear',
    ]);
    expect(model.numParameters()).toBe(2 + 12 + 4 + 8 + 2);
    expect(Object.keys(model.stateDict())).toEqual([
      'scale',
      'steps',
      'block.0.weight',
      'block.0.bias',
      'block.2.weight',
      'block.2.bias',
    ]);
    model.dispose();
  });

  it('lists a shared parameter once, but the state dict under every name like PyTorch', () => {
    const shared = new Linear(2, 2);
    const model = new Sequential(shared, new ReLU(), shared);
    expect(model.namedParameters().map(([name]) => name)).toEqual(['0.weight', '0.bias']);
    expect(model.numParameters()).toBe(6);
    expect(Object.keys(model.stateDict())).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    expect(model.stateDict()['2.weight']).toBe(shared.weight);
    model.dispose();
  });

  it('refuses bad names, duplicate names, int parameters and cycles', () => {
    class Bad extends Module {
      forward(x: Tensor): Tensor {
        return x;
      }
      add(name: string, t: Tensor): void {
        this.registerParameter(name, t);
      }
      child(name: string, m: Module): void {
        this.registerModule(name, m);
      }
    }
    const bad = new Bad();
    expect(() => bad.add('a.b', zeros([1]))).toThrow(
      'Bad: parameter name must be a non-empty string without \'.\', got "a.b"',
    );
    bad.add('w', zeros([1]));
    expect(() => bad.add('w', zeros([1]))).toThrow(
      "Bad: cannot register parameter 'w': the name is already used by a parameter",
    );
    expect(() => bad.add('n', zeros([1], { dtype: 'int32' }))).toThrow(
      "Bad: parameter 'n' must be a float tensor to take gradients, got dtype int32",
    );
    const outer = new Bad();
    outer.child('inner', bad);
    expect(() => bad.child('outer', outer)).toThrow(/would make a cycle/);
    outer.dispose();
  });

  it('switches train/eval mode recursively and zeroes gradients', async () => {
    const model = new Block();
    expect(model.training).toBe(true);
    expect(model.eval()).toBe(model);
    expect(model.namedModules().every(([, m]) => !m.training)).toBe(true);
    model.train();
    expect(model.block.at(1).training).toBe(true);
    expect(() => model.train('no' as never)).toThrow('Block.train: mode must be true or false, got "no"');
    tidy(() =>
      model
        .forward(ones([5, 3]))
        .sum()
        .backward(),
    );
    expect(model.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(await values(model.scale.grad)).toHaveLength(2);
    model.zeroGrad();
    expect(model.parameters().every((p) => p.grad === null)).toBe(true);
    model.dispose();
  });

  it('gives a clear error when a custom module has no config()', () => {
    const model = new Block();
    expect(() => model.config()).toThrow(
      /Block does not describe itself: override config\(\) and call registerModuleType\('Block'/,
    );
    model.dispose();
  });
});

describe('state dicts', () => {
  it('returns the live tensors and copies values in on load', async () => {
    const a = new Block(new Generator(1));
    const b = new Block(new Generator(2));
    const state = a.stateDict();
    expect(state['block.0.weight']).toBe((a.block.at(0) as Linear).weight);
    expect(await values(b.stateDict()['block.0.weight']!)).not.toEqual(await values(state['block.0.weight']!));
    const bWeight = (b.block.at(0) as Linear).weight;
    b.loadStateDict(state);
    expect((b.block.at(0) as Linear).weight).toBe(bWeight); // same tensor object, new values
    for (const [key, tensorA] of Object.entries(state))
      expect(await values(b.stateDict()[key]!)).toEqual(await values(tensorA));
    noGrad(() => a.scale.assign(a.scale.mul(3)));
    expect(await values(b.scale)).toEqual([1, 1]); // a copy, not shared storage
    a.dispose();
    b.dispose();
  });

  it('lists missing keys, unexpected keys and shape mismatches, and changes nothing', async () => {
    const model = new Sequential(new Linear(2, 3), new Linear(3, 1));
    const before = await values(model.stateDict()['1.weight']!);
    const state = { '0.weight': zeros([2, 3]), '0.bias': zeros([3]), '1.weight': zeros([1, 3]), extra: zeros([1]) };
    const attempt = () => model.loadStateDict(state);
    expect(attempt).toThrow(
      'Sequential.loadStateDict: nothing was loaded:\n  missing keys: 1.bias\n  unexpected keys: extra\n  0.weight: expected shape [3,2], got [2,3]',
    );
    expect(await values(model.stateDict()['1.weight']!)).toEqual(before);
    // Non-strict loading skips missing and unexpected keys but never a wrong shape.
    expect(() => model.loadStateDict(state, { strict: false })).toThrow(
      /^Sequential.loadStateDict: nothing was loaded:\n {2}0.weight: expected shape \[3,2\], got \[2,3\]$/,
    );
    state['0.weight'] = zeros([3, 2]);
    // What was skipped is returned, as PyTorch's missing_keys / unexpected_keys (it returned nothing).
    expect(model.loadStateDict(state, { strict: false })).toEqual({
      missingKeys: ['1.bias'],
      unexpectedKeys: ['extra'],
    });
    expect(await values(model.stateDict()['1.weight']!)).toEqual([0, 0, 0]);
    // PyTorch's positional strict (load_state_dict(sd, False)) is refused, not read as strict.
    expect(() => model.loadStateDict(state, false as never)).toThrow(
      'Sequential.loadStateDict: options must be an object like { strict: false }, got false',
    );
    expect(() => model.loadStateDict({ '0.weight': 3 } as never, { strict: false })).toThrow(
      '0.weight: expected a Tensor, got 3',
    );
    // An int32 (or bool) tensor is not silently cast into a float weight.
    state['0.weight'] = zeros([3, 2], { dtype: 'int32' });
    expect(() => model.loadStateDict(state, { strict: false })).toThrow(
      /^Sequential.loadStateDict: nothing was loaded:\n {2}0.weight: expected dtype float32 \(or another float dtype\), got int32; cast it first if it is meant$/,
    );
    for (const t of Object.values(state)) t.dispose();
    model.dispose();
  });

  it('casts dtypes and moves tensors from another backend', async () => {
    const model = new Linear(2, 1);
    const other = createCpuReferenceBackend();
    const state = {
      weight: fromHost(new Float64Array([0.25, -0.5]), [1, 2], { backend: other }),
      bias: tensor([3], { dtype: 'float64' }),
    };
    model.loadStateDict(state);
    expect(model.weight.dtype).toBe('float32');
    expect(model.weight.backend).toBe(getBackend());
    expect(await values(model.weight)).toEqual([0.25, -0.5]);
    expect(await values(model.bias)).toEqual([3]);
    expect(other.liveHandles()).toBe(1);
    for (const t of Object.values(state)) t.dispose();
    model.dispose();
  });
});

describe('memory', () => {
  it('leaves live handles where they started after create, forward, backward and dispose', () => {
    const backend = getBackend();
    const start = backend.liveHandles();
    const x = ones([4, 3]);
    const model = new Block();
    const afterCreate = backend.liveHandles();
    for (let step = 0; step < 3; step++) {
      tidy(() => {
        model.forward(x).sum().backward();
        model.zeroGrad();
      });
      expect(backend.liveHandles()).toBe(afterCreate);
    }
    expect(model.parameters().every((p) => !p.isDisposed)).toBe(true);
    // Outside tidy under noGrad, Sequential frees its intermediates at once.
    const y = noGrad(() => model.block.forward(x));
    expect(backend.liveHandles()).toBe(afterCreate + 1);
    y.dispose();
    model.dispose();
    x.dispose();
    expect(backend.liveHandles()).toBe(start);
  });

  it('keeps the parameters of a model built and run inside tidy', () => {
    const backend = getBackend();
    const start = backend.liveHandles();
    let model!: Linear;
    tidy(() => {
      model = new Linear(3, 2);
      model.forward(ones([1, 3]));
    });
    expect(model.weight.isDisposed).toBe(false);
    expect(model.bias!.isDisposed).toBe(false);
    expect(backend.liveHandles()).toBe(start + 2);
    model.dispose();
    expect(backend.liveHandles()).toBe(start);
  });
});

describe('moduleInternals (internal: weightNorm, spectralNorm and parametrize move tensors through it)', () => {
  it('unregisters a parameter or buffer, keeping the order of the rest, and registers new ones at the end', () => {
    const model = new Block();
    const scale = moduleInternals.unregister(model, 'parameter', 'scale');
    expect(scale).toBe(model.scale);
    const steps = moduleInternals.unregister(model, 'buffer', 'steps');
    moduleInternals.registerParameter(model, 'scale_v', scale);
    moduleInternals.registerBuffer(model, 'steps_u', steps);
    expect(Object.keys(model.stateDict())).toEqual([
      'scale_v',
      'steps_u',
      'block.0.weight',
      'block.0.bias',
      'block.2.weight',
      'block.2.bias',
    ]);
    expect(() => moduleInternals.unregister(model, 'parameter', 'scale')).toThrow(
      "Block has no parameter 'scale'; its parameters are 'scale_v'",
    );
    expect(() => moduleInternals.unregister(model, 'buffer', 'scale_v')).toThrow(/has no buffer 'scale_v'/);
    expect(moduleInternals.isBuffer(model, 'steps_u')).toBe(true);
    expect(moduleInternals.isBuffer(model, 'scale_v')).toBe(false);
  });

  it('adds and removes a child', () => {
    const model = new Block();
    moduleInternals.registerModule(model, 'extra', new ReLU());
    expect(model.children().map(([name]) => name)).toEqual(['block', 'extra']);
    moduleInternals.unregisterModule(model, 'extra');
    expect(model.children().map(([name]) => name)).toEqual(['block']);
    expect(() => moduleInternals.unregisterModule(model, 'extra')).toThrow(
      "Block has no child 'extra'; its children are 'block'",
    );
  });
});
