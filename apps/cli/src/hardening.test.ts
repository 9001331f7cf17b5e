// Issue 13's CLI items, each as the user meets it: exit code and the one line printed.
// In-process (main()) where the process itself does not matter; spawned where it does (the lock).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInProcess } from './test-in-process.js';
import { readJson, removeDirectory, startCli, temporaryDirectory, waitForFile } from './test-cli.js';

const cwd = temporaryDirectory('hardening');
afterAll(() => removeDirectory(cwd));
const at = (...parts: string[]): string => path.join(cwd, ...parts);
const QUICK = ['--epochs', '1', '--hidden', '8', '--no-progress'];

/** One line on stderr, no stack trace. */
function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/\n\s+at /);
  return lines[0]!;
}

async function uniformImages(root: string, size: [number, number], perClass = 3, classes = ['a', 'b']): Promise<void> {
  const sharp = (await import('sharp')).default;
  for (const [k, name] of classes.entries()) {
    mkdirSync(path.join(root, name), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const pixels = Buffer.alloc(size[0] * size[1] * 3, 40 + k * 100 + i);
      await sharp(pixels, { raw: { width: size[1], height: size[0], channels: 3 } })
        .png()
        .toFile(path.join(root, name, `${i}.png`));
    }
  }
}

const rows = (labels: readonly (number | string)[]): string =>
  `a,b,c,label\n${labels.map((label, i) => `${i % 3},${(i * 7) % 5},${i % 2},${label}`).join('\n')}\n`;

beforeAll(async () => {
  const labels = Array.from({ length: 30 }, (_, i) => i % 3);
  writeFileSync(at('ok.csv'), rows(labels));
  writeFileSync(at('big-label.csv'), rows(labels.map((l, i) => (i === 17 ? 1_000_000 : l))));
  writeFileSync(at('huge-label.csv'), rows(labels.map((l, i) => (i === 4 ? 100_000_000 : l))));
  writeFileSync(at('fraction.csv'), rows(labels.map((l, i) => (i === 5 ? 1.5 : l))));
  await uniformImages(at('images-16'), [16, 16]);
  await uniformImages(at('images-12'), [12, 12]);
  await uniformImages(at('images-corrupt'), [16, 16]);
  writeFileSync(at('images-corrupt', 'b', 'broken.jpg'), Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5]));
  await uniformImages(at('images-mixed'), [16, 16]);
  await uniformImages(at('images-mixed-b'), [20, 16], 1, ['b']);
  writeFileSync(at('images-mixed', 'b', 'odd.png'), readFileSync(at('images-mixed-b', 'b', '0.png')));
});

describe('item 6: config defaults merge with an optimizer object', () => {
  it("an optimizer object without lr trains at its type's default (2e-3 for sgd and adam) or the --lr given", async () => {
    const sgd = await runInProcess(
      ['train', ...QUICK, '--optimizer', '{"type":"sgd","momentum":0.9}', '--name', 'sgd'],
      cwd,
    );
    expect(sgd.code, sgd.stderr).toBe(0);
    expect(readJson<{ optimizer: unknown }>(at('runs', 'sgd', 'config.json')).optimizer).toEqual({
      type: 'sgd',
      momentum: 0.9,
      lr: 0.002,
    });
    const adam = await runInProcess(
      ['train', ...QUICK, '--optimizer', '{"type":"adam","weightDecay":0.01}', '--lr', '0.01', '--name', 'adam'],
      cwd,
    );
    expect(adam.code, adam.stderr).toBe(0);
    expect(readJson<{ optimizer: unknown }>(at('runs', 'adam', 'config.json')).optimizer).toEqual({
      type: 'adam',
      weightDecay: 0.01,
      lr: 0.01,
    });
    writeFileSync(at('adam.yaml'), 'optimizer:\n  type: adam\n  weightDecay: 0.01\n');
    const file = await runInProcess(['train', ...QUICK, '--config', 'adam.yaml', '--name', 'adam-file'], cwd);
    expect(file.code, file.stderr).toBe(0);
    expect(file.stdout).toMatch(/adam weightDecay 0\.01 lr 0\.002/);
    // Another type without an lr: PyTorch's default for it, printed and stored.
    const adadelta = await runInProcess(['train', ...QUICK, '--optimizer', 'adadelta', '--name', 'adadelta'], cwd);
    expect(adadelta.code, adadelta.stderr).toBe(0);
    expect(adadelta.stdout).toMatch(/adadelta lr 1\b/);
    expect(readJson<{ optimizer: unknown }>(at('runs', 'adadelta', 'config.json')).optimizer).toEqual({
      type: 'adadelta',
      lr: 1,
    });
  });
});

