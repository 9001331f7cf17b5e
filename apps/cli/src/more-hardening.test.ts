// More CLI items as the user meets them (exit code and the one line printed), in-process.
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './test-in-process.js';
import { removeDirectory, temporaryDirectory } from './test-cli.js';

const cwd = temporaryDirectory('more-hardening');
afterAll(() => removeDirectory(cwd));
const QUICK = ['--epochs', '1', '--hidden', '8', '--no-progress', '--backend', 'cpu-reference'];

/** The one line on stderr, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

beforeAll(async () => {
  const digits = await runInProcess(['train', ...QUICK, '--name', 'digits'], cwd);
  expect(digits.code, digits.stderr).toBe(0);
});

describe('predict: an input that is neither a sample index nor a row', () => {
  it('-1 or 1.5 names both readings: an integer index >= 0 below the data size, or a row of 64 numbers', async () => {
    for (const input of ['-1', '1.5']) {
      const result = await runInProcess(['predict', 'runs/digits', input, '--backend', 'cpu-reference'], cwd);
      expect(result.code, result.stderr).toBe(2);
      expect(oneLine(result.stderr)).toBe(
        `myelin: invalid value for <input>: got "${input}"; allowed: a sample index of the run's test data (an integer >= 0 and below 269), or a CSV row of 64 numbers (the model's input)`,
      );
    }
  });

  it('a row holding nan names the value and its position, inline or in a file', async () => {
    const nans = Array.from({ length: 64 }, () => 'nan').join(',');
    const inline = await runInProcess(['predict', 'runs/digits', nans, '--backend', 'cpu-reference'], cwd);
    expect(inline.code, inline.stderr).toBe(2);
    expect(oneLine(inline.stderr)).toMatch(
      /^myelin: invalid value for <input>: got "nan,nan,.*\.\.\.": item 1 of 64 is "nan", not a finite number; allowed: 64 numbers \(the model's input\), or 65 with the label$/,
    );
    const row = Array.from({ length: 64 }, (_, i) => (i === 9 ? 'NaN' : String(i % 16)));
    const one = await runInProcess(['predict', 'runs/digits', row.join(','), '--backend', 'cpu-reference'], cwd);
    expect(one.code, one.stderr).toBe(2);
    expect(oneLine(one.stderr)).toMatch(/: item 10 of 64 is "NaN", not a finite number; allowed: 64 numbers/);
    writeFileSync(path.join(cwd, 'rows.csv'), `${row.join(',')}\n`);
    const file = await runInProcess(['predict', 'runs/digits', 'rows.csv', '--backend', 'cpu-reference'], cwd);
    expect(file.code, file.stderr).toBe(2);
    expect(oneLine(file.stderr)).toMatch(
      /^myelin: invalid value for <input> at rows\.csv:1: got ".*": item 10 of 64 is "NaN", not a finite number/,
    );
    // A row starting with nan after the header was dropped without a word; the header alone is skipped.
    const good = Array.from({ length: 64 }, (_, i) => String(i % 16)).join(',');
    const header = Array.from({ length: 64 }, (_, i) => `p${i}`).join(',');
    writeFileSync(path.join(cwd, 'header.csv'), `${header}\n${good}\n${nans}\n`);
    const headed = await runInProcess(['predict', 'runs/digits', 'header.csv', '--backend', 'cpu-reference'], cwd);
    expect(headed.code, headed.stderr).toBe(2);
    expect(oneLine(headed.stderr)).toMatch(
      /^myelin: invalid value for <input> at header\.csv:3: got "nan,.*": item 1 of 64/,
    );
    writeFileSync(path.join(cwd, 'header.csv'), `${header}\n${good}\n`);
    const ok = await runInProcess(['predict', 'runs/digits', 'header.csv', '--backend', 'cpu-reference'], cwd);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^header\.csv:2: \d/);
  });
});

describe('top-k accuracy with k above the class count', () => {
  it('is refused before training, naming the flag or the file and the class count; k = classes is fine', async () => {
    const flag = await runInProcess(['train', ...QUICK, '--metrics', 'accuracy,top20', '--name', 'top20'], cwd);
    expect(flag.code, flag.stderr).toBe(2);
    expect(oneLine(flag.stderr)).toBe(
      'myelin: invalid value for training.metrics (--metrics): got "top20", but the data has 10 classes, so it would always read 1; allowed: topK with k <= 10, or accuracy',
    );
    writeFileSync(path.join(cwd, 'top11.json'), JSON.stringify({ training: { metrics: ['top11_accuracy'] } }));
    const file = await runInProcess(['train', ...QUICK, '--config', 'top11.json', '--name', 'top11'], cwd);
    expect(file.code, file.stderr).toBe(2);
    expect(oneLine(file.stderr)).toMatch(
      /^myelin: invalid value for training\.metrics in top11\.json: got "top11_accuracy"/,
    );
    const ten = await runInProcess(['train', ...QUICK, '--metrics', 'top10', '--name', 'top10'], cwd);
    expect(ten.code, ten.stderr).toBe(0);
  });

  it('a run made before the check still evaluates, without that metric', async () => {
    cpSync(path.join(cwd, 'runs', 'digits'), path.join(cwd, 'runs', 'old-top20'), { recursive: true });
    // evaluate reads the run config stored in the checkpoint.
    for (const name of ['best.json', 'last.json']) {
      const file = path.join(cwd, 'runs', 'old-top20', name);
      const saved = JSON.parse(readFileSync(file, 'utf8')) as {
        extra: { myelin: { config: { training: { metrics: string[] | null } } } };
      };
      saved.extra.myelin.config.training.metrics = ['accuracy', 'top20'];
      writeFileSync(file, JSON.stringify(saved));
    }
    const result = await runInProcess(['evaluate', 'runs/old-top20', '--json', '--backend', 'cpu-reference'], cwd);
    expect(result.code, result.stderr).toBe(0);
    const values = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(values.accuracy).toBeGreaterThan(0);
    expect(values).not.toHaveProperty('top20_accuracy');
  });
});

describe('resume with a damaged metrics.jsonl', () => {
  const lines = (file: string): string[] => readFileSync(file, 'utf8').trim().split('\n');

  it('keeps the epochs metrics.csv still holds (they were rewritten away from both files), and says so', async () => {
    const first = await runInProcess(['train', ...QUICK, '--epochs', '3', '--name', 'metrics-damaged'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const run = path.join(cwd, 'runs', 'metrics-damaged');
    const csv = lines(path.join(run, 'metrics.csv'));
    const jsonl = lines(path.join(run, 'metrics.jsonl'));
    writeFileSync(path.join(run, 'metrics.jsonl'), `${jsonl[0]!.slice(0, 20)}\n${jsonl.slice(1).join('\n')}\n`);
    const resumed = await runInProcess(
      ['train', '--resume', 'runs/metrics-damaged', '--epochs', '4', '--no-progress', '--backend', 'cpu-reference'],
      cwd,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('metrics.jsonl lacked epoch 1; kept from metrics.csv');
    const after = lines(path.join(run, 'metrics.csv'));
    expect(after.slice(0, 4)).toEqual(csv);
    expect(after).toHaveLength(5);
    const records = lines(path.join(run, 'metrics.jsonl')).map((line) => JSON.parse(line) as Record<string, number>);
    expect(records.map((r) => r.epoch)).toEqual([1, 2, 3, 4]);
    expect(records[0]).toEqual(JSON.parse(jsonl[0]!));
  });

  it('a deleted metrics.jsonl is rebuilt from metrics.csv', async () => {
    const first = await runInProcess(['train', ...QUICK, '--epochs', '2', '--name', 'metrics-deleted'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const run = path.join(cwd, 'runs', 'metrics-deleted');
    const jsonl = lines(path.join(run, 'metrics.jsonl'));
    rmSync(path.join(run, 'metrics.jsonl'));
    const resumed = await runInProcess(
      ['train', '--resume', 'runs/metrics-deleted', '--epochs', '3', '--no-progress', '--backend', 'cpu-reference'],
      cwd,
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('metrics.jsonl lacked epochs 1, 2; kept from metrics.csv');
    const parse = (line: string): unknown => JSON.parse(line);
    expect(lines(path.join(run, 'metrics.jsonl')).slice(0, 2).map(parse)).toEqual(jsonl.map(parse));
  });
});
