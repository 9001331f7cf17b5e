// The part of vitest's API that the conformance suites use, for the standalone runner that the
// GPU machine (no Node.js install, no network, so no vitest) runs: the runner's bundle aliases
// `vitest` to this module. Tests register as vitest collects them (describe callbacks run at once,
// in order; `it` records a case), then `runCollected` runs them one after another, in definition
// order, with vitest's semantics for the parts used here: nested describe, it/test with a timeout
// (default 60 s, as @myelin/vitest-preset), it.skip / it.todo / it.only / skipIf / runIf, the four
// hooks, a context with skip() and annotate(), and the expect matchers listed in MATCHERS. Anything
// else fails loudly: an unknown matcher fails its test, a missing export fails the bundle.
import { inspect } from 'node:util';

type Mode = 'run' | 'skip' | 'todo' | 'only';
type Hook = () => unknown;

/** What a test function receives (the subset of vitest's TestContext the suites use). */
export interface TestContext {
  /** Ends the test as skipped (vitest's context.skip); `skip(condition, note)` only when condition holds. */
  skip(note?: string): never;
  skip(condition: boolean, note?: string): void;
  /** Attaches a note to the test; the runner prints it. */
  annotate(message: string): Promise<void>;
  task: { name: string };
  expect: typeof expect;
}

type TestFunction = (context: TestContext) => unknown;

interface TestEntry {
  kind: 'test';
  name: string;
  fn: TestFunction | undefined;
  timeout: number | undefined;
  mode: Mode;
  parent: SuiteEntry;
}

interface SuiteEntry {
  kind: 'suite';
  name: string;
  mode: Mode;
  children: (TestEntry | SuiteEntry)[];
  hooks: { beforeAll: Hook[]; afterAll: Hook[]; beforeEach: Hook[]; afterEach: Hook[] };
  parent: SuiteEntry | undefined;
}

const newSuite = (name: string, mode: Mode, parent: SuiteEntry | undefined): SuiteEntry => ({
  kind: 'suite',
  name,
  mode,
  children: [],
  hooks: { beforeAll: [], afterAll: [], beforeEach: [], afterEach: [] },
  parent,
});

let root = newSuite('', 'run', undefined);
let current = root;

/** Forgets everything registered (the shim's own tests collect several suites in one process). */
export function resetShim(): void {
  root = newSuite('', 'run', undefined);
  current = root;
}

// ---------------------------------------------------------------------------------------------
// Registration

function registerSuite(mode: Mode, name: string, fn?: () => unknown): void {
  const suite = newSuite(name, mode, current);
  current.children.push(suite);
  if (fn === undefined) return;
  current = suite;
  try {
    const result = fn();
    if (result instanceof Promise)
      throw new Error(`describe('${name}'): an async describe callback is not supported by the gpu-check vitest shim`);
  } finally {
    current = suite.parent!;
  }
}

type TestOptions = { timeout?: number; skip?: boolean; todo?: boolean; only?: boolean };

function registerTest(
  mode: Mode,
  name: string,
  second?: TestFunction | TestOptions | number,
  third?: TestFunction | TestOptions | number,
): void {
  let fn: TestFunction | undefined;
  let timeout: number | undefined;
  for (const argument of [second, third]) {
    if (typeof argument === 'function') fn = argument;
    else if (typeof argument === 'number') timeout = argument;
    else if (argument !== undefined) {
      timeout = argument.timeout ?? timeout;
      if (argument.skip) mode = 'skip';
      else if (argument.todo) mode = 'todo';
      else if (argument.only) mode = 'only';
    }
  }
  if (fn === undefined && mode === 'run') mode = 'todo';
  current.children.push({ kind: 'test', name, fn, timeout, mode, parent: current });
}

type TestRegistrar = (
  name: string,
  second?: TestFunction | TestOptions | number,
  third?: TestFunction | TestOptions | number,
) => void;
type SuiteRegistrar = (name: string, fn?: () => unknown) => void;

interface TestApi extends TestRegistrar {
  skip: TestRegistrar;
  todo: TestRegistrar;
  only: TestRegistrar;
  skipIf(condition: unknown): TestRegistrar;
  runIf(condition: unknown): TestRegistrar;
}

interface SuiteApi extends SuiteRegistrar {
  skip: SuiteRegistrar;
  todo: SuiteRegistrar;
  only: SuiteRegistrar;
  skipIf(condition: unknown): SuiteRegistrar;
  runIf(condition: unknown): SuiteRegistrar;
}