/** [what, arguments, exit code, the one line]. */
const MESSAGES: [string, string[], number, RegExp][] = [
  [
    '--lr -1 (item 8)',
    ['--lr', '-1'],
    2,
    /^myelin: invalid value for optimizer\.lr \(--lr\): got -1; allowed: a number > 0$/,
  ],
  [
    '--lr 0 (item 9)',
    ['--lr', '0'],
    2,
    /^myelin: invalid value for optimizer\.lr \(--lr\): got 0; allowed: a number > 0$/,
  ],
  [
    '--momentum with adam (item 8)',
    ['--optimizer', 'adam', '--momentum', '0.9'],
    2,
    /^myelin: invalid value for optimizer\.momentum \(--momentum\): .*unknown option 'momentum'/,
  ],
  [
    "--layers '[]' (item 8)",
    ['--layers', '[]'],
    2,
    /^myelin: invalid value for model \(--layers\): .*a model without parameters/,
  ],
  [
    '5 outputs for 10 classes (item 7)',
    ['--layers', '[{"type":"Linear","inFeatures":64,"outFeatures":5}]'],
    2,
    /^myelin: invalid value for model \(--layers\): it gives 5 outputs per sample, but the data has 10 classes/,
  ],
  [
    '--hidden 5000000 over the budget (item 3)',
    ['--hidden', '5000000', '--memory-budget', '2GB'],
    2,
    /^myelin: --hidden 5000000 needs about 7\.28 GB for parameters and Adam state, over the memory budget of 2 GB \(--memory-budget\)/,
  ],
  [
    '--hidden 100000000 (item 3)',
    ['--hidden', '100000000'],
    2,
    /^myelin: --hidden 100000000 needs about \d+ GB for parameters and Adam state, over the memory budget of .* \(--memory-budget, by default half the physical memory\)/,
  ],
  [
    "a CNN's feature maps over the budget (Linear layers alone fit it)",
    [
      '--layers',
      JSON.stringify([
        { type: 'Unflatten', axis: 1, sizes: [1, 8, 8] },
        { type: 'Conv2d', inChannels: 1, outChannels: 2000, kernelSize: 3, padding: 1 },
        { type: 'Flatten' },
        { type: 'Linear', inFeatures: 128000, outFeatures: 10 },
      ]),
      '--memory-budget',
      '60MB',
    ],
    2,
    /^myelin: the model \(1,300,010 parameters, samples of shape \[64\]\) needs about [\d.]+ MB for parameters, Adam state and the activations of a batch of \d+, over the memory budget of 60 MB \(--memory-budget\)/,
  ],
  [
    'a bad --memory-budget',
    ['--memory-budget', 'lots'],
    2,
    /^myelin: invalid value for --memory-budget: got "lots"; allowed: a size like 2GiB/,
  ],
  [
    'a CSV label of 1,000,000 (item 3)',
    ['--data', 'csv', '--data-path', 'big-label.csv'],
    1,
    /^myelin: the label 1000000 at .*big-label\.csv:19 makes 1,000,001 classes for 30 samples/,
  ],
  [
    'a CSV label of 1,000,000 over an explicit budget (item 3)',
    ['--data', 'csv', '--data-path', 'big-label.csv', '--memory-budget', '1GiB'],
    1,
    /^myelin: the label 1000000 at .*big-label\.csv:19 \(making 1,000,001 classes, a model of 129,000,\d+ parameters\) needs about 2\.\d+ GB for parameters and Adam state, over the memory budget of 1\.07 GB/,
  ],
  [
    'a CSV label of 1e8 (item 3)',
    ['--data', 'csv', '--data-path', 'huge-label.csv'],
    1,
    /^myelin: the label 100000000 at .*huge-label\.csv:6 .* over the memory budget/,
  ],
  [
    'a fractional CSV label (item 8)',
    ['--data', 'csv', '--data-path', 'fraction.csv'],
    1,
    /fraction\.csv:7: expected an integer class label \(or --loss MSELoss for real-valued targets\), found 1\.5$/,
  ],
  [
    'a label column that is not there exits 2 (item 8)',
    ['--data', 'csv', '--data-path', 'ok.csv', '--label-column', 'species'],
    2,
    /^myelin: invalid value for data\.labelColumn \(--label-column\): got "species"; allowed: a column named 'species' \(.*found columns 'a', 'b', 'c', 'label'\)$/,
  ],
  [
    'a label column out of range exits 2 (item 8)',
    ['--data', 'csv', '--data-path', 'ok.csv', '--label-column', '9'],
    2,
    /^myelin: invalid value for data\.labelColumn \(--label-column\): got 9; allowed: a column index in \[-4, 4\)/,
  ],
  [
    '--resize 100000 is a range error (item 8)',
    ['--data', 'image-folder', '--data-path', 'images-16', '--resize', '100000'],
    2,
    /^myelin: invalid value for data\.transforms\[0\]\.size \(--resize\): got 100000; allowed: a number <= 16384$/,
  ],
  [
    '--resize over the budget, before decoding (item 3)',
    ['--data', 'image-folder', '--data-path', 'images-16', '--resize', '10000', '--memory-budget', '512MB'],
    2,
    /^myelin: --resize 10000x10000 of the 6 images in .*images-16 needs about 1\.8 GB for the decoded images, over the memory budget of 512 MB/,
  ],
  [
    'images over the budget without --resize (item 3)',
    ['--data', 'image-folder', '--data-path', 'images-16', '--memory-budget', '4000'],
    1,
    /^myelin: the 6 images of 16x16 in .*images-16 \(no --resize\) needs about 4\.61 KB/,
  ],
  [
    'mixed image sizes suggest --resize (item 8)',
    ['--data', 'image-folder', '--data-path', 'images-mixed'],
    1,
    /odd\.png is 20x16 but .* is 16x16|is 16x16 but .*odd\.png is 20x16; pass --resize HxW/,
  ],
  [
    'a corrupt JPEG is one line (item 8)',
    ['--data', 'image-folder', '--data-path', 'images-corrupt'],
    1,
    /^myelin: cannot load the image-folder dataset from .*broken\.jpg: expected a readable/,
  ],
  [
    'test images of another size, before training (item 7)',
    ['--data', 'image-folder', '--data-path', 'images-16', '--test-path', 'images-12'],
    1,
    /^myelin: the test data \(--test-path .*images-12\) does not match the training data: .*images-12\/a\/0\.png has samples of shape \[3, 12, 12\], the training data \[3, 16, 16\]; pass --resize/,
  ],
  [
    '--output under a file (item 8)',
    ['--output', '/dev/null/runs'],
    1,
    /^myelin: cannot create a run directory in \/dev\/null\/runs \(--output\): a part of the path is a file, not a directory \(ENOTDIR\)$/,
  ],
];

