import { UNARY_OPS, cast, clamp, concat, where, type Tensor } from '@myelin/core';
import type { OpCase } from './types.js';

/** The domain each unary op is tested on (away from kinks and singularities). */
const unaryDomain: Record<(typeof UNARY_OPS)[number], { low: number; high: number }> = {
  neg: { low: -2, high: 2 },
  exp: { low: -3, high: 3 },
  log: { low: 0.2, high: 4 },
  sqrt: { low: 0.2, high: 4 },
  abs: { low: 0.1, high: 2 },
  sign: { low: -2, high: 2 },
  sigmoid: { low: -6, high: 6 },
  tanh: { low: -3, high: 3 },
  relu: { low: 0.1, high: 2 },
  erf: { low: -3, high: 3 },
  sin: { low: -10, high: 10 },
  cos: { low: -10, high: 10 },
  tan: { low: -1.2, high: 1.2 },
  asin: { low: -0.9, high: 0.9 },
  acos: { low: -0.9, high: 0.9 },
  atan: { low: -4, high: 4 },
  sinh: { low: -3, high: 3 },
  cosh: { low: -3, high: 3 },
  asinh: { low: -4, high: 4 },
  acosh: { low: 1.2, high: 5 },
  atanh: { low: -0.9, high: 0.9 },
  log1p: { low: -0.8, high: 3 },
  expm1: { low: -3, high: 3 },
  floor: { low: -3, high: 3 },
  ceil: { low: -3, high: 3 },
  round: { low: -3, high: 3 },
  trunc: { low: -3, high: 3 },
};

const unaryCases: OpCase[] = UNARY_OPS.flatMap((op) => {
  const domain = unaryDomain[op];
  const call = (x: Tensor) => (x as unknown as Record<string, () => Tensor>)[op]!.call(x);
  // abs and relu are checked on both signs (away from the kink): negate half of the positive samples.
  const signed = op === 'abs' || op === 'relu' ? (x: Tensor) => call(x.mul(x.sub(1).sign())) : call;
  return [
    {
      name: `${op} [3,4]`,
      covers: [op],
      inputs: [{ shape: [3, 4], ...domain }],
      run: ([x]) => signed(x!),
      grad: op !== 'sign',
    },
    {
      name: `${op} scalar`,
      covers: [op],
      inputs: [{ shape: [], ...domain }],
      run: ([x]) => call(x!),
      grad: op !== 'sign',
    },
    {
      name: `${op} size-0 [0,3]`,
      covers: [op],
      inputs: [{ shape: [0, 3], ...domain }],
      run: ([x]) => call(x!),
      grad: op !== 'sign',
    },
    {
      name: `${op} after transpose [4,3]^T`,
      covers: [op, 'transpose'],
      inputs: [{ shape: [4, 3], ...domain }],
      run: ([x]) => call(x!.transpose()),
      grad: op !== 'sign',
    },
  ] satisfies OpCase[];
});