function testApi(): TestApi {
  const at =
    (mode: Mode): TestRegistrar =>
    (name, second, third) =>
      registerTest(mode, name, second, third);
  return Object.assign(at('run'), {
    skip: at('skip'),
    todo: at('todo'),
    only: at('only'),
    skipIf: (condition: unknown) => at(condition ? 'skip' : 'run'),
    runIf: (condition: unknown) => at(condition ? 'run' : 'skip'),
  });
}

function suiteApi(): SuiteApi {
  const at =
    (mode: Mode): SuiteRegistrar =>
    (name, fn) =>
      registerSuite(mode, name, fn);
  return Object.assign(at('run'), {
    skip: at('skip'),
    todo: at('todo'),
    only: at('only'),
    skipIf: (condition: unknown) => at(condition ? 'skip' : 'run'),
    runIf: (condition: unknown) => at(condition ? 'run' : 'skip'),
  });
}

export const it = testApi();
export const test = testApi();
export const describe = suiteApi();

export function beforeAll(fn: Hook): void {
  current.hooks.beforeAll.push(fn);
}
export function afterAll(fn: Hook): void {
  current.hooks.afterAll.push(fn);
}
export function beforeEach(fn: Hook): void {
  current.hooks.beforeEach.push(fn);
}
export function afterEach(fn: Hook): void {
  current.hooks.afterEach.push(fn);
}

// ---------------------------------------------------------------------------------------------
// expect

class AssertionError extends Error {
  override name = 'AssertionError';
}

function show(value: unknown): string {
  return inspect(value, { depth: 4, maxArrayLength: 20, maxStringLength: 400, breakLength: Infinity });
}

/** vitest's toEqual (strict false: undefined properties ignored, classes not compared) and toStrictEqual. */
function equals(a: unknown, b: unknown, strict: boolean): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a === 'number' && typeof b === 'number') return !strict && a === b;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (strict && Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.constructor !== b.constructor) return false;
    const [x, y] = [a as unknown as ArrayLike<unknown>, b as unknown as ArrayLike<unknown>];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!equals(x[i], y[i], strict)) return false;
    return true;
  }
  if (a instanceof Date || b instanceof Date)
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (a instanceof RegExp || b instanceof RegExp) return String(a) === String(b);
  if (a instanceof Error && b instanceof Error && (a.message !== b.message || a.name !== b.name)) return false;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return false;
    for (const [key, value] of a) if (!b.has(key) || !equals(value, b.get(key), strict)) return false;
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set && b instanceof Set) || a.size !== b.size) return false;
    for (const value of a) if (![...b].some((other) => equals(value, other, strict))) return false;
    return true;
  }
  const record = (o: object) => o as Record<string, unknown>;
  const keys = (o: object) => Object.keys(o).filter((k) => strict || record(o)[k] !== undefined);
  const [ka, kb] = [keys(a), keys(b)];
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && equals(record(a)[k], record(b)[k], strict));
}

type Outcome = { pass: boolean; message: string };
type Matcher = (actual: unknown, ...expected: unknown[]) => Outcome;

const numeric = (name: string, compare: (a: number, b: number) => boolean, words: string): Matcher => {
  return (actual, expected) => {
    if (typeof actual !== 'number' && typeof actual !== 'bigint')
      throw new AssertionError(`${name}: expected a number, got ${show(actual)}`);
    return {
      pass: compare(Number(actual), Number(expected)),
      message: `expected ${show(actual)} to be ${words} ${show(expected)}`,
    };
  };
};

function thrownMatches(thrown: unknown, expected: unknown): boolean {
  if (expected === undefined) return true;
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  if (typeof expected === 'string') return message.includes(expected);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'function') return thrown instanceof expected;
  if (expected instanceof Error) return message === expected.message;
  if (typeof expected === 'object' && expected !== null)
    return Object.entries(expected).every(([k, v]) => equals((thrown as Record<string, unknown>)[k], v, false));
  return false;
}

