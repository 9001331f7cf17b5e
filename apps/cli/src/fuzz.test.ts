// Fuzz and fault suite (issue 13): seeded, a fixed number of cases per kind. Random flag
// values and configs, random corruptions of every file kind the CLI reads, and SIGKILLs at
// random points of training followed by a resume. The invariant, always: exit 0 with a
// correct result, or exit 1/2 with ONE line naming the input and what was wrong; never a
// stack trace; nothing saved before lost or unreadable. Cases run main() in-process (fast);
// only the kills spawn the CLI. Counts are printed at the end.
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './test-in-process.js';
import { removeDirectory, startCli, temporaryDirectory, type CliResult } from './test-cli.js';

const SEED = 1313;
const cwd = temporaryDirectory('fuzz');
const at = (...parts: string[]): string => path.join(cwd, ...parts);
const counts = new Map<string, { tried: number; passed: number; exit: Record<string, number> }>();
afterAll(() => {
  const lines = [...counts].map(
    ([kind, c]) =>
      `  ${kind.padEnd(22)} tried ${String(c.tried).padStart(3)}  passed ${String(c.passed).padStart(3)}  exits ${JSON.stringify(c.exit)}`,
  );
  console.log(`fuzz/fault suite (seed ${SEED}):\n${lines.join('\n')}`);
  removeDirectory(cwd);
});

/** The invariant; returns a reason when it does not hold. */
function violation(result: CliResult, correct: (result: CliResult) => string | null): string | null {
  if (/\n\s+at [^\n]+:\d+:\d+\)?/.test(result.stderr + result.stdout)) return 'a stack trace';
  if (result.code === 0) return correct(result);
  if (result.code !== 1 && result.code !== 2) return `exit code ${result.code}`;
  const lines = result.stderr.trim().split('\n');
  if (lines.length !== 1) return `${lines.length} lines on stderr`;
  if (!/^myelin: \S/.test(lines[0]!)) return 'not a "myelin: ..." line';
  if (/\(run with --verbose for the stack trace\)|^myelin: (TypeError|RangeError|Error|SyntaxError):/.test(lines[0]!))
    return 'an unexpected internal error';
  return null;
}

