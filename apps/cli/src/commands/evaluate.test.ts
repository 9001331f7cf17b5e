import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { finalResults, removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('evaluate');
afterAll(() => removeDirectory(cwd));

let trainOutput = '';
beforeAll(async () => {
  const result = await runCli(['train', '--epochs', '4', '--hidden', '32', '--name', 'digits'], cwd);
  expect(result.code, result.stderr).toBe(0);
  trainOutput = result.stdout;
});

describe('myelin evaluate (the built binary)', () => {
  it('scores the best checkpoint of a run directory on its test split, with the same preprocessing and split as training', async () => {
    const result = await runCli(['evaluate', 'runs/digits', '--json'], cwd);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as {
      checkpoint: string;
      split: string;
      samples: number;
      loss: number;
      accuracy: number;
      confusionMatrix: number[][];
      classes: string[];
    };
    expect(report).toMatchObject({
      checkpoint: 'runs/digits/best',
      split: 'test',
      samples: 269,
      classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    });
    // The final table of `train` evaluated the same checkpoint on the same 269 samples.
    const trained = finalResults(trainOutput);
    expect(report.accuracy).toBeCloseTo(trained.accuracy!, 4);
    expect(report.loss).toBeCloseTo(trained.loss!, 4);
    expect(report.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(269);
    const correct = report.confusionMatrix.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(correct / 269).toBeCloseTo(report.accuracy, 10);
  });

  it('prints a table and a confusion matrix, and takes any split or checkpoint file', async () => {
    const result = await runCli(['evaluate', 'runs/digits/last.json', '--split', 'validation'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^myelin evaluate {2}runs\/digits\/last \(epoch 4\) on the validation set of digits/);
    expect(result.stdout).toMatch(/ {2}loss {5}accuracy\n {2}\d\.\d{4} {3}\d\.\d{4}\n/);
    expect(result.stdout).toContain('Confusion matrix (rows: true class, columns: predicted)');
  });

  it('refuses a checkpoint whose stored data description is damaged, naming the field (not a TypeError)', async () => {
    cpSync(path.join(cwd, 'runs', 'digits'), path.join(cwd, 'runs', 'damaged'), { recursive: true });
    const file = path.join(cwd, 'runs', 'damaged', 'last.json');
    // a damaged key that still parses (the fuzz suite's byte damage found one): sampleShape is then missing
    writeFileSync(file, readFileSync(file, 'utf8').replace('"sampleShape"', '"samplXShape"'));
    const result = await runCli(['evaluate', 'runs/damaged/last'], cwd);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/its stored data description is invalid at data\.sampleShape/);
    expect(result.stderr).not.toContain('TypeError');
  });

  it('evaluates on other data given with --data / --data-path (a CSV of digits rows)', async () => {
    const rows = [
      '0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0',
    ];
    writeFileSync(path.join(cwd, 'digits.csv'), `${rows.join('\n')}\n`);
    const result = await runCli(
      ['evaluate', 'runs/digits', '--data', 'csv', '--data-path', 'digits.csv', '--json'],
      cwd,
    );
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ data: 'csv', split: 'all', samples: 1 });
  });
});