/** toThrow on a function calls it; on `rejects` the rejection value arrives as { thrown }. */
const toThrow: Matcher = (actual, expected) => {
  let thrown: unknown;
  let didThrow = false;
  if (typeof actual === 'object' && actual !== null && REJECTION in actual) {
    didThrow = true;
    thrown = (actual as { [REJECTION]: unknown })[REJECTION];
  } else if (typeof actual === 'function') {
    try {
      (actual as () => unknown)();
    } catch (error) {
      didThrow = true;
      thrown = error;
    }
  } else throw new AssertionError(`toThrow: expected a function or a rejected promise, got ${show(actual)}`);
  const shown = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : show(thrown);
  return {
    pass: didThrow && thrownMatches(thrown, expected),
    message: didThrow
      ? `expected the error ${show(shown)} to match ${show(expected)}`
      : `expected the function to throw${expected === undefined ? '' : ` ${show(expected)}`}`,
  };
};

const REJECTION = Symbol('rejection');

/** The matchers the conformance suites use, plus the common ones a backend's test file may add. */
const MATCHERS = {
  toBe: (a, e) => ({ pass: Object.is(a, e), message: `expected ${show(a)} to be ${show(e)} // Object.is equality` }),
  toEqual: (a, e) => ({ pass: equals(a, e, false), message: `expected ${show(a)} to deeply equal ${show(e)}` }),
  toStrictEqual: (a, e) => ({
    pass: equals(a, e, true),
    message: `expected ${show(a)} to strictly equal ${show(e)}`,
  }),
  toBeDefined: (a) => ({ pass: a !== undefined, message: `expected ${show(a)} to be defined` }),
  toBeUndefined: (a) => ({ pass: a === undefined, message: `expected ${show(a)} to be undefined` }),
  toBeNull: (a) => ({ pass: a === null, message: `expected ${show(a)} to be null` }),
  toBeTruthy: (a) => ({ pass: Boolean(a), message: `expected ${show(a)} to be truthy` }),
  toBeFalsy: (a) => ({ pass: !a, message: `expected ${show(a)} to be falsy` }),
  toBeNaN: (a) => ({ pass: Number.isNaN(a), message: `expected ${show(a)} to be NaN` }),
  toBeGreaterThan: numeric('toBeGreaterThan', (a, b) => a > b, 'greater than'),
  toBeGreaterThanOrEqual: numeric('toBeGreaterThanOrEqual', (a, b) => a >= b, 'greater than or equal to'),
  toBeLessThan: numeric('toBeLessThan', (a, b) => a < b, 'less than'),
  toBeLessThanOrEqual: numeric('toBeLessThanOrEqual', (a, b) => a <= b, 'less than or equal to'),
  toBeCloseTo: (a, e, digits = 2) => ({
    pass: Math.abs(Number(a) - Number(e)) < 10 ** -Number(digits) / 2,
    message: `expected ${show(a)} to be close to ${show(e)} (${String(digits)} digits)`,
  }),
  toContain: (a, e) => ({
    pass:
      typeof a === 'string'
        ? a.includes(String(e))
        : Array.from(a as Iterable<unknown>).some((item) => Object.is(item, e)),
    message: `expected ${show(a)} to contain ${show(e)}`,
  }),
  toHaveLength: (a, e) => ({
    pass: (a as { length?: unknown } | null)?.length === e,
    message: `expected ${show(a)} to have length ${show(e)}`,
  }),
  toMatch: (a, e) => ({
    pass: typeof a === 'string' && (e instanceof RegExp ? e.test(a) : a.includes(String(e))),
    message: `expected ${show(a)} to match ${show(e)}`,
  }),
  toBeInstanceOf: (a, e) => ({
    pass: a instanceof (e as new (...args: never[]) => unknown),
    message: `expected ${show(a)} to be an instance of ${(e as { name?: string }).name ?? show(e)}`,
  }),
  toBeTypeOf: (a, e) => ({
    pass: typeof a === e,
    message: `expected ${show(a)} to be of type ${String(e)} (typeof gives ${typeof a})`,
  }),
  toThrow,
  toThrowError: toThrow,
} satisfies Record<string, Matcher>;

/** A matcher returns nothing, or a promise after `.resolves` / `.rejects`. */
type Assertion = { [K in keyof typeof MATCHERS]: (...expected: unknown[]) => void | Promise<void> } & {
  not: Assertion;
  resolves: Assertion;
  rejects: Assertion;
};

