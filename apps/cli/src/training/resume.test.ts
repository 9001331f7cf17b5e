import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readJson,
  readLines,
  removeDirectory,
  runCli,
  startCli,
  temporaryDirectory,
  waitForFile,
  type CliResult,
} from '../test-cli.js';

const cwd = temporaryDirectory('resume');
afterAll(() => removeDirectory(cwd));

// Dropout, a step schedule and Adam: everything a resume must restore (RNG, schedule, moments).
// Small batches make an epoch long enough (~1-2 s) for a signal to land inside one.
const RUN = [
  'train',
  '--hidden',
  '256,256',
  '--dropout',
  '0.2',
  '--batch-size',
  '8',
  '--epochs',
  '3',
  '--schedule',
  '{"type":"StepLR","stepSize":1,"gamma":0.5}',
  '--seed',
  '5',
];

const runDirectory = (name: string): string => path.join(cwd, 'runs', name);
const bytes = (name: string, file: string): Buffer => readFileSync(path.join(runDirectory(name), file));
const records = (name: string): Record<string, number>[] =>
  readLines(path.join(runDirectory(name), 'metrics.jsonl')).map((line) => JSON.parse(line) as Record<string, number>);

/** Starts a run, waits for its first epoch's checkpoint, then sends `signals` SIGINTs `gapMs` apart. */
async function interrupt(name: string, signals: number, gapMs = 0, more: string[] = []): Promise<CliResult> {
  const run = startCli([...RUN, ...more, '--name', name], cwd);
  await waitForFile(path.join(runDirectory(name), 'last.json'));
  for (let i = 0; i < signals; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    run.child.kill('SIGINT');
  }
  return run.done;
}

function expectSameFinalState(name: string, reference = 'straight'): void {
  // The weights file holds the model's tensors only, laid out deterministically: equal bytes, equal parameters.
  expect(bytes(name, 'last.safetensors').equals(bytes(reference, 'last.safetensors'))).toBe(true);
  expect(bytes(name, 'last.optimizer.safetensors').equals(bytes(reference, 'last.optimizer.safetensors'))).toBe(true);
  const resumed = records(name);
  const straight = records(reference);
  expect(resumed.map((r) => r.epoch)).toEqual([1, 2, 3]);
  resumed.forEach((record, i) => {
    // Validation runs on identical weights; the interrupted epoch's train values merge two parts' sums.
    expect(record.val_loss).toBe(straight[i]!.val_loss);
    expect(record.val_accuracy).toBe(straight[i]!.val_accuracy);
    expect(record.lr).toBe(straight[i]!.lr);
    expect(record.loss).toBeCloseTo(straight[i]!.loss!, 6);
  });
}