const extremeCases: OpCase[] = [
  {
    name: 'sigmoid at +-1e4 stays finite',
    covers: ['sigmoid'],
    inputs: [{ shape: [4], values: [-1e4, -50, 50, 1e4] }],
    run: ([x]) => x!.sigmoid(),
    noFiniteDifferences: 'saturated: the derivative underflows to 0',
  },
  {
    name: 'tanh at +-1e4 stays finite',
    covers: ['tanh'],
    inputs: [{ shape: [4], values: [-1e4, -20, 20, 1e4] }],
    run: ([x]) => x!.tanh(),
    noFiniteDifferences: 'saturated: the derivative underflows to 0',
  },
  {
    name: 'relu keeps NaN and Infinity; 0 and -0 give 0',
    covers: ['relu'],
    inputs: [{ shape: [7], values: [NaN, -1, 0, -0, 2, -Infinity, Infinity] }],
    run: ([x]) => x!.relu(),
    noFiniteDifferences: 'NaN, infinite inputs and the kink at 0',
  },
  {
    name: 'relu gradient at the kink is 0',
    covers: ['relu'],
    inputs: [{ shape: [3], values: [-1, 0, 1] }],
    run: ([x]) => x!.relu().mul(x!.add(3)),
    noFiniteDifferences: 'the kink at 0 (the subgradient 0 is what PyTorch uses)',
  },
  {
    name: 'round breaks ties to even',
    covers: ['round'],
    inputs: [{ shape: [9], values: [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 3.5, -0.4999, 2.5001] }],
    run: ([x]) => x!.round(),
    noFiniteDifferences: 'every tie sits on a jump',
  },
  {
    name: 'floor, ceil, trunc and round of whole numbers, infinities and NaN',
    covers: ['floor', 'ceil', 'trunc', 'round', 'concat'],
    inputs: [{ shape: [7], values: [-2, -0.5, 0, 3, -Infinity, Infinity, NaN] }],
    run: ([x]) => concat([x!.floor(), x!.ceil(), x!.trunc(), x!.round()]),
    noFiniteDifferences: 'whole numbers sit on jumps',
  },
  {
    name: 'math functions at their domain edges and poles: NaN and infinities as C',
    covers: ['asin', 'acos', 'acosh', 'atanh', 'log1p', 'concat'],
    inputs: [{ shape: [3], values: [1, -1, 2] }],
    run: ([x]) => concat([x!.asin(), x!.acos(), x!.acosh(), x!.atanh(), x!.neg().log1p()]),
    grad: false,
  },
  {
    // f(x) / x near 0 is near 1, so the absolute tolerance cannot hide a relative error there
    // (tfjs-webgpu's e^x - 1 gives expm1(1e-4) 20% off). Not atan and asin: Mesa's WGSL atan (which
    // webgpu's asin is built from) is within only 2e-5 relative anywhere.
    name: 'math functions near 0 keep their relative accuracy: f(x) / x',
    covers: ['sin', 'tan', 'sinh', 'asinh', 'atanh', 'log1p', 'expm1', 'concat', 'div'],
    inputs: [{ shape: [6], values: [1e-6, -1e-5, 3e-4, -2e-3, 0.01, -0.05] }],
    run: ([x]) =>
      concat([x!.sin(), x!.tan(), x!.sinh(), x!.asinh(), x!.atanh(), x!.log1p(), x!.expm1()].map((y) => y.div(x!))),
    // the derivative of f(x) / x cancels f'(x) / x against f(x) / x^2, which float32 cannot do at 1e-6
    grad: false,
  },
  {
    name: 'log2, log10, exp2, rsqrt and frac (composed)',
    covers: ['log', 'div', 'pow', 'sqrt', 'trunc', 'sub'],
    // fixed values away from whole numbers, where frac jumps
    inputs: [{ shape: [2, 3], values: [0.3, 0.7, 1.25, 2.6, 3.4, 3.9] }],
    run: ([x]) => x!.log2().add(x!.log10()).add(x!.exp2()).add(x!.rsqrt()).add(x!.frac()),
  },
  {
    name: 'relu int32 (composed)',
    covers: ['where', 'lessEqual'],
    inputs: [{ shape: [5], dtype: 'int32', low: -4, high: 4 }],
    run: ([x]) => x!.relu(),
  },
  {
    name: 'neg int32',
    covers: ['neg'],
    inputs: [{ shape: [5], dtype: 'int32', low: -10, high: 10 }],
    run: ([x]) => x!.neg(),
  },
  {
    name: 'abs int32',
    covers: ['abs'],
    inputs: [{ shape: [5], dtype: 'int32', low: -10, high: 10 }],
    run: ([x]) => x!.abs(),
  },
  {
    name: 'sign with zeros',
    covers: ['sign'],
    inputs: [{ shape: [5], values: [-3, 0, 2, -0.5, 0] }],
    run: ([x]) => x!.sign(),
  },
];