describe('items 3, 7, 8, 9: one line naming the flag or the data, before training', () => {
  it.each(MESSAGES)('%s', async (_what, args, code, message) => {
    const result = await runInProcess(['train', '--epochs', '1', '--no-progress', ...args], cwd);
    expect(result.code, result.stderr).toBe(code);
    expect(oneLine(result.stderr)).toMatch(message);
    expect(result.stdout).not.toMatch(/epoch 1\/1/);
  });
});

describe('item 9: evaluate and predict', () => {
  it('predict --split bogus exits 2; evaluate says it falls back to last; NaN weights are refused', async () => {
    const train = await runInProcess(['train', ...QUICK, '--save-best', 'false', '--name', 'nobest'], cwd);
    expect(train.code, train.stderr).toBe(0);
    const split = await runInProcess(['predict', 'runs/nobest', '3', '--split', 'bogus'], cwd);
    expect(split.code).toBe(2);
    expect(oneLine(split.stderr)).toMatch(
      /^myelin: invalid value for --split: got "bogus"; allowed: test, validation, train$/,
    );
    const fallback = await runInProcess(['evaluate', 'runs/nobest', '--json'], cwd);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(oneLine(fallback.stderr)).toMatch(/runs\/nobest has no 'best' checkpoint .*; using 'last'$/);

    // The same weights, with one NaN: the manifest's checksum is updated, so only the value is wrong.
    const { loadCheckpoint, saveCheckpoint } = await import('@myelin/core/node');
    const { disposeCheckpoint, fromHost } = await import('@myelin/core');
    const checkpoint = await loadCheckpoint(at('runs', 'nobest'), 'last');
    const weight = checkpoint.modelState['0.weight'] ?? Object.values(checkpoint.modelState)[0]!;
    const name = Object.keys(checkpoint.modelState).find((k) => checkpoint.modelState[k] === weight)!;
    const values = Float32Array.from(await weight.data());
    values[3] = Number.NaN;
    checkpoint.modelState[name] = fromHost(values, weight.shape);
    weight.dispose();
    await saveCheckpoint(at('runs', 'nobest'), 'last', checkpoint);
    disposeCheckpoint(checkpoint);
    const nan = await runInProcess(['evaluate', 'runs/nobest/last'], cwd);
    expect(nan.code).toBe(1);
    expect(oneLine(nan.stderr)).toMatch(
      new RegExp(
        `^myelin: cannot use checkpoint runs/nobest/last: its weight ${name.replace('.', '\\.')} holds NaN at index 3`,
      ),
    );
  });

  it('evaluate on data of another shape names the expected and found shapes (item 7)', async () => {
    const train = await runInProcess(['train', ...QUICK, '--name', 'digits'], cwd);
    expect(train.code, train.stderr).toBe(0);
    const result = await runInProcess(['evaluate', 'runs/digits', '--data', 'csv', '--data-path', 'ok.csv'], cwd);
    expect(result.code).toBe(2);
    expect(oneLine(result.stderr)).toMatch(
      /^myelin: cannot evaluate runs\/digits\/best on csv .*: the model takes samples of shape \[64\] .*, this data gives \[3\]/,
    );
  });
});