function record(kind: string, result: CliResult, problem: string | null, input: string): boolean {
  const count = counts.get(kind) ?? { tried: 0, passed: 0, exit: {} };
  counts.set(kind, count);
  count.tried++;
  count.exit[String(result.code)] = (count.exit[String(result.code)] ?? 0) + 1;
  if (problem === null) count.passed++;
  else console.error(`fuzz ${kind}: ${problem} for ${input}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
  return problem === null;
}

let runNumber = 0;
/** Fixed last flags keep every case small: commander keeps the last value of a repeated flag. */
const small = (): string[] => [
  '--epochs',
  '1',
  '--limit',
  '80',
  '--hidden',
  '4',
  '--backend',
  'cpu-reference',
  '--memory-budget',
  '1GB',
  '--no-progress',
  '--output',
  at('runs'),
  '--name',
  `case-${++runNumber}`,
];

/** A train that exited 0 left a loadable run: config, metrics and a 'last' checkpoint. */
const trained = (result: CliResult): string | null => {
  const run = /run\s+(\S+)/.exec(result.stdout)?.[1];
  if (run === undefined) return 'no run directory printed';
  const directory = path.resolve(cwd, run);
  for (const file of ['config.json', 'last.json', 'last.safetensors', 'metrics.jsonl'])
    if (!existsSync(path.join(directory, file))) return `exit 0 without ${file}`;
  return /\n\s*checkpoint\s/.test(result.stdout) ? null : 'exit 0 without the results table';
};

const oddText = fc.oneof(
  fc.integer({ min: -3, max: 300 }).map(String),
  fc.double({ min: -1e6, max: 1e6 }).map(String),
  fc.constantFrom('none', 'auto', 'full', 'NaN', 'Infinity', '1e309', '-0', '0x10', '', ' ', '{', '[]', '{}', 'null'),
  fc.constantFrom('{"type":"sgd"}', '{"type":"adam","betas":[0.9]}', '[{"type":"Linear"}]', '{"type":"StepLR"}'),
  fc.string({ maxLength: 10 }),
);
const FLAG_VALUES: Record<string, fc.Arbitrary<string>> = {
  data: fc.constantFrom('digits', 'csv', 'mnist', 'image-folder', 'imagenet'),
  'label-column': oddText,
  channels: oddText,
  'val-split': oddText,
  'test-split': oddText,
  'split-seed': oddText,
  transforms: oddText,
  resize: fc.oneof(oddText, fc.constantFrom('8', '8x6', '100000', '0x5')),
  layers: oddText,
  activation: fc.oneof(oddText, fc.constantFrom('relu', 'tanh', 'elu')),
  dropout: oddText,
  loss: fc.oneof(oddText, fc.constantFrom('MSELoss', 'BCELoss', 'NLLLoss', 'L1Loss')),
  optimizer: fc.oneof(oddText, fc.constantFrom('sgd', 'adamw', '{"type":"sgd","momentum":0.9}')),
  lr: oddText,
  momentum: oddText,
  'weight-decay': oddText,
  schedule: oddText,
  'batch-size': fc.oneof(oddText, fc.constantFrom('1', '7', 'full')),
  metrics: fc.oneof(oddText, fc.constantFrom('accuracy,top3', 'top0', 'none')),
  'early-stopping': oddText,
  'early-stopping-monitor': oddText,
  'clip-grad-norm': oddText,
  'clip-grad-value': oddText,
  'read-loss-every': oddText,
  'accumulate-steps': fc.oneof(oddText, fc.constantFrom('2', '0')),
  'class-weight': fc.oneof(oddText, fc.constantFrom('balanced', '1,2', '{"0":1}', '[]', '{"x":1}')),
  'validation-freq': fc.oneof(oddText, fc.constantFrom('2', '0')),
  'checkpoint-monitor': oddText,
  'checkpoint-every': oddText,
  'save-best': oddText,
  'log-every': oddText,
  'log-epochs-every': oddText,
  seed: oddText,
  'memory-budget': fc.oneof(oddText, fc.constantFrom('1KB', '2GiB', '0')),
};
const flagArguments = fc
  .uniqueArray(fc.constantFrom(...Object.keys(FLAG_VALUES)), { minLength: 1, maxLength: 3 })
  .chain((flags) => fc.tuple(...flags.map((flag) => FLAG_VALUES[flag]!.map((value) => [`--${flag}`, value]))))
  .map((pairs) => pairs.flat());

async function check<T>(
  kind: string,
  runs: number,
  arbitrary: fc.Arbitrary<T>,
  run: (value: T) => Promise<{ result: CliResult; problem: string | null; input: string }>,
): Promise<void> {
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      const { result, problem, input } = await run(value);
      return record(kind, result, problem, input);
    }),
    { seed: SEED, numRuns: runs, endOnFailure: true },
  );
}

/** Random damage to bytes: flips, a cut, an insertion or a splice of another file's bytes. */
const damage = fc.oneof(
  fc
    .array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .map((flips) => (bytes: Buffer) => {
      const out = Buffer.from(bytes);
      for (const [offset, value] of flips) if (out.length > 0) out[offset % out.length] = value;
      return out;
    }),
  fc
    .double({ min: 0, max: 1, noNaN: true })
    .map((fraction) => (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length * fraction))),
  fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([offset, insert]) => (bytes: Buffer) => {
    const at = bytes.length === 0 ? 0 : offset % bytes.length;
    return Buffer.concat([bytes.subarray(0, at), Buffer.from(insert), bytes.subarray(at)]);
  }),
);

function idx(kind: 'images' | 'labels', count: number): Buffer {
  if (kind === 'labels')
    return Buffer.from([0, 0, 8, 1, 0, 0, 0, count, ...Array.from({ length: count }, (_, i) => i % 3)]);
  const header = [0, 0, 8, 3, 0, 0, 0, count, 0, 0, 0, 6, 0, 0, 0, 6];
  return Buffer.from([...header, ...Array.from({ length: count * 36 }, (_, i) => (i * 37) % 256)]);
}

let reference = '';
const saved = new Map<string, Buffer>();

beforeAll(async () => {
  const result = await runInProcess(['train', ...small().slice(0, -2), '--name', 'reference'], cwd);
  expect(result.code, result.stderr).toBe(0);
  reference = at('runs', 'reference');
  for (const file of readdirSync(reference)) saved.set(file, readFileSync(path.join(reference, file)));
  const labels = Array.from({ length: 40 }, (_, i) => i % 3);
  writeFileSync(at('data.csv'), `a,b,label\n${labels.map((l, i) => `${i % 5},${(i * 3) % 7},${l}`).join('\n')}\n`);
  mkdirSync(at('idx'));
  writeFileSync(at('idx', 'train-images-idx3-ubyte'), idx('images', 30));
  writeFileSync(at('idx', 'train-labels-idx1-ubyte'), idx('labels', 30));
  const sharp = (await import('sharp')).default;
  for (const name of ['a', 'b']) {
    mkdirSync(at('images', name), { recursive: true });
    for (let i = 0; i < 3; i++)
      await sharp(Buffer.alloc(8 * 8 * 3, name === 'a' ? 30 + i : 200 - i), {
        raw: { width: 8, height: 8, channels: 3 },
      })
        .png()
        .toFile(at('images', name, `${i}.png`));
  }
  writeFileSync(at('config.yaml'), 'training:\n  batchSize: 16\noptimizer:\n  type: sgd\n  momentum: 0.9\n');
  writeFileSync(at('config.json'), JSON.stringify({ model: { type: 'mlp', hidden: [4] }, seed: 3 }));
}, 120_000);

describe('fuzz: random flag values and configs', () => {
  it('train with 1-3 random flag values', async () => {
    await check('flags', 80, flagArguments, async (args) => {
      const result = await runInProcess(['train', ...args, ...small()], cwd);
      return { result, problem: violation(result, trained), input: JSON.stringify(args) };
    });
  });

  it('train with a random config file (JSON or YAML)', async () => {
    // Each part valid or not, so some configs train and the rest fail on one named value.
    const maybe = <T>(valid: fc.Arbitrary<T>) =>
      fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: fc.jsonValue(), weight: 1 });
    const config = fc.record(
      {
        data: fc.record(
          {
            validationSplit: maybe(fc.double({ min: 0, max: 0.5, noNaN: true })),
            source: maybe(fc.constant('digits')),
          },
          { requiredKeys: [] },
        ),
        model: maybe(
          fc.record({
            type: fc.constant('mlp'),
            hidden: maybe(fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 2 })),
          }),
        ),
        optimizer: maybe(
          fc.record(
            {
              type: fc.constantFrom('sgd', 'adam', 'adamw'),
              lr: maybe(fc.double({ min: 1e-4, max: 0.5, noNaN: true })),
            },
            { requiredKeys: ['type'] },
          ),
        ),
        training: fc.record(
          { batchSize: maybe(fc.integer({ min: 1, max: 64 })), clipGradNorm: maybe(fc.constant(1)) },
          { requiredKeys: [] },
        ),
        seed: maybe(fc.nat(1000)),
      },
      { requiredKeys: [] },
    );
    await check('configs', 40, fc.tuple(config, fc.boolean()), async ([value, yaml]) => {
      const { stringify } = await import('yaml');
      const file = at(`random-${++runNumber}.${yaml ? 'yaml' : 'json'}`);
      writeFileSync(file, yaml ? stringify(value) : JSON.stringify(value));
      const result = await runInProcess(['train', '--config', file, ...small()], cwd);
      return { result, problem: violation(result, trained), input: readFileSync(file, 'utf8').slice(0, 300) };
    });
  });
});

describe('fault: random corruptions of every file kind the CLI reads', () => {
  /** [kind, runs, the file to damage (a fresh copy per case), the command reading it]. */
  const KINDS: [string, number, (n: number) => { file: string; args: string[] }][] = [
    ...(['last.safetensors', 'last.json', 'last.optimizer.safetensors'] as const).map(
      (name, k) =>
        [
          `checkpoint ${name.replace('last.', '')}`,
          k === 2 ? 10 : 20,
          (n: number) => {
            const copy = at(`copy-${n}`);
            cpSync(reference, copy, { recursive: true });
            return {
              file: path.join(copy, name),
              args:
                k === 2 ? ['train', '--resume', copy, '--epochs', '2', '--no-progress'] : ['evaluate', `${copy}/last`],
            };
          },
        ] as [string, number, (n: number) => { file: string; args: string[] }],
    ),
    [
      'config yaml',
      16,
      (n) => ({ file: copyOf('config.yaml', n), args: ['train', '--config', at(`${n}-config.yaml`), ...small()] }),
    ],
    [
      'config json',
      16,
      (n) => ({ file: copyOf('config.json', n), args: ['train', '--config', at(`${n}-config.json`), ...small()] }),
    ],
    [
      'csv',
      20,
      (n) => ({
        file: copyOf('data.csv', n),
        args: ['train', '--data', 'csv', '--data-path', at(`${n}-data.csv`), ...small()],
      }),
    ],
    [
      'idx',
      20,
      (n) => {
        const directory = at(`idx-${n}`);
        cpSync(at('idx'), directory, { recursive: true });
        const name = n % 2 === 0 ? 'train-images-idx3-ubyte' : 'train-labels-idx1-ubyte';
        return {
          file: path.join(directory, name),
          args: ['train', '--data', 'mnist', '--data-path', directory, ...small()],
        };
      },
    ],
    [
      'image',
      20,
      (n) => {
        const directory = at(`images-${n}`);
        cpSync(at('images'), directory, { recursive: true });
        return {
          file: path.join(directory, n % 2 === 0 ? 'a' : 'b', `${n % 3}.png`),
          args: ['train', '--data', 'image-folder', '--data-path', directory, ...small()],
        };
      },
    ],
  ];
  function copyOf(name: string, n: number): string {
    copyFileSync(at(name), at(`${n}-${name}`));
    return at(`${n}-${name}`);
  }

  it.each(KINDS)('%s', async (kind, runs, prepare) => {
    await check(kind, runs, damage, async (hurt) => {
      const { file, args } = prepare(++runNumber);
      writeFileSync(file, hurt(readFileSync(file)));
      const result = await runInProcess(args, cwd);
      // A corruption that still decodes is data: exit 0 with a result is then correct.
      const correct =
        args[0] === 'evaluate' ? (r: CliResult) => (/loss/.test(r.stdout) ? null : 'no loss printed') : trained;
      return { result, problem: violation(result, correct), input: `${kind} ${file}` };
    });
    // Nothing saved before was touched: the reference run is byte-identical.
    for (const [file, bytes] of saved) expect(readFileSync(path.join(reference, file)).equals(bytes), file).toBe(true);
  });
});

describe('fault: SIGKILL at a random point of training, then resume', () => {
  it('the resume continues from the old or the new checkpoint, and the run stays loadable', async () => {
    await check('kill + resume', 6, fc.integer({ min: 300, max: 2500 }), async (delay) => {
      const name = `killed-${++runNumber}`;
      const args = ['train', '--epochs', '3', '--hidden', '16', '--backend', 'cpu-reference', '--no-progress'];
      const run = startCli([...args, '--output', at('runs'), '--name', name], cwd);
      await new Promise((resolve) => setTimeout(resolve, delay));
      run.child.kill('SIGKILL');
      const killed = await run.done;
      const directory = at('runs', name);
      if (!existsSync(path.join(directory, 'config.json')) || !existsSync(path.join(directory, 'last.json'))) {
        // Killed before the first checkpoint (or it finished first): nothing saved yet to protect.
        return { result: { ...killed, code: 0 }, problem: null, input: `kill after ${delay} ms (before 'last')` };
      }
      const resumed = await startCli(['train', '--resume', directory, '--epochs', '3', '--no-progress'], cwd).done;
      const finished = resumed.code === 2 && /already finished 3 of 3 epochs/.test(resumed.stderr);
      const evaluated = await runInProcess(['evaluate', `${directory}/last`, '--json'], cwd);
      const problem =
        resumed.code !== 0 && !finished
          ? `resume exited ${resumed.code}: ${resumed.stderr}`
          : evaluated.code !== 0
            ? `'last' unreadable after the resume: ${evaluated.stderr}`
            : existsSync(path.join(directory, '.lock'))
              ? 'the lock is left after the resume'
              : null;
      return { result: resumed, problem, input: `kill after ${delay} ms` };
    });
  }, 120_000);
});