const castCases: OpCase[] = [
  {
    name: 'cast float32 -> int32 truncates toward zero',
    covers: ['cast'],
    inputs: [{ shape: [6], values: [-2.7, -1.2, -0.5, 0.5, 1.9, 3] }],
    run: ([x]) => cast(x!, 'int32'),
    noFiniteDifferences: 'a step function: the sample 3 sits on a jump',
  },
  {
    name: 'cast int32 -> float32',
    covers: ['cast'],
    inputs: [{ shape: [2, 3], dtype: 'int32', low: -5, high: 5 }],
    run: ([x]) => cast(x!, 'float32'),
  },
  {
    name: 'cast float32 -> bool',
    covers: ['cast'],
    inputs: [{ shape: [4], values: [0, -1.5, 0.25, 0] }],
    run: ([x]) => cast(x!, 'bool'),
  },
  {
    name: 'cast bool -> float32',
    covers: ['cast', 'greater'],
    inputs: [{ shape: [3, 2] }],
    run: ([x]) => cast(x!.greater(0), 'float32'),
  },
  {
    name: 'cast int32 -> bool',
    covers: ['cast'],
    inputs: [{ shape: [5], dtype: 'int32', low: -2, high: 3 }],
    run: ([x]) => cast(x!, 'bool'),
  },
];

type BinaryName = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'maximum' | 'minimum';
const binaryDomains: Record<BinaryName, [{ low: number; high: number }, { low: number; high: number }]> = {
  add: [
    { low: -2, high: 2 },
    { low: -2, high: 2 },
  ],
  sub: [
    { low: -2, high: 2 },
    { low: -2, high: 2 },
  ],
  mul: [
    { low: -2, high: 2 },
    { low: -2, high: 2 },
  ],
  div: [
    { low: -2, high: 2 },
    { low: 0.5, high: 2 },
  ],
  pow: [
    { low: 0.5, high: 2 },
    { low: -1.5, high: 1.5 },
  ],
  maximum: [
    { low: -2, high: 2 },
    { low: -2, high: 2 },
  ],
  minimum: [
    { low: -2, high: 2 },
    { low: -2, high: 2 },
  ],
};
const broadcastPairs: [string, number[], number[]][] = [
  ['same shape', [3, 4], [3, 4]],
  ['[3,1] x [1,4]', [3, 1], [1, 4]],
  ['[2,3,4] x [4]', [2, 3, 4], [4]],
  ['scalar x [2,3]', [], [2, 3]],
  ['size-0 [0,3] x [3]', [0, 3], [3]],
  ['[2,1,3] x [4,1]', [2, 1, 3], [4, 1]],
];

const binaryCases: OpCase[] = (Object.keys(binaryDomains) as BinaryName[]).flatMap((op) =>
  broadcastPairs.map(([label, a, b]): OpCase => ({
    name: `${op} ${label}`,
    covers: [op],
    inputs: [
      { shape: a, ...binaryDomains[op][0] },
      { shape: b, ...binaryDomains[op][1] },
    ],
    run: ([x, y]) => (x as unknown as Record<BinaryName, (o: unknown) => Tensor>)[op].call(x, y),
  })),
);

const intBinaryCases: OpCase[] = (['add', 'sub', 'mul', 'maximum', 'minimum'] as const).map((op) => ({
  name: `${op} int32 [2,3] x [3]`,
  covers: [op],
  inputs: [
    { shape: [2, 3], dtype: 'int32', low: -20, high: 20 },
    { shape: [3], dtype: 'int32', low: -20, high: 20 },
  ],
  run: ([x, y]) => x![op](y!),
}));

const tieCases: OpCase[] = [
  {
    name: 'maximum with ties shares the gradient',
    covers: ['maximum'],
    inputs: [
      { shape: [4], values: [1, 2, 3, 4] },
      { shape: [4], values: [1, 0, 3, 5] },
    ],
    run: ([x, y]) => x!.maximum(y!),
    noFiniteDifferences: 'kinks at the ties',
  },
  {
    name: 'pow with zero exponents takes a zero base gradient',
    covers: ['pow'],
    inputs: [
      { shape: [3], values: [0, 0.5, 2] },
      { shape: [3], values: [0, 0, 1], grad: false },
    ],
    run: ([x, y]) => x!.pow(y!),
    noFiniteDifferences: '0^y is not differentiable at 0 for y < 1',
  },
  {
    name: 'pow with zero base',
    covers: ['pow'],
    inputs: [
      { shape: [3], values: [0, 1, 2], grad: false },
      { shape: [3], values: [2, 0.5, 3] },
    ],
    run: ([x, y]) => x!.pow(y!),
    noFiniteDifferences: 'log(0) edge',
  },
  { name: 'mul by a number', covers: ['mul'], inputs: [{ shape: [2, 3] }], run: ([x]) => x!.mul(-1.5) },
];