describe('item 9 and 8: a resume keeps what decides the trajectory', () => {
  it('an edited batchSize, optimizer or data source in config.json is refused with exit 2 naming the field', async () => {
    const train = await runInProcess(['train', ...QUICK, '--name', 'edit'], cwd);
    expect(train.code, train.stderr).toBe(0);
    const file = at('runs', 'edit', 'config.json');
    const original = readFileSync(file, 'utf8');
    const edits: [string, (c: Record<string, any>) => void, RegExp][] = [
      ['batchSize', (c) => (c.training.batchSize = 64), /training\.batchSize is 64 in .*config\.json but was 32/],
      ['optimizer', (c) => (c.optimizer = { type: 'sgd', lr: 0.1 }), /optimizer\.type is "sgd" .* but was "adam"/],
      ['data source', (c) => (c.data.source = 'csv'), /data\.source is "csv" .* but was "digits"/],
    ];
    for (const [what, edit, message] of edits) {
      const config = JSON.parse(original) as Record<string, any>;
      edit(config);
      writeFileSync(file, JSON.stringify(config));
      const result = await runInProcess(['train', '--resume', 'runs/edit', '--epochs', '2', '--no-progress'], cwd);
      expect(result.code, what).toBe(2);
      expect(oneLine(result.stderr)).toMatch(message);
    }
    writeFileSync(file, original);
  });

  it("the NaN guard's step count continues after a resume", async () => {
    // lr x 1e30 after epoch 1: epoch 2 diverges at once. 1,258 training samples / 32 = 40 batches.
    const args = ['--optimizer', 'sgd', '--lr', '0.01', '--schedule', '{"type":"StepLR","stepSize":1,"gamma":1e30}'];
    const first = await runInProcess(['train', ...QUICK, ...args, '--name', 'nan'], cwd);
    expect(first.code, first.stderr).toBe(0);
    const resumed = await runInProcess(['train', '--resume', 'runs/nan', '--epochs', '2', '--no-progress'], cwd);
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/the loss became (NaN|Infinity|-Infinity) at epoch 2, step (4[1-9]|[5-9]\d)\b/);
  });
});

