import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { finalResults, readJson, readLines, removeDirectory, runCli, temporaryDirectory } from '../test-cli.js';

const cwd = temporaryDirectory('train');
afterAll(() => removeDirectory(cwd));

describe('myelin train (the built binary)', () => {
  it('trains the default digits MLP to >= 95% test accuracy and writes a complete run directory', async () => {
    const result = await runCli(['train', '--name', 'default'], cwd);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    // Plain progress lines (stdout is a pipe), an epoch summary per epoch, then the final table.
    expect(result.stdout).toMatch(/^myelin train {2}digits: 1,797 samples of shape \[64\], 10 classes/);
    expect(result.stdout).toMatch(
      /epoch 1\/40 {2}batch 20\/40 {2}loss \d\.\d{4} {2}acc \d\.\d{4} {2}[\d,]+ samples\/s {2}ETA /,
    );
    expect(result.stdout).toMatch(
      /epoch 40\/40 {2}loss \S+ {2}accuracy \S+ {2}val_loss \S+ {2}val_accuracy \S+ {2}lr 0\.002 /,
    );
    expect(result.stdout).toMatch(/Results on the test set \(269 samples\)/);
    expect(finalResults(result.stdout).accuracy).toBeGreaterThanOrEqual(0.95);

    const run = path.join(cwd, 'runs', 'default');
    for (const file of [
      'config.json',
      'metrics.jsonl',
      'metrics.csv',
      'best.json',
      'best.safetensors',
      'best.optimizer.safetensors',
      'last.json',
      'last.safetensors',
      'loss.svg',
      'accuracy.svg',
    ]) {
      expect(existsSync(path.join(run, file)), file).toBe(true);
    }
    const config = readJson<{ data: { transforms: unknown }; optimizer: unknown; training: { epochs: number } }>(
      path.join(run, 'config.json'),
    );
    expect(config.data.transforms).toEqual([{ type: 'toFloat', scale: 0.0625 }]); // stored, so evaluate/predict preprocess the same way
    expect(config.optimizer).toEqual({ type: 'adam', lr: 0.002 });
    // --backend auto (the default) says what it chose and why; the run records the backend it used,
    // the one `myelin info` says auto picks here.
    const chosen = /\n {2}backend {4}(\S+) {2}\(auto: highest-priority usable backend[;)]/.exec(result.stdout)?.[1];
    expect(chosen, result.stdout).toBeDefined();
    expect(readJson<{ backend: string }>(path.join(run, 'config.json')).backend).toBe(chosen);
    const info = JSON.parse((await runCli(['info', '--json'], cwd)).stdout) as { auto: { backend: string } };
    expect(info.auto.backend).toBe(chosen);
    const records = readLines(path.join(run, 'metrics.jsonl')).map(
      (line) => JSON.parse(line) as Record<string, number>,
    );
    expect(records.map((r) => r.epoch)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(Object.keys(records[0]!).sort()).toEqual([
      'accuracy',
      'duration',
      'epoch',
      'loss',
      'lr',
      'samples_per_second',
      'val_accuracy',
      'val_loss',
    ]);
    const csv = readLines(path.join(run, 'metrics.csv'));
    expect(csv[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy,lr,duration,samples_per_second');
    expect(csv).toHaveLength(41);
    const last = readJson<{ epoch: number; modelConfig: unknown; extra: { myelin: { position: unknown } } }>(
      path.join(run, 'last.json'),
    );
    expect(last.epoch).toBe(40);
    expect(last.modelConfig).toEqual({
      type: 'Sequential',
      modules: [
        { type: 'Linear', inFeatures: 64, outFeatures: 128, bias: true },
        { type: 'ReLU' },
        { type: 'Linear', inFeatures: 128, outFeatures: 10, bias: true },
      ],
    });
    expect(last.extra.myelin.position).toEqual({ batchesDone: 0, partial: null });
    const svg = readFileSync(path.join(run, 'accuracy.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('val_accuracy');
    // The output directory keeps runs out of git.
    expect(readFileSync(path.join(cwd, 'runs', '.gitignore'), 'utf8')).toContain('*');
  });

  it('lets flags override the config file, and stores the resolved config', async () => {
    const file = path.join(cwd, 'run.json');
    writeFileSync(
      file,
      JSON.stringify({
        training: { epochs: 9, batchSize: 64 },
        optimizer: { type: 'sgd', lr: 0.05, momentum: 0.9 },
        model: { type: 'mlp', hidden: [16] },
      }),
    );
    const result = await runCli(['train', '--config', file, '--epochs', '2', '--lr', '0.1', '--name', 'override'], cwd);
    expect(result.code).toBe(0);
    const config = readJson<{ training: { epochs: number; batchSize: number }; optimizer: unknown; model: unknown }>(
      path.join(cwd, 'runs', 'override', 'config.json'),
    );
    expect(config.training).toMatchObject({ epochs: 2, batchSize: 64 });
    expect(config.optimizer).toEqual({ type: 'sgd', lr: 0.1, momentum: 0.9 });
    expect(config.model).toEqual({ type: 'mlp', hidden: [16], activation: 'relu', dropout: 0 });
    expect(result.stdout).toContain('sgd lr 0.1 momentum 0.9, batch 64, 2 epochs');
    expect(readLines(path.join(cwd, 'runs', 'override', 'metrics.jsonl'))).toHaveLength(2);
  });

  it('augments the training images with random crops and flips from the config', async () => {
    const transforms = [
      { type: 'toFloat' },
      { type: 'randomCrop', size: 28, padding: 2 },
      { type: 'randomHorizontalFlip' },
      { type: 'flatten' },
    ];
    const run = (name: string, list: unknown[]) =>
      runCli(
        [
          'train',
          '--data',
          'fashion-mnist',
          '--limit',
          '300',
          '--epochs',
          '1',
          '--hidden',
          '16',
          '--name',
          name,
        ].concat(['--transforms', JSON.stringify(list)]),
        cwd,
      );
    const augmented = await run('augmented', transforms);
    expect(augmented.stderr).toBe('');
    expect(augmented.code).toBe(0);
    const config = readJson<{ data: { transforms: unknown } }>(path.join(cwd, 'runs', 'augmented', 'config.json'));
    expect(config.data.transforms).toEqual(transforms);
    // The same run without the two augmentations trains on other inputs: another training loss.
    const plain = await run('plain', [transforms[0], transforms[3]]);
    expect(plain.code).toBe(0);
    const loss = (name: string) =>
      (JSON.parse(readLines(path.join(cwd, 'runs', name, 'metrics.jsonl'))[0]!) as { loss: number }).loss;
    expect(loss('augmented')).not.toBe(loss('plain'));
  });

  it("trains with torchvision's other augmentations named in the config", async () => {
    const transforms = [
      { type: 'toFloat' },
      { type: 'pad', padding: 2, paddingMode: 'reflect' },
      { type: 'randomResizedCrop', size: 28, scale: [0.6, 1] },
      { type: 'randomRotation', degrees: 10, interpolation: 'bilinear' },
      { type: 'colorJitter', brightness: 0.3, contrast: 0.3 },
      { type: 'randomApply', transforms: [{ type: 'gaussianBlur', kernelSize: 3 }], p: 0.3 },
      { type: 'randomErasing', p: 0.5 },
      { type: 'flatten' },
    ];
    const result = await runCli(
      [
        'train',
        '--data',
        'fashion-mnist',
        '--limit',
        '200',
        '--epochs',
        '1',
        '--hidden',
        '8',
        '--name',
        'torchvision',
      ].concat(['--transforms', JSON.stringify(transforms)]),
      cwd,
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const config = readJson<{ data: { transforms: unknown } }>(path.join(cwd, 'runs', 'torchvision', 'config.json'));
    expect(config.data.transforms).toEqual(transforms);
  });

  it('trains on the native CUDA engine (its CPU emulator build here) exactly as on the native CPU backend', async () => {
    // backend-cuda's build makes the emulator build of its addon (scripts/build-emulator.mjs):
    // the same kernels and glue, every CUDA thread a fiber. The CLI loads it through the variable
    // a carried addon uses.
    const emulator = fileURLToPath(
      new URL('../../../../packages/backend-cuda/dist/native-emu/myelin_cuda.node', import.meta.url),
    );
    expect(existsSync(emulator), `${emulator} (pnpm --filter @myelin/backend-cuda build)`).toBe(true);
    const args = (backend: string) =>
      ['train', '--backend', backend, '--preset', 'fashion-mnist', '--epochs', '1', '--limit', '2000'].concat([
        '--name',
        backend,
        '--no-progress',
      ]);
    process.env.MYELIN_CUDA_ADDON = emulator;
    let cuda: Awaited<ReturnType<typeof runCli>>;
    try {
      cuda = await runCli(args('cuda'), cwd);
    } finally {
      delete process.env.MYELIN_CUDA_ADDON;
    }
    expect(cuda.stderr).toBe('');
    expect(cuda.code).toBe(0);
    expect(cuda.stdout).toMatch(/backend\s+cuda/);
    const cpu = await runCli(args('cpu'), cwd);
    expect(cpu.code).toBe(0);
    const epoch = (name: string) => {
      const { loss, val_loss, val_accuracy } = JSON.parse(
        readLines(path.join(cwd, 'runs', name, 'metrics.jsonl'))[0]!,
      ) as Record<string, number>;
      return { loss, val_loss, val_accuracy };
    };
    const [onCuda, onCpu] = [epoch('cuda'), epoch('cpu')];
    expect(onCuda.val_accuracy).toBe(onCpu.val_accuracy);
    expect(onCuda.loss).toBeCloseTo(onCpu.loss!, 4);
    expect(onCuda.val_loss).toBeCloseTo(onCpu.val_loss!, 4);
  });

  it('sizes a per-batch OneCycleLR schedule to the run: epochs x batches per epoch', async () => {
    const schedule = JSON.stringify({ type: 'OneCycleLR', maxLr: 0.01 });
    const result = await runCli(['train', '--epochs', '3', '--schedule', schedule, '--name', 'onecycle'], cwd);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lrs = readLines(path.join(cwd, 'runs', 'onecycle', 'metrics.jsonl')).map(
      (line) => (JSON.parse(line) as { lr: number }).lr,
    );
    // 40 batches per epoch, 120 steps: near the peak after epoch 1 (the rise ends at step 35),
    // annealed to about maxLr / 25 / 1e4 by the end (a cycle one step too short would have thrown)
    expect(lrs).toHaveLength(3);
    expect(lrs[0]).toBeGreaterThan(0.009);
    expect(lrs[0]).toBeLessThan(0.01);
    // Each epoch logs the lr of its last step: the cycle's very end, maxLr / 25 / 1e4 (not the
    // value the schedule would give one step past its end).
    expect(lrs[2]).toBeCloseTo(0.01 / 25 / 1e4, 15);

    // A resumed run continues the saved cycle: asking for more epochs is refused before training.
    const longer = await runCli(['train', '--resume', 'runs/onecycle', '--epochs', '4'], cwd);
    expect(longer.code).toBe(2);
    expect(longer.stderr).toContain(
      "invalid value for --epochs: 4 (160 optimizer steps of 40 per epoch), but the run's OneCycleLR cycle is 120 steps long",
    );
    expect(longer.stderr).toContain('allowed: --epochs 3');
    expect(readLines(path.join(cwd, 'runs', 'onecycle', 'metrics.jsonl'))).toHaveLength(3);
  });

  it('--accumulate-steps 4 with batches of 8 trains as batches of 32; --validation-freq and --class-weight', async () => {
    const run = (name: string, ...more: string[]) =>
      runCli(
        ['train', '--optimizer', 'sgd', '--lr', '0.05', '--hidden', '16', '--limit', '400', '--epochs', '3'].concat(
          ['--class-weight', 'balanced', '--validation-freq', '2', '--name', name],
          more,
        ),
        cwd,
      );
    const [accumulated, whole] = [
      await run('accumulated', '--batch-size', '8', '--accumulate-steps', '4'),
      await run('whole', '--batch-size', '32'),
    ];
    expect(accumulated.code, accumulated.stderr).toBe(0);
    expect(whole.code, whole.stderr).toBe(0);
    expect(accumulated.stdout).toMatch(
      /training {3}CrossEntropyLoss, sgd lr 0\.05, batch 8 x 4 accumulated per step, class weights balanced \[0\.933, 1, 0\.8, [^\]]+\], validation every 2 epochs, 3 epochs/,
    );
    const records = (name: string) =>
      readLines(path.join(cwd, 'runs', name, 'metrics.jsonl')).map(
        (line) => JSON.parse(line) as Record<string, number>,
      );
    const [a, b] = [records('accumulated'), records('whole')];
    // Validation after epoch 2 only; the best checkpoint is that epoch's.
    expect(a.map((r) => r.val_loss !== undefined)).toEqual([false, true, false]);
    expect(readJson<{ epoch: number }>(path.join(cwd, 'runs', 'accumulated', 'best.json')).epoch).toBe(2);
    a.forEach((record, i) => expect(record.loss).toBeCloseTo(b[i]!.loss!, 5));
    expect(a[1]!.val_loss).toBeCloseTo(b[1]!.val_loss!, 5);
    expect(
      readJson<{ training: unknown }>(path.join(cwd, 'runs', 'accumulated', 'config.json')).training,
    ).toMatchObject({ accumulateSteps: 4, classWeight: 'balanced', validationFreq: 2 });
    // Weights that do not fit the data or the loss are refused before training.
    const wrong = await run('wrong', '--class-weight', '1,2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain(
      'invalid value for training.classWeight (--class-weight): got [1,2] (2 weights); allowed: one weight >= 0 per class (10 for this data)',
    );
    const regression = await run('regression', '--loss', 'MSELoss');
    expect(regression.code).toBe(2);
    expect(regression.stderr).toContain('the loss MSELoss is a regression loss whose targets are not classes');
  });

  it('--schedule SequentialLR: LinearLR warm-up then CosineAnnealingLR as in PyTorch, and --resume continues exactly', async () => {
    const schedule = JSON.stringify({
      type: 'SequentialLR',
      schedulers: [
        { type: 'LinearLR', startFactor: 0.25, totalIters: 2 },
        { type: 'CosineAnnealingLR', tMax: 2 },
      ],
      milestones: [2],
    });
    const run = (name: string, epochs: number) =>
      runCli(
        [
          'train',
          '--optimizer',
          'sgd',
          '--lr',
          '0.01',
          '--schedule',
          schedule,
          '--hidden',
          '16',
          '--limit',
          '400',
        ].concat(['--batch-size', '16', '--epochs', String(epochs), '--name', name]),
        cwd,
      );
    const [short, long] = [await run('sequential-short', 2), await run('sequential-long', 4)];
    expect(short.code, short.stderr).toBe(0);
    expect(long.code, long.stderr).toBe(0);
    const runPath = (name: string, file: string) => path.join(cwd, 'runs', name, file);
    const lrs = readLines(runPath('sequential-long', 'metrics.jsonl')).map(
      (line) => (JSON.parse(line) as { lr: number }).lr,
    );
    // PyTorch: 0.25 and 0.625 of the lr while warming up, the full lr at the milestone (the cosine's step(0)), then half.
    [0.0025, 0.00625, 0.01, 0.005].forEach((want, i) => expect(lrs[i], `epoch ${i + 1}`).toBeCloseTo(want, 15));
    const resumed = await runCli(['train', '--resume', 'runs/sequential-short', '--epochs', '4'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const file of ['last.safetensors', 'last.optimizer.safetensors']) {
      const [a, b] = [readFileSync(runPath('sequential-short', file)), readFileSync(runPath('sequential-long', file))];
      expect(a.equals(b), `${file}: resumed vs uninterrupted`).toBe(true);
    }
  });

  it('trains with --optimizer rmsprop (momentum, centered), and --resume continues exactly as a longer run', async () => {
    const run = (name: string, epochs: number, ...more: string[]) =>
      runCli(
        ['train', '--optimizer', '{"type":"rmsprop","centered":true}', '--momentum', '0.9', '--lr', '0.001'].concat(
          ['--hidden', '16', '--limit', '400', '--batch-size', '16', '--epochs', String(epochs), '--name', name],
          more,
        ),
        cwd,
      );
    const [short, long] = [await run('rmsprop-short', 1), await run('rmsprop-long', 2)];
    expect(short.code, short.stderr).toBe(0);
    expect(long.code, long.stderr).toBe(0);
    const runPath = (name: string, file: string) => path.join(cwd, 'runs', name, file);
    expect(readJson<{ optimizer: unknown }>(runPath('rmsprop-short', 'config.json')).optimizer).toEqual({
      type: 'rmsprop',
      centered: true,
      lr: 0.001,
      momentum: 0.9,
    });
    // The checkpoint holds RMSprop's whole state: square and gradient averages, momentum buffer.
    const state = readFileSync(runPath('rmsprop-short', 'last.optimizer.safetensors')).toString('latin1');
    for (const name of ['squareAvg', 'gradAvg', 'momentumBuffer']) expect(state).toContain(`state.0.${name}`);
    const resumed = await runCli(['train', '--resume', 'runs/rmsprop-short', '--epochs', '2'], cwd);
    expect(resumed.code, resumed.stderr).toBe(0);
    for (const file of ['last.safetensors', 'last.optimizer.safetensors']) {
      const [a, b] = [readFileSync(runPath('rmsprop-short', file)), readFileSync(runPath('rmsprop-long', file))];
      expect(a.equals(b), `${file}: resumed vs uninterrupted`).toBe(true);
    }
  });

  it('reads YAML configs and a layer list, and stops early when the monitored value stalls', async () => {
    const file = path.join(cwd, 'run.yaml');
    writeFileSync(
      file,
      [
        'training:',
        '  epochs: 30',
        '  earlyStopping: { monitor: val_loss, patience: 0, minDelta: 10 }',
        'model:',
        '  type: Sequential',
        '  modules:',
        '    - { type: Linear, inFeatures: 64, outFeatures: 10 }',
      ].join('\n'),
    );
    const result = await runCli(['train', '--config', file, '--name', 'yaml'], cwd);
    expect(result.code).toBe(0);
    expect(readLines(path.join(cwd, 'runs', 'yaml', 'metrics.jsonl'))).toHaveLength(2); // improves once, then stops
    expect(
      readJson<{ extra: { myelin: { stopReason: string } } }>(path.join(cwd, 'runs', 'yaml', 'last.json')).extra.myelin
        .stopReason,
    ).toMatch(/^early stopping: val_loss did not improve/);
  });

  it('trains an LSTM over the rows of each image from a layer list, and evaluates its checkpoint', async () => {
    // Each 8x8 digit as a sequence of 8 rows: Unflatten -> LSTM -> the last step -> Linear.
    const layers = [
      { type: 'Unflatten', axis: 1, sizes: [8, 8] },
      { type: 'LSTM', inputSize: 8, hiddenSize: 32, batchFirst: true },
      { type: 'SelectTimeStep', batchFirst: true },
      { type: 'Linear', inFeatures: 32, outFeatures: 10 },
    ];
    const trained = await runCli(
      ['train', '--layers', JSON.stringify(layers), '--epochs', '8', '--name', 'rows-lstm', '--no-progress'],
      cwd,
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain(
      'model      Unflatten LSTM(8->32) SelectTimeStep Linear(32->10)  (5,706 parameters)',
    );
    expect(finalResults(trained.stdout).accuracy).toBeGreaterThan(0.7);
    const evaluated = await runCli(['evaluate', 'runs/rows-lstm'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
  });

  it('trains a Transformer encoder over the rows of each image from a layer list, and evaluates its checkpoint', async () => {
    // Each 8x8 digit as a sequence of 8 row tokens: embed each row, attend across rows, classify the last token.
    const layers = [
      { type: 'Unflatten', axis: 1, sizes: [8, 8] },
      { type: 'Linear', inFeatures: 8, outFeatures: 32 },
      { type: 'TransformerEncoderLayer', dModel: 32, nhead: 4, dimFeedforward: 64, batchFirst: true },
      { type: 'SelectTimeStep', batchFirst: true },
      { type: 'Linear', inFeatures: 32, outFeatures: 10 },
    ];
    const trained = await runCli(
      ['train', '--layers', JSON.stringify(layers), '--epochs', '8', '--name', 'rows-transformer', '--no-progress'],
      cwd,
    );
    expect(trained.code, trained.stderr).toBe(0);
    expect(trained.stdout).toContain(
      'model      Unflatten Linear(8->32) TransformerEncoderLayer(32, 4 heads) SelectTimeStep Linear(32->10)  (9,162 parameters)',
    );
    expect(finalResults(trained.stdout).accuracy).toBeGreaterThan(0.7);
    const evaluated = await runCli(['evaluate', 'runs/rows-transformer'], cwd);
    expect(evaluated.code, evaluated.stderr).toBe(0);
  });

  it('trains on a CSV: regression with MSELoss on float labels, and a binary classifier with BCEWithLogitsLoss', async () => {
    let state = 3;
    const random = (): number => ((state = (state * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const rows = Array.from({ length: 200 }, () => [random(), random()]);
    writeFileSync(
      path.join(cwd, 'linear.csv'),
      `a,b,y\n${rows.map(([a, b]) => `${a!.toFixed(4)},${b!.toFixed(4)},${(2 * a! - b! + 0.5).toFixed(4)}`).join('\n')}\n`,
    );
    writeFileSync(
      path.join(cwd, 'quadrants.txt'),
      `${rows.map(([a, b]) => `${a!.toFixed(4)} ${b!.toFixed(4)} ${a! * b! > 0 ? 1 : 0}`).join('\n')}\n`,
    );
    const regression = await runCli(
      [
        'train',
        '--data',
        'csv',
        '--data-path',
        'linear.csv',
        '--loss',
        'MSELoss',
        '--epochs',
        '30',
        '--name',
        'linear',
      ],
      cwd,
    );
    expect(regression.code, regression.stderr).toBe(0);
    expect(finalResults(regression.stdout).loss).toBeLessThan(0.01);
    const predicted = await runCli(['predict', 'runs/linear', '0.5,0.5', '--json'], cwd);
    expect((JSON.parse(predicted.stdout) as { prediction: number }[])[0]!.prediction).toBeCloseTo(1, 1);
    const binary = await runCli(
      [
        'train',
        '--data',
        'csv',
        '--data-path',
        'quadrants.txt',
        '--loss',
        'BCEWithLogitsLoss',
        '--hidden',
        '16,16',
        '--epochs',
        '40',
        '--name',
        'quadrants',
      ],
      cwd,
    );
    expect(binary.code, binary.stderr).toBe(0);
    expect(finalResults(binary.stdout).accuracy).toBeGreaterThan(0.75);
  });

  it('lists every option with its default in --help', async () => {
    const result = await runCli(['train', '--help'], cwd);
    expect(result.code).toBe(0);
    // One block per option (descriptions wrap onto indented lines).
    const blocks = result.stdout
      .split(/\n(?= {2}-)/)
      .filter((block) => /^ {2}--/.test(block))
      .map((block) => block.replace(/\s+/g, ' ').trim());
    expect(blocks.length).toBeGreaterThanOrEqual(43);
    const shown = (flag: string): string | undefined =>
      /\(default: ([^)]*(?:\([^)]*\))?[^)]*)\)/.exec(blocks.find((b) => b.startsWith(`${flag} `)) ?? '')?.[1];
    expect(shown('--epochs')).toBe('40');
    expect(shown('--batch-size')).toBe('32');
    expect(shown('--lr')).toBe(
      'by optimizer: sgd, adam, adamw, adamax, nadam 0.002; rmsprop, adagrad, rprop, asgd 0.01; adadelta 1; radam 0.001',
    );
    expect(shown('--data')).toBe('digits');
    expect(shown('--backend')).toBe('auto');
    expect(shown('--hidden')).toBe('128');
    expect(shown('--seed')).toBe('0');
    // Every option but --help says its default.
    for (const block of blocks.filter((b) => !b.startsWith('--help')))
      expect(block).toMatch(/\(default: |the default when stdout is not a terminal/);
    // The examples and exit codes say what the defaults and signals do.
    expect(result.stdout).toMatch(/myelin train {2,}the digits MLP on --backend auto \(the defaults above\)/);
    expect(result.stdout).toContain('130 interrupted (143 after SIGTERM)');
  });
});
