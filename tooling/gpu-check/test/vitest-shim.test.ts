// The vitest shim against vitest's own semantics for what the conformance suites use: counts,
// skips, hooks, timeouts, matchers; and the runner's exit codes. (The whole-suite check, the same
// 726 cases as `vitest run` on cpu, is the bundled runner's run in docs/gpu-check.md.)
import { beforeEach, describe, expect, it } from 'vitest';
import * as shim from '../src/vitest-shim.js';
import { runConformanceFile } from '../src/runner.js';

const quiet = { report: () => {} };

beforeEach(() => shim.resetShim());

describe('vitest shim: registration and totals', () => {
  it('counts passed, failed, skipped (it.skip, context.skip, skipIf) and todo like vitest', async () => {
    shim.describe('outer', () => {
      shim.it('passes', () => {});
      shim.it('fails', () => {
        throw new Error('boom');
      });
      shim.it.skip('skipped by it.skip', () => {});
      shim.test.todo('a todo');
      shim.describe('inner', () => {
        shim.it('skips itself', (context) => context.skip('no kernel'));
        shim.it('skip(false) goes on', (context) => context.skip(false, 'not skipped'));
        shim.it.skipIf(true)('skipIf(true)', () => {});
        shim.it.runIf(true)('runIf(true)', async () => {});
      });
      shim.describe.skip('skipped suite', () => {
        shim.it('not run', () => {
          throw new Error('must not run');
        });
      });
    });
    const reports: shim.TestReport[] = [];
    const totals = await shim.runCollected({ report: (r) => reports.push(r) });
    expect(totals).toEqual({ passed: 3, failed: 1, skipped: 4, todo: 1, total: 9, hookErrors: 0 });
    expect(reports.map((r) => `${r.state} ${r.name}`)).toEqual([
      'passed outer > passes',
      'failed outer > fails',
      'skipped outer > skipped by it.skip',
      'todo outer > a todo',
      'skipped outer > inner > skips itself',
      'passed outer > inner > skip(false) goes on',
      'skipped outer > inner > skipIf(true)',
      'passed outer > inner > runIf(true)',
      'skipped outer > skipped suite > not run',
    ]);
    expect(reports[1]!.detail).toContain('Error: boom');
    expect(reports[4]!.detail).toBe('no kernel');
    expect(shim.listCollected()).toHaveLength(9);
  });

  it('runs only the .only tests when there are any, and counts the rest as skipped', async () => {
    shim.it('plain', () => {});
    shim.it.only('chosen', () => {});
    shim.describe.only('chosen suite', () => shim.it('inside', () => {}));
    const totals = await shim.runCollected(quiet);
    expect(totals).toMatchObject({ passed: 2, skipped: 1, total: 3 });
  });

  it('fails a test that outlives its timeout (its own, else the default)', async () => {
    shim.it('slow', () => new Promise((resolve) => setTimeout(resolve, 200)), 20);
    shim.it('default', () => new Promise((resolve) => setTimeout(resolve, 200)));
    shim.it('options form', { timeout: 1000 }, () => new Promise((resolve) => setTimeout(resolve, 5)));
    const reports: shim.TestReport[] = [];
    const totals = await shim.runCollected({ report: (r) => reports.push(r), timeout: 50 });
    expect(totals).toMatchObject({ passed: 1, failed: 2 });
    expect(reports[0]!.detail).toBe('test timed out in 20ms');
    expect(reports[1]!.detail).toBe('test timed out in 50ms');
  });

  it('runs hooks in vitest order; a failing beforeAll fails its tests, a failing afterAll is an error', async () => {
    const order: string[] = [];
    shim.describe('a', () => {
      shim.beforeAll(() => void order.push('beforeAll a'));
      shim.beforeEach(() => void order.push('beforeEach a'));
      shim.afterEach(() => void order.push('afterEach a'));
      shim.afterAll(() => void order.push('afterAll a'));
      shim.describe('b', () => {
        shim.beforeEach(() => void order.push('beforeEach b'));
        shim.afterEach(() => void order.push('afterEach b'));
        shim.it('t', () => void order.push('t'));
      });
    });
    shim.describe('broken', () => {
      shim.beforeAll(() => {
        throw new Error('setup failed');
      });
      shim.afterAll(() => {
        throw new Error('teardown failed');
      });
      shim.it('x', () => {});
      shim.it('y', () => {});
    });
    const totals = await shim.runCollected(quiet);
    expect(order).toEqual([
      'beforeAll a',
      'beforeEach a',
      'beforeEach b',
      't',
      'afterEach b',
      'afterEach a',
      'afterAll a',
    ]);
    expect(totals).toEqual({ passed: 1, failed: 2, skipped: 0, todo: 0, total: 3, hookErrors: 1 });
  });

  it('rejects an async describe callback instead of losing its tests', () => {
    expect(() => shim.describe('async', async () => {})).toThrow('async describe callback is not supported');
  });
});