describe("a resume keeps the 'best' checkpoint", () => {
  // lr 0.1 on 8 hidden units: validation accuracy peaks at epoch 2 and drops at epoch 3.
  const args = ['--hidden', '8', '--lr', '0.1', '--no-progress'];
  let bestEpoch = 0;
  beforeAll(async () => {
    const whole = await runInProcess(['train', ...args, '--epochs', '3', '--name', 'best-whole'], cwd);
    expect(whole.code, whole.stderr).toBe(0);
    const accuracies = readFileSync(at('runs', 'best-whole', 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => (JSON.parse(line) as { val_accuracy: number }).val_accuracy);
    bestEpoch = accuracies.indexOf(Math.max(...accuracies)) + 1;
    expect(bestEpoch, 'the cases need a best epoch before the last').toBeLessThan(3);
    expect(readJson<{ epoch: number }>(at('runs', 'best-whole', 'best.json')).epoch).toBe(bestEpoch);
  });

  /** Trains `name` for 2 epochs, lets `damage` act on its directory, then resumes it to epoch 3. */
  async function resumeAfter(name: string, damage: (directory: string) => void) {
    const first = await runInProcess(['train', ...args, '--epochs', '2', '--name', name], cwd);
    expect(first.code, first.stderr).toBe(0);
    damage(at('runs', name));
    return runInProcess(['train', '--resume', `runs/${name}`, '--epochs', '3', '--no-progress'], cwd);
  }

  it('without metrics.jsonl, a resumed epoch worse than the recorded best does not overwrite best', async () => {
    const resumed = await resumeAfter('best-resumed', (run) => rmSync(path.join(run, 'metrics.jsonl')));
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(readJson<{ epoch: number }>(at('runs', 'best-resumed', 'best.json')).epoch).toBe(bestEpoch);
    expect(resumed.stdout).toContain(`Best epoch ${bestEpoch} by val_accuracy`);
  });

  it('a best checkpoint damaged before the run ends is reported under the results, and the run still succeeds', async () => {
    const resumed = await resumeAfter('best-damaged', (run) => {
      const file = path.join(run, 'best.safetensors');
      writeFileSync(file, readFileSync(file).subarray(0, 50));
    });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toBe('');
    expect(resumed.stdout).toMatch(/\n {2}last \(epoch 3\) .*\n/);
    expect(resumed.stdout).toMatch(
      new RegExp(
        `\\nThe best checkpoint \\(epoch ${bestEpoch}\\) is not in the table: .*best\\.safetensors: is 50 bytes but .*best\\.json records \\d+: truncated\\n`,
      ),
    );
  });
});

describe('item 2: one writer per run directory', () => {
  it('a second train --resume of the same directory is refused naming the process; a stale lock is taken over', async () => {
    const train = await runInProcess(['train', ...QUICK, '--name', 'locked'], cwd);
    expect(train.code, train.stderr).toBe(0);
    const lock = at('runs', 'locked', '.lock');
    const first = startCli(['train', '--resume', 'runs/locked', '--epochs', '40', '--no-progress'], cwd);
    await waitForFile(lock);
    const second = startCli(['train', '--resume', 'runs/locked', '--epochs', '40', '--no-progress'], cwd);
    const refused = await second.done;
    first.child.kill('SIGINT');
    const stopped = await first.done;
    expect(refused.code).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(
      new RegExp(
        `^myelin: the run directory runs/locked is in use by process ${first.child.pid} \\(myelin train since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\); wait for it to finish or stop it$`,
      ),
    );
    expect(stopped.code, stopped.stderr).toBe(130);
    expect(() => readFileSync(lock)).toThrow(/ENOENT/); // removed on exit, after SIGINT too

    // A lock of this host whose process is gone (a SIGKILL) is stale: taken over, with a notice.
    expect((await runInProcess(['train', ...QUICK, '--name', 'stale'], cwd)).code).toBe(0);
    const staleLock = at('runs', 'stale', '.lock');
    writeFileSync(
      staleLock,
      JSON.stringify({ host: hostname(), pid: 2 ** 22 + 17, since: '2020-01-01T00:00:00.000Z' }),
    );
    const resumed = await runInProcess(['train', '--resume', 'runs/stale', '--epochs', '2', '--no-progress'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(
      /taking over the stale lock of runs\/stale \(process 4194321 of this host no longer runs; it held it since 2020-01-01/,
    );
    expect(() => readFileSync(staleLock)).toThrow(/ENOENT/);
  });
});

describe('one line, always', () => {
  it("a message quoting lines of bad input (JSON.parse's snippet of a damaged last.json) is printed on one line", async () => {
    const { CliError, reportError } = await import('./errors.js');
    const error = new CliError(
      'last.json: not valid JSON (Unexpected token \'Y\', ..."     },\n  Y   {\n    "... is not valid JSON)',
    );
    expect(reportError(error, false).text).toBe(
      'myelin: last.json: not valid JSON (Unexpected token \'Y\', ..."     }, Y   { "... is not valid JSON)',
    );
  });
});