function assertion(actual: unknown, label: string | undefined, negate: boolean, chain: '' | 'resolves' | 'rejects') {
  const settle = (outcome: Outcome): void => {
    if (outcome.pass === negate) {
      const text = negate ? outcome.message.replace(/\bto\b/, 'not to') : outcome.message;
      throw new AssertionError(label === undefined ? text : `${label}: ${text}`);
    }
  };
  return new Proxy({} as Assertion, {
    get(_, property) {
      if (typeof property === 'symbol') return undefined;
      if (property === 'not') return assertion(actual, label, !negate, chain);
      if (property === 'resolves' || property === 'rejects') return assertion(actual, label, negate, property);
      const matcher = (MATCHERS as Record<string, Matcher>)[property];
      return (...expected: unknown[]) => {
        if (matcher === undefined)
          throw new AssertionError(`expect(...).${property}() is not supported by the gpu-check vitest shim`);
        if (chain === '') return settle(matcher(actual, ...expected));
        return Promise.resolve(actual).then(
          (value) => {
            if (chain === 'rejects')
              throw new AssertionError(`${label ? `${label}: ` : ''}expected the promise to reject, it resolved`);
            settle(matcher(value, ...expected));
          },
          (error: unknown) => {
            if (chain === 'resolves')
              throw new AssertionError(`${label ? `${label}: ` : ''}expected the promise to resolve, it rejected`);
            settle(matcher(matcher === toThrow ? { [REJECTION]: error } : error, ...expected));
          },
        );
      };
    },
  });
}

export function expect(actual: unknown, message?: string): Assertion {
  return assertion(actual, message, false, '');
}

// ---------------------------------------------------------------------------------------------
// Running

/** One finished test, as the runner reports it. */
export interface TestReport {
  /** The describe names and the test name, joined with ' > ' as vitest prints them. */
  name: string;
  state: 'passed' | 'failed' | 'skipped' | 'todo';
  milliseconds: number;
  /** The error of a failed test, the note of a skipped one. */
  detail?: string;
  annotations: string[];
}

export interface RunTotals {
  passed: number;
  failed: number;
  skipped: number;
  todo: number;
  /** Every registered test, as vitest's "Tests ... (N)" counts them. */
  total: number;
  /** afterAll hooks that threw (vitest reports those as errors beside the test counts). */
  hookErrors: number;
}

class SkipSignal extends Error {
  constructor(readonly note: string | undefined) {
    super(note ?? 'skipped');
  }
}

class Timeout extends Error {}

async function withTimeout(work: () => unknown, milliseconds: number, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.resolve().then(work),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Timeout(`${what} timed out in ${milliseconds}ms`)), milliseconds);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeError(error: unknown): string {
  if (error instanceof AssertionError || error instanceof Timeout) return error.message;
  if (error instanceof Error) {
    const stack = error.stack ?? `${error.name}: ${error.message}`;
    return stack.split('\n').slice(0, 8).join('\n');
  }
  return show(error);
}

/** The names of every registered test, in order, without running anything. */
export function listCollected(): string[] {
  const names: string[] = [];
  const walk = (suite: SuiteEntry, prefix: string[]): void => {
    for (const child of suite.children) {
      const path = [...prefix, child.name];
      if (child.kind === 'test') names.push(path.join(' > '));
      else walk(child, path);
    }
  };
  walk(root, []);
  return names;
}

function hasOnly(suite: SuiteEntry): boolean {
  return suite.children.some((c) => c.mode === 'only' || (c.kind === 'suite' && hasOnly(c)));
}

export interface RunOptions {
  /** Called with each finished test. */
  report: (test: TestReport) => void;
  /** Per-test and per-hook timeout where a test names none (vitest preset: 60 s). */
  timeout?: number;
}

