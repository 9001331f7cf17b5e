import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { finalResults, readLines, removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('train-metrics');
afterAll(() => removeDirectory(cwd));

const records = (name: string): Record<string, number>[] =>
  readLines(path.join(cwd, 'runs', name, 'metrics.jsonl')).map((line) => JSON.parse(line) as Record<string, number>);

describe('myelin train and evaluate with precision/recall/f1/auc and regression metrics', () => {
  it('logs f1 and f1_micro per epoch, picks the best checkpoint by val_f1, and evaluate prints them', async () => {
    const trained = await runCli(
      [
        'train',
        '--epochs',
        '3',
        '--hidden',
        '16',
        '--metrics',
        'accuracy,f1,f1_micro',
        '--checkpoint-monitor',
        'val_f1',
        '--name',
        'f1',
        '--no-progress',
      ],
      cwd,
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(
      /epoch 3\/3 {2}loss \S+ {2}accuracy \S+ {2}f1 \S+ {2}f1_micro \S+ {2}val_loss \S+ {2}val_accuracy \S+ {2}val_f1 \S+ {2}val_f1_micro /,
    );
    const logged = records('f1');
    expect(Object.keys(logged[0]!)).toEqual(expect.arrayContaining(['f1', 'f1_micro', 'val_f1', 'val_f1_micro']));
    // Single-label classes: micro F1 is the accuracy.
    for (const record of logged) expect(record.val_f1_micro).toBeCloseTo(record.val_accuracy!, 10);
    expect(readLines(path.join(cwd, 'runs', 'f1', 'metrics.csv'))[0]).toBe(
      'epoch,loss,accuracy,f1,f1_micro,val_loss,val_accuracy,val_f1,val_f1_micro,lr,duration,samples_per_second',
    );
    const best = Math.max(...logged.map((r) => r.val_f1!));
    expect(trained.stdout).toContain(`by val_f1 ${best.toFixed(4)}`);
    const table = finalResults(trained.stdout);
    expect(table.f1).toBeGreaterThan(0.5);
    const evaluated = await runCli(['evaluate', 'runs/f1/last.json', '--json'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    const report = JSON.parse(evaluated.stdout) as Record<string, number>;
    expect(report.f1).toBeCloseTo(table.f1!, 4);
    expect(report.f1_micro).toBeCloseTo(report.accuracy!, 10);
  });

  it('regression logs mae, rmse and r2 and minimises val_mae; a binary classifier logs auc; mismatches are usage errors', async () => {
    let state = 5;
    const random = (): number => ((state = (state * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const rows = Array.from({ length: 160 }, () => [random(), random()]);
    writeFileSync(
      path.join(cwd, 'linear.csv'),
      `a,b,y\n${rows.map(([a, b]) => `${a!.toFixed(4)},${b!.toFixed(4)},${(2 * a! - b! + 0.5).toFixed(4)}`).join('\n')}\n`,
    );
    writeFileSync(
      path.join(cwd, 'quadrants.txt'),
      `${rows.map(([a, b]) => `${a!.toFixed(4)} ${b!.toFixed(4)} ${a! + b! > 0 ? 1 : 0}`).join('\n')}\n`,
    );
    const common = ['--data', 'csv', '--epochs', '6', '--no-progress'];
    const regression = await runCli(
      [
        'train',
        ...common,
        '--data-path',
        'linear.csv',
        '--loss',
        'MSELoss',
        '--metrics',
        'mae,rmse,r2',
        '--checkpoint-monitor',
        'val_mae',
        '--name',
        'linear',
      ],
      cwd,
    );
    expect(regression.code, regression.stderr).toBe(0);
    const logged = records('linear');
    for (const record of logged) expect(record.rmse).toBeGreaterThan(0);
    const least = Math.min(...logged.map((r) => r.val_mae!));
    expect(regression.stdout).toContain(`by val_mae ${least.toFixed(4)}`);
    expect(finalResults(regression.stdout).r2).toBeGreaterThan(0.5);

    const binary = await runCli(
      [
        'train',
        ...common,
        '--data-path',
        'quadrants.txt',
        '--loss',
        'BCEWithLogitsLoss',
        '--metrics',
        'accuracy,auc,f1',
        '--name',
        'binary',
      ],
      cwd,
    );
    expect(binary.code, binary.stderr).toBe(0);
    expect(finalResults(binary.stdout).auc).toBeGreaterThan(0.8);

    const refused = await runCli(['train', '--epochs', '1', '--metrics', 'auc', '--name', 'refused'], cwd);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('got "auc", but auc scores a binary classifier');
    const unknown = await runCli(['train', '--epochs', '1', '--metrics', 'f2', '--name', 'unknown'], cwd);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown metric 'f2'.*f1_micro.*r2/);
  });
});
