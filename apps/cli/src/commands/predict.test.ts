import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeImageFolder, removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('predict');
afterAll(() => removeDirectory(cwd));

interface Prediction {
  input: string;
  prediction: string;
  probability: number;
  top: { class: string; probability: number }[];
  label?: string;
  correct?: boolean;
}

beforeAll(async () => {
  const digits = await runCli(['train', '--epochs', '6', '--name', 'digits'], cwd);
  expect(digits.code, digits.stderr).toBe(0);
  await makeImageFolder(path.join(cwd, 'weather'));
  const images = await runCli(
    [
      'train',
      '--preset',
      'image-folder-mlp',
      '--data-path',
      'weather',
      '--resize',
      '8',
      '--hidden',
      '16',
      '--dropout',
      '0',
      '--epochs',
      '12',
      '--batch-size',
      '4',
      '--optimizer',
      'adam',
      '--lr',
      '0.01',
      '--schedule',
      'none',
      '--name',
      'weather',
    ],
    cwd,
  );
  expect(images.code, images.stderr).toBe(0);
});

describe('myelin predict (the built binary)', () => {
  it("predicts samples of the run's test data by index, with their labels", async () => {
    const result = await runCli(['predict', 'runs/digits', '0', '1', '2', '3', '4', '5', '6', '7', '--json'], cwd);
    expect(result.code, result.stderr).toBe(0);
    const predictions = JSON.parse(result.stdout) as Prediction[];
    expect(predictions).toHaveLength(8);
    expect(predictions[0]!.input).toBe('digits test sample 0');
    for (const p of predictions) {
      expect(p.top).toHaveLength(3);
      expect(p.top[0]!.class).toBe(p.prediction);
      expect(p.top[0]!.probability).toBeGreaterThanOrEqual(p.top[1]!.probability);
      expect(p.label).toMatch(/^\d$/);
    }
    expect(predictions.filter((p) => p.correct).length).toBeGreaterThanOrEqual(6);
  });

  it('predicts a CSV row given inline or in a file (with or without the label)', async () => {
    const zero =
      '0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0';
    writeFileSync(path.join(cwd, 'rows.csv'), `${zero},0\n`);
    const result = await runCli(['predict', 'runs/digits/best', zero, 'rows.csv'], cwd);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^row 0,0,5,13.*: 0 \(0\.\d{4}\)\n {2}top 3: 0 0\.\d{4}, /);
    expect(result.stdout).toMatch(/rows\.csv:1: 0 \(0\.\d{4}\) {2}\(label 0: correct\)/);
  });

  it("predicts an image file with the run's decoding, resize and normalisation", async () => {
    const result = await runCli(
      ['predict', 'runs/weather', 'weather/Rain/image-3.png', 'weather/Shine/image-1.png', '--top', '2', '--json'],
      cwd,
    );
    expect(result.code, result.stderr).toBe(0);
    const predictions = JSON.parse(result.stdout) as Prediction[];
    expect(predictions.map((p) => p.prediction)).toEqual(['Rain', 'Shine']);
    expect(predictions[0]!.top).toHaveLength(2);
  });
});
