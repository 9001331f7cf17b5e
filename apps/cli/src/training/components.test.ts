import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import '@myelin/backend-cpu-reference';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import { buildModel, buildTrainingParts, modelConfigFor } from './components.js';

const config = (flags: Record<string, string>) =>
  resolveConfig({ flags: new Map(Object.entries(flags)), cwd: process.cwd() }).config;
const layers = (flags: Record<string, string>, data = { sampleShape: [2], outputs: 1 }) =>
  (modelConfigFor(config(flags), data).modules as { type: string }[]).map((m) => m.type);

describe('the MLP of a run config (core mlpConfig)', () => {
  it("lays out core's activations, 'linear' included, and flattens image samples", () => {
    expect(layers({ hidden: '4', activation: 'elu', loss: 'MSELoss' })).toEqual(['Linear', 'ELU', 'Linear']);
    expect(layers({ hidden: '4', activation: 'linear', loss: 'MSELoss' })).toEqual(['Linear', 'Linear']);
    expect(layers({ hidden: '4' }, { sampleShape: [1, 8, 8], outputs: 10 })).toEqual([
      'Flatten',
      'Linear',
      'ReLU',
      'Linear',
    ]);
  });

  it('ends in a sigmoid for a binary loss on probabilities only, whatever the case of its name', () => {
    expect(layers({ hidden: 'none', loss: 'BCELoss' })).toEqual(['Linear', 'Sigmoid']);
    expect(layers({ hidden: 'none', loss: 'bceloss' })).toEqual(['Linear', 'Sigmoid']);
    expect(layers({ hidden: 'none', loss: 'BCEWithLogitsLoss' })).toEqual(['Linear']);
  });
});

describe('errors from building the parts name where the value came from', () => {
  const data = { sampleShape: [2], outputs: 2, task: 'classification' as const };
  const problem = (flags: Record<string, string>, file?: string): string => {
    const { config, origins } = resolveConfig({
      flags: new Map(Object.entries({ hidden: 'none', ...flags })),
      ...(file === undefined ? {} : { file }),
      cwd: process.cwd(),
    });
    const source = { origins, file };
    const model = buildModel(modelConfigFor(config, data), 0, source);
    try {
      const parts = buildTrainingParts(config, model, data.task, source);
      parts.optimizer.dispose();
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    } finally {
      model.dispose();
    }
    throw new Error('expected a usage error');
  };
  const directory = mkdtempSync(path.join(tmpdir(), 'myelin-components-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = (name: string, content: object): string => {
    const at = path.join(directory, name);
    writeFileSync(at, JSON.stringify(content));
    return at;
  };

  it('an optimizer, loss, schedule or metric value from a config file names the file (it said "the config" or a flag)', () => {
    const c4 = file('c4.json', { optimizer: { type: 'adam', lr: 0.01, betas: [0.9, 1.5] } });
    expect(problem({}, c4)).toMatch(new RegExp(`^invalid value for optimizer\\.beta2 in ${c4}: Adam .*1\\.5`));
    const loss = file('loss.json', { loss: { type: 'CrossEntropyLoss', labelSmoothing: 2 } });
    expect(problem({}, loss)).toMatch(new RegExp(`^invalid value for loss in ${loss}: CrossEntropyLoss`));
    const schedule = file('schedule.json', { schedule: { type: 'StepLR', stepSize: -1 } });
    expect(problem({}, schedule)).toMatch(new RegExp(`^invalid value for schedule in ${schedule}: StepLR`));
    const metrics = file('metrics.json', { training: { metrics: ['top0'] } });
    expect(problem({}, metrics)).toMatch(new RegExp(`^invalid value for training\\.metrics in ${metrics}: `));
  });

  it('nested schedules: the one that failed is named, LambdaLR is refused, a OneCycleLR in a ChainedScheduler spans the run', () => {
    expect(
      problem({
        schedule: '{"type":"SequentialLR","schedulers":[{"type":"linear"},{"type":"cosine"}],"milestones":[5]}',
      }),
    ).toBe(
      'invalid value for schedule (--schedule): SequentialLR: schedulers[1]: CosineAnnealingLR: invalid tMax undefined (must be an integer >= 1)',
    );
    expect(problem({ schedule: '{"type":"LambdaLR"}' })).toMatch(
      /^invalid value for schedule \(--schedule\): schedulerFromConfig: LambdaLR takes a function of the epoch/,
    );
    const { config } = resolveConfig({
      flags: new Map([['schedule', '{"type":"chained","schedulers":[{"type":"onecycle","maxLr":0.01}]}']]),
      cwd: process.cwd(),
    });
    const model = buildModel(modelConfigFor(config, data), 0);
    const parts = buildTrainingParts(config, model, data.task, undefined, 10);
    expect(parts.schedule?.interval).toBe('batch');
    expect(parts.schedule?.stateDict()).toMatchObject({
      schedulers: [{ type: 'OneCycleLR', options: { totalSteps: config.training.epochs * 10 } }],
    });
    parts.optimizer.dispose();
    model.dispose();
  });

  it('a flag over the file is named instead', () => {
    const c4 = file('c4-flag.json', { optimizer: { type: 'adam', lr: 0.01 } });
    expect(problem({ optimizer: '{"type":"adam","betas":[0.9,1.5]}' }, c4)).toMatch(
      /^invalid value for optimizer\.beta2 \(--optimizer\): /,
    );
    expect(problem({ momentum: '-1', optimizer: 'sgd' }, c4)).toMatch(
      /^invalid value for optimizer\.momentum \(--momentum\): /,
    );
    expect(problem({ loss: '{"type":"CrossEntropyLoss","labelSmoothing":2}' }, c4)).toMatch(
      /^invalid value for loss \(--loss\): /,
    );
  });
});

describe('buildModel refuses lazy layers (the optimizer is built before any forward)', () => {
  it('names each unbuilt lazy layer and the concrete one to give instead', () => {
    const lazy = { type: 'Sequential', modules: [{ type: 'Flatten' }, { type: 'LazyLinear', outFeatures: 2 }] };
    expect(() => buildModel(lazy, 0)).toThrow(UsageError);
    expect(() => buildModel(lazy, 0)).toThrow(
      /^invalid value for model: got LazyLinear at '1', a lazy layer that creates its parameters at its first forward, .*allowed: the concrete layer with its input size, e\.g\. \{"type":"Linear","inFeatures":64/,
    );
    expect(() => buildModel({ type: 'LazyBatchNorm1d' }, 0)).toThrow(/^invalid value for model: got LazyBatchNorm1d, /);
  });
});