/** Runs what was registered, one test at a time in definition order; resolves with the totals. */
export async function runCollected(options: RunOptions): Promise<RunTotals> {
  const defaultTimeout = options.timeout ?? 60_000;
  const totals: RunTotals = { passed: 0, failed: 0, skipped: 0, todo: 0, total: 0, hookErrors: 0 };
  const onlyMode = hasOnly(root);
  const finish = (report: TestReport): void => {
    totals[report.state]++;
    totals.total++;
    options.report(report);
  };

  // A test or suite is skipped by its own mode, an enclosing skip, or (when some test is .only)
  // by not being, or being inside, an .only.
  const effective = (mode: Mode, inherited: Mode): Mode => {
    if (inherited === 'skip' || inherited === 'todo') return inherited;
    if (mode === 'skip' || mode === 'todo' || mode === 'only') return mode;
    return inherited;
  };

  const runSuite = async (suite: SuiteEntry, prefix: string[], inherited: Mode, each: SuiteEntry[]) => {
    const chain = [...each, suite];
    const tests: { test: TestEntry; path: string[]; mode: Mode }[] = [];
    const plan = (s: SuiteEntry, path: string[], mode: Mode): void => {
      for (const child of s.children) {
        const m = effective(child.mode, mode);
        if (child.kind === 'test') tests.push({ test: child, path: [...path, child.name], mode: m });
        else plan(child, [...path, child.name], m);
      }
    };
    plan(suite, prefix, inherited);
    const runnable = (mode: Mode): boolean => mode === 'run' || mode === 'only';
    const willRun = (mode: Mode): boolean => (onlyMode ? mode === 'only' : runnable(mode));
    if (!tests.some((t) => willRun(t.mode))) {
      for (const t of tests)
        finish({
          name: t.path.join(' > '),
          state: t.mode === 'todo' ? 'todo' : 'skipped',
          milliseconds: 0,
          annotations: [],
        });
      return;
    }
    let setupError: unknown;
    try {
      for (const hook of suite.hooks.beforeAll) await withTimeout(hook, defaultTimeout, 'beforeAll hook');
    } catch (error) {
      setupError = error;
    }
    for (const child of suite.children) {
      const m = effective(child.mode, inherited);
      const path = [...prefix, child.name];
      if (child.kind === 'suite') {
        if (setupError !== undefined) failAll(child, path, setupError);
        else await runSuite(child, path, m, chain);
        continue;
      }
      const name = path.join(' > ');
      if (!willRun(m)) {
        finish({ name, state: m === 'todo' ? 'todo' : 'skipped', milliseconds: 0, annotations: [] });
        continue;
      }
      if (setupError !== undefined) {
        finish({
          name,
          state: 'failed',
          milliseconds: 0,
          detail: `beforeAll failed: ${describeError(setupError)}`,
          annotations: [],
        });
        continue;
      }
      finish(await runTest(child, name, chain));
    }
    try {
      for (const hook of suite.hooks.afterAll) await withTimeout(hook, defaultTimeout, 'afterAll hook');
    } catch (error) {
      // Reported, and it fails the run, but it is not one of the registered tests.
      totals.hookErrors++;
      options.report({
        name: [...prefix, '(afterAll)'].join(' > '),
        state: 'failed',
        milliseconds: 0,
        detail: describeError(error),
        annotations: [],
      });
    }
  };

  const failAll = (suite: SuiteEntry, prefix: string[], error: unknown): void => {
    for (const child of suite.children) {
      const path = [...prefix, child.name];
      if (child.kind === 'suite') failAll(child, path, error);
      else
        finish({
          name: path.join(' > '),
          state: 'failed',
          milliseconds: 0,
          detail: `beforeAll failed: ${describeError(error)}`,
          annotations: [],
        });
    }
  };

  const runTest = async (test: TestEntry, name: string, chain: SuiteEntry[]): Promise<TestReport> => {
    const annotations: string[] = [];
    const context: TestContext = {
      skip: ((first?: string | boolean, note?: string) => {
        if (first === false) return;
        throw new SkipSignal(typeof first === 'string' ? first : note);
      }) as TestContext['skip'],
      annotate: async (message: string) => void annotations.push(message),
      task: { name: test.name },
      expect,
    };
    const start = performance.now();
    const elapsed = () => Math.round(performance.now() - start);
    try {
      for (const suite of chain)
        for (const hook of suite.hooks.beforeEach) await withTimeout(hook, defaultTimeout, 'beforeEach hook');
      await withTimeout(() => test.fn!(context), test.timeout ?? defaultTimeout, 'test');
      for (const suite of [...chain].reverse())
        for (const hook of suite.hooks.afterEach) await withTimeout(hook, defaultTimeout, 'afterEach hook');
      return { name, state: 'passed', milliseconds: elapsed(), annotations };
    } catch (error) {
      if (error instanceof SkipSignal)
        return { name, state: 'skipped', milliseconds: elapsed(), detail: error.note, annotations };
      return { name, state: 'failed', milliseconds: elapsed(), detail: describeError(error), annotations };
    }
  };

  await runSuite(root, [], 'run', []);
  return totals;
}