describe('Ctrl-C and --resume (the built binary)', () => {
  beforeAll(async () => {
    const straight = await runCli([...RUN, '--name', 'straight'], cwd);
    expect(straight.code, straight.stderr).toBe(0);
  });

  it('SIGINT finishes the batch, writes last, says how to resume and exits 130; --resume then ends bit-identical to an uninterrupted run', async () => {
    const stopped = await interrupt('interrupted', 1);
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(stopped.stdout).toContain("Ctrl-C: stopping after the current batch and saving the 'last' checkpoint");
    expect(stopped.stdout).toMatch(
      /Stopped by Ctrl-C: saved runs\/interrupted\/last after (batch \d+\/158 of epoch [23]|epoch [123])\./,
    );
    expect(stopped.stdout).toContain('Resume with: myelin train --resume runs/interrupted');
    const last = readJson<{ epoch: number; extra: { myelin: { position: { batchesDone: number } } } }>(
      path.join(runDirectory('interrupted'), 'last.json'),
    );
    expect(last.epoch).toBeGreaterThanOrEqual(1);
    expect(records('interrupted')).toHaveLength(last.epoch);

    const resumed = await runCli(['train', '--resume', 'runs/interrupted'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/run {8}runs\/interrupted {2}\(resuming after epoch \d/);
    expectSameFinalState('interrupted');
    // 'best' is the best over the whole run, before and after the interruption.
    expect(bytes('interrupted', 'best.safetensors').equals(bytes('straight', 'best.safetensors'))).toBe(true);
  });

  it('a second SIGINT exits at once, leaving only complete files; the run still resumes exactly', async () => {
    const stopped = await interrupt('twice', 2, 5);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/Ctrl-C: stopped at once; the files already written are complete/);
    // No half-written file under a final name: every checkpoint present loads (sizes and CRCs checked).
    const evaluated = await runCli(['evaluate', 'runs/twice/last', '--json'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
    expect(readdirSync(runDirectory('twice')).filter((f) => f.endsWith('.json') && !f.startsWith('.'))).toContain(
      'config.json',
    );
    const resumed = await runCli(['train', '--resume', 'runs/twice'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSameFinalState('twice');
  });

  it('--resume with --epochs trains further, exactly as a longer run would', async () => {
    const short = await runCli(['train', '--epochs', '2', '--name', 'short', '--hidden', '32'], cwd);
    expect(short.code).toBe(0);
    const longer = await runCli(['train', '--epochs', '3', '--name', 'long', '--hidden', '32'], cwd);
    expect(longer.code).toBe(0);
    const finished = await runCli(['train', '--resume', 'runs/short'], cwd);
    expect(finished.code).toBe(2);
    expect(finished.stderr).toMatch(
      /^myelin: invalid value for --resume: runs\/short already finished 2 of 2 epochs; allowed: a run with epochs left \(pass --epochs with more than 2 to train further\)\n$/,
    );
    const extended = await runCli(['train', '--resume', 'runs/short', '--epochs', '3'], cwd);
    expect(extended.code, extended.stderr).toBe(0);
    expect(bytes('short', 'last.safetensors').equals(bytes('long', 'last.safetensors'))).toBe(true);
    expect(
      readJson<{ training: { epochs: number } }>(path.join(runDirectory('short'), 'config.json')).training.epochs,
    ).toBe(3);
  });
});

describe('Ctrl-C and --resume with gradient accumulation (the built binary)', () => {
  // 158 batches per epoch in groups of 3: 52 groups and a leftover of 2 stepped at the epoch's end.
  const ACCUMULATE = ['--accumulate-steps', '3', '--class-weight', 'balanced', '--clip-grad-norm', '1'];

  it('stops only after a batch that ended a step, and --resume ends bit-identical to an uninterrupted run', async () => {
    const straight = await runCli([...RUN, ...ACCUMULATE, '--name', 'accumulated-straight'], cwd);
    expect(straight.code, straight.stderr).toBe(0);
    const stopped = await interrupt('accumulated', 1, 0, ACCUMULATE);
    expect(stopped.code, stopped.stderr).toBe(130);
    const last = readJson<{ extra: { myelin: { position: { batchesDone: number }; config: { training: unknown } } } }>(
      path.join(runDirectory('accumulated'), 'last.json'),
    );
    expect(last.extra.myelin.position.batchesDone % 3).toBe(0);
    expect(
      readJson<{ training: unknown }>(path.join(runDirectory('accumulated'), 'config.json')).training,
    ).toMatchObject({
      accumulateSteps: 3,
      classWeight: 'balanced',
      clipGradNorm: 1,
      validationFreq: 1,
    });
    // The run keeps its loop options: a resume may not change them.
    const changed = await runCli(['train', '--resume', 'runs/accumulated', '--accumulate-steps', '2'], cwd);
    expect(changed.code).toBe(2);
    expect(changed.stderr).toContain('--accumulate-steps cannot be used with --resume');
    const resumed = await runCli(['train', '--resume', 'runs/accumulated'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expectSameFinalState('accumulated', 'accumulated-straight');
  });
});