describe('vitest shim: expect', () => {
  const fails = (fn: () => unknown, message: string | RegExp) => expect(fn).toThrow(message);

  it('toBe, toEqual, toBeDefined, toBeGreaterThan, toBeLessThan as the conformance suites use them', () => {
    shim.expect(1, 'one').toBe(1);
    shim.expect({ a: [1, 2], b: undefined }).toEqual({ a: [1, 2] });
    shim.expect(new Float32Array([1, 2])).toEqual(new Float32Array([1, 2]));
    shim.expect([]).toEqual([]);
    shim.expect(null).toEqual(null);
    shim.expect(0).toBeDefined();
    shim.expect(2).toBeGreaterThan(1);
    shim.expect(1).toBeLessThan(2);
    shim.expect(1).not.toBe(2);
    fails(() => shim.expect(3, 'live handles after step 50').toBe(2), 'live handles after step 50: expected 3 to be 2');
    fails(() => shim.expect(['relu']).toEqual([]), "expected [ 'relu' ] to deeply equal []");
    fails(() => shim.expect(new Float32Array([1])).toEqual(new Float64Array([1])), 'to deeply equal');
    fails(() => shim.expect(undefined, 'entry').toBeDefined(), 'entry: expected undefined to be defined');
    fails(() => shim.expect(1).toBeGreaterThan(1), 'expected 1 to be greater than 1');
    fails(() => shim.expect(2, 'loss').toBeLessThan(1), 'loss: expected 2 to be less than 1');
    fails(() => shim.expect(1).not.toBe(1), 'expected 1 not to be 1');
  });

  it('toBeTypeOf and toBeInstanceOf as the CUDA engine tests use them', () => {
    shim.expect(() => {}).toBeTypeOf('function');
    shim.expect(undefined).not.toBeTypeOf('function');
    shim.expect(new RangeError('x')).toBeInstanceOf(Error);
    fails(() => shim.expect(1, 'readSync').toBeTypeOf('function'), 'readSync: expected 1 to be of type function');
  });

  it('rejects.toThrow checks the rejection, and fails when the promise resolves', async () => {
    await shim
      .expect(Promise.reject(new Error("backend 'x' has no fused adamUpdate kernel")))
      .rejects.toThrow('has no fused adamUpdate kernel');
    await expect(shim.expect(Promise.resolve(1)).rejects.toThrow('x')).rejects.toThrow(
      'expected the promise to reject',
    );
    await expect(shim.expect(Promise.reject(new Error('other'))).rejects.toThrow('wanted')).rejects.toThrow('to match');
  });

  it('an unsupported matcher fails its test loudly', () => {
    const assertion = shim.expect(1) as unknown as Record<string, () => void>;
    fails(() => assertion.toMatchSnapshot!(), 'toMatchSnapshot() is not supported by the gpu-check vitest shim');
  });
});

describe('conformance runner: exit codes', () => {
  const run = (register: () => void) => {
    const printed: string[] = [];
    const code = runConformanceFile({ backend: 'test', load: async () => register(), print: (t) => printed.push(t) });
    return code.then((c) => ({ code: c, printed: printed.join('\n') }));
  };

  it('0 when everything that ran passed, with vitest-style totals', async () => {
    const { code, printed } = await run(() => {
      shim.it('a', () => {});
      shim.it.skip('b', () => {});
    });
    expect(code).toBe(0);
    expect(printed).toContain('      Tests  1 passed | 1 skipped (2)');
    expect(printed).toContain('RESULT conformance test: PASS 1 passed, 0 failed, 1 skipped, 0 todo, 2 tests');
  });

  it('1 on a failing test, and 1 when nothing passed (a suite that skipped itself)', async () => {
    expect((await run(() => shim.it('a', () => shim.expect(1).toBe(2)))).code).toBe(1);
    const skipped = await run(() => shim.it.skip('the whole suite (skipped: no GPU)', () => {}));
    expect(skipped.code).toBe(1);
    expect(skipped.printed).toContain('nothing passed');
  });

  it('2 when the test file does not load', async () => {
    const printed: string[] = [];
    const code = await runConformanceFile({
      backend: 'test',
      load: () => Promise.reject(new Error('Cannot find module myelin_cuda.node')),
      print: (t) => printed.push(t),
    });
    expect(code).toBe(2);
    expect(printed.join('\n')).toContain('Cannot find module myelin_cuda.node');
  });
});
