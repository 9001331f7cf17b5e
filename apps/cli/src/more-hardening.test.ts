// More CLI items as the user meets them (exit code and the one line printed), in-process.
import { writeFileSync } from 'node:fs';
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