const comparisonCases: OpCase[] = (
  ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const
).flatMap(
  (op) =>
    [
      {
        name: `${op} float with ties, broadcast`,
        covers: [op],
        inputs: [
          { shape: [3, 4], integral: true, low: -2, high: 2 },
          { shape: [4], integral: true, low: -2, high: 2 },
        ],
        run: ([x, y]) => x![op](y!),
      },
      {
        name: `${op} int32`,
        covers: [op],
        inputs: [
          { shape: [6], dtype: 'int32', low: -2, high: 2 },
          { shape: [6], dtype: 'int32', low: -2, high: 2 },
        ],
        run: ([x, y]) => x![op](y!),
      },
      {
        name: `${op} with NaN`,
        covers: [op],
        inputs: [
          { shape: [3], values: [NaN, 1, NaN] },
          { shape: [3], values: [NaN, NaN, 2] },
        ],
        run: ([x, y]) => x![op](y!),
      },
    ] satisfies OpCase[],
);

const whereCases: OpCase[] = [
  {
    name: 'where broadcasting [3,1] ? [1,4] : []',
    covers: ['where', 'greater'],
    inputs: [{ shape: [3, 1] }, { shape: [1, 4] }, { shape: [] }],
    run: ([c, a, b]) => where(c!.greater(0), a!, b!),
  },
  {
    name: 'where same shape',
    covers: ['where', 'less'],
    inputs: [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }],
    run: ([c, a, b]) => where(c!.less(0.5), a!, b!),
  },
  {
    name: 'where int32',
    covers: ['where', 'greater'],
    inputs: [
      { shape: [4] },
      { shape: [4], dtype: 'int32', low: 0, high: 9 },
      { shape: [4], dtype: 'int32', low: -9, high: 0 },
    ],
    run: ([c, a, b]) => where(c!.greater(0), a!, b!),
  },
  {
    name: 'where with a scalar branch keeps NaN and Infinity of the other',
    covers: ['where', 'greater'],
    inputs: [{ shape: [2, 3] }, { shape: [2, 3], values: [NaN, Infinity, -Infinity, 1, -2, 3] }, { shape: [] }],
    run: ([c, a, b]) => where(c!.greater(0), a!, b!),
    noFiniteDifferences: 'non-finite inputs',
  },
  {
    name: 'where with size-1 branches [1] ? : [3,4] and [3,4] ? [1,1] : []',
    covers: ['where', 'less'],
    inputs: [{ shape: [3, 4] }, { shape: [1] }, { shape: [3, 4] }, { shape: [1, 1] }, { shape: [] }],
    run: ([c, a, b, d, e]) => where(c!.less(0), a!, b!).add(where(c!.less(0.5), d!, e!)),
  },
  {
    name: 'where int32 and bool with scalar branches',
    covers: ['where', 'greater', 'cast'],
    inputs: [
      { shape: [2, 3] },
      { shape: [2, 3], dtype: 'int32', low: -9, high: 9 },
      { shape: [2, 3], dtype: 'bool', values: [1, 0, 0, 1, 1, 0] },
    ],
    run: ([c, a, b]) => {
      const condition = c!.greater(0);
      const ints = where(condition, a!, 7).add(where(condition, -3, a!));
      const bools = cast(where(condition, b!, 0), 'int32').add(cast(where(condition, 1, b!), 'int32'));
      return ints.add(bools);
    },
  },
  {
    name: 'clamp (composite)',
    covers: ['where', 'less', 'greater'],
    inputs: [{ shape: [3, 4], low: -3, high: 3 }],
    run: ([x]) => clamp(x!, -1, 1.5),
    noFiniteDifferences: 'kinks at the bounds',
  },
];

export const elementwiseCases: OpCase[] = [
  ...unaryCases,
  ...extremeCases,
  ...castCases,
  ...binaryCases,
  ...intBinaryCases,
  ...tieCases,
  ...comparisonCases,
  ...whereCases,
];
