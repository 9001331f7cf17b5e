import path from 'node:path';
import {
  EarlyStopping,
  TrainingDivergedError,
  clipGradNorm_,
  clipGradValue_,
  defaultGenerator,
  disposeCheckpoint,
  fit,
  getBackend,
  restoreCheckpoint,
  type Callback,
  type Tensor,
  type TrainingContext,
} from '@myelin/core';
import { DataLoader } from '@myelin/data';
import { selectBackend } from '../backends.js';
import { resolveConfig } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { loadData, type DataSplits } from '../data/pipeline.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import {
  buildModel,
  buildTrainingParts,
  checkModelFitsData,
  metricNames,
  modelConfigFor,
  seeds,
} from '../training/components.js';
import { commandPrefix, describeModel, describeOptions, displayPath } from '../training/describe.js';
import { finalReport } from '../training/final-report.js';
import { InterruptController } from '../training/interrupt.js';
import { ProgressDisplay } from '../training/progress.js';
import { RunRecorder, mergingSchedule } from '../training/recorder.js';
import { configForResume, loadResumePoint, resumableSource, type ResumePoint } from '../training/resume.js';
import { MetricsLog, createRunDirectory, writeJson, writePlots } from '../training/run-directory.js';
import type { RunState } from '../training/run-state.js';
import { CLI_VERSION } from '../version.js';

export interface TrainOptions {
  config?: string;
  preset?: string;
  resume?: string;
  /** Config flags as given (flag name -> text). */
  flags: ReadonlyMap<string, string>;
  progress: boolean;
}

const write = (text: string): void => void process.stdout.write(text);

/** Largest evaluation batch: big batches are fast, but keep one under ~64 MB of float32 inputs. */
function evaluationBatchSize(trainBatch: number, sampleShape: readonly number[]): number {
  const features = sampleShape.reduce((a, b) => a * b, 1);
  return Math.max(trainBatch, Math.min(1024, Math.floor(16_000_000 / features)));
}

/** The values fit logs, so monitors can be checked before training starts. */
function loggedNames(config: RunConfig, data: DataSplits): string[] {
  const train = [
    'loss',
    ...metricNames(config, data.task).map((m) => (/^top\d+$/.test(m) ? `${m}_accuracy` : m === 'acc' ? 'accuracy' : m)),
  ];
  return [...train, ...(data.validation ? train.map((n) => `val_${n}`) : []), 'lr'];
}

function checkMonitor(option: string, flag: string, monitor: string, logged: readonly string[]): void {
  if (!logged.includes(monitor)) {
    const hint =
      monitor.startsWith('val_') && !logged.some((n) => n.startsWith('val_'))
        ? ' (there is no validation data: data.validationSplit is 0)'
        : '';
    throw new UsageError(
      `invalid value for ${option} (${flag}): got "${monitor}"${hint}; allowed: ${logged.join(', ')}`,
    );
  }
}

/** `myelin train`: returns the exit code. */
export async function train(options: TrainOptions): Promise<number> {
  const interrupts = new InterruptController().install();
  try {
    return await run(options, interrupts);
  } finally {
    interrupts.uninstall();
  }
}

async function run(options: TrainOptions, interrupts: InterruptController): Promise<number> {
  if (options.resume !== undefined && (options.config !== undefined || options.preset !== undefined)) {
    throw new UsageError(
      `invalid value for --resume: got it together with --${options.config !== undefined ? 'config' : 'preset'}; allowed: --resume alone (the run directory has its config)`,
    );
  }
  const resumeDirectory = options.resume === undefined ? undefined : path.resolve(options.resume);
  const config = resumeDirectory
    ? configForResume(resumeDirectory, options.flags)
    : resolveConfig({
        ...(options.config === undefined ? {} : { file: options.config }),
        ...(options.preset === undefined ? {} : { preset: options.preset }),
        flags: options.flags,
      }).config;
  const { backend, choice: backendChoice } = await selectBackend(config.backend);
  const data = await loadData(config);
  const modelConfig = modelConfigFor(config, data);
  const model = buildModel(modelConfig, config.seed);
  const { loss, optimizer, schedule, metrics } = buildTrainingParts(config, model, data.task);
  checkModelFitsData(model, loss, data.train, data);
  const logged = loggedNames(config, data);
  const checkpointMonitor =
    config.checkpoint.monitor ??
    (data.validation ? (logged.includes('val_accuracy') ? 'val_accuracy' : 'val_loss') : 'loss');
  checkMonitor('checkpoint.monitor', '--checkpoint-monitor', checkpointMonitor, logged);
  if (config.training.earlyStopping)
    checkMonitor(
      'training.earlyStopping.monitor',
      '--early-stopping-monitor',
      config.training.earlyStopping.monitor,
      logged,
    );
  const scheduleMonitor = data.validation ? 'val_loss' : 'loss';

  let resume: ResumePoint | null = null;
  const directory =
    resumeDirectory ??
    createRunDirectory(path.resolve(config.output.dir), config.output.name, options.preset ?? config.data.source);
  if (resumeDirectory) {
    resume = await loadResumePoint(resumeDirectory);
    restoreCheckpoint(resume.checkpoint, { model, optimizer, ...(schedule ? { schedule } : {}) });
    disposeCheckpoint(resume.checkpoint);
    if (resume.epoch >= config.training.epochs) {
      throw new UsageError(
        `invalid value for --resume: ${displayPath(directory)} already finished ${resume.epoch} of ${config.training.epochs} epochs; allowed: a run with epochs left (pass --epochs with more than ${resume.epoch} to train further)`,
      );
    }
  }
  // The backend actually used, not 'auto': a resume continues on it (a resume may change epochs or backend).
  config.backend = backend.name;
  await writeJson(path.join(directory, 'config.json'), config);
  if (!resumeDirectory) {
    defaultGenerator.manualSeed(seeds(config.seed).dropout);
  }
  const initialEpoch = resume?.epoch ?? 0;
  const metricsLog = new MetricsLog(directory, resume ? MetricsLog.read(directory, initialEpoch) : []);
  await metricsLog.rewrite();

  const batchSize = config.training.batchSize === 'full' ? data.train.length : config.training.batchSize;
  const loader = new DataLoader(data.train, { batchSize, shuffle: true, seed: seeds(config.seed).shuffle });
  const position =
    resume && resume.extra.position.batchesDone > 0 ? { epoch: resume.epoch, ...resume.extra.position } : null;
  const evaluationBatch = evaluationBatchSize(batchSize, data.sampleShape);
  const validation = data.validation
    ? new DataLoader(data.validation, { batchSize: evaluationBatch, seed: 0 })
    : undefined;
  const state: RunState = {
    epochs: config.training.epochs,
    batchesPerEpoch: loader.length,
    resume: position,
    stoppedMidEpoch: null,
    lastRecord: null,
    epochNote: '',
    lastSaved: null,
  };

  const earlyStopping = config.training.earlyStopping ? new EarlyStopping({ ...config.training.earlyStopping }) : null;
  const recorder = new RunRecorder({
    directory,
    state,
    metrics: metricsLog,
    interrupts,
    training: { model, optimizer, ...(schedule ? { schedule } : {}) },
    checkpoint: {
      monitor: checkpointMonitor,
      mode: config.checkpoint.mode,
      saveBest: config.checkpoint.saveBest,
      every: config.checkpoint.every,
    },
    describe: {
      cli: CLI_VERSION,
      config,
      data: {
        classes: data.classes ?? null,
        sampleShape: data.sampleShape,
        inputShape: data.inputShape,
        outputs: data.outputs,
        task: data.task,
      },
    },
  });
  recorder.replay(metricsLog.records);
  for (const record of metricsLog.records)
    earlyStopping?.onEpochEnd(record.epoch - 1, record, { stopTraining: false } as TrainingContext);
  const progress = new ProgressDisplay(state, {
    tty: options.progress && process.stdout.isTTY === true,
    everyBatches: config.log.everyBatches,
    everyEpochs: config.log.everyEpochs,
    write,
  });
  // EarlyStopping first: it sets stopTraining (and the reason) before the recorder saves 'last'.
  const callbacks: Callback[] = [...(earlyStopping ? [earlyStopping] : []), recorder, progress];

  write(`myelin train  ${data.summary}\n`);
  if (config.description) write(`  about      ${config.description}\n`);
  write(`  model      ${describeModel(modelConfig)}  (${model.numParameters().toLocaleString('en-US')} parameters)\n`);
  write(
    `  training   ${describeOptions(config.loss)}, ${describeOptions(config.optimizer)}${config.schedule ? `, ${describeOptions(config.schedule)}` : ''}, batch ${batchSize}, ${config.training.epochs} epochs, seed ${config.seed}\n`,
  );
  write(`  backend    ${backend.name}${backendChoice ? `  (${backendChoice})` : ''}\n`);
  write(
    `  run        ${displayPath(directory)}${resume ? `  (resuming after epoch ${resume.epoch}${position ? `, batch ${position.batchesDone} of epoch ${position.epoch + 1}` : ''})` : ''}\n`,
  );

  const clip = config.training.clipGradNorm ?? config.training.clipGradValue;
  const beforeStep =
    config.training.clipGradNorm !== null
      ? (parameters: Tensor[]) => clipGradNorm_(parameters, clip!).dispose()
      : config.training.clipGradValue !== null
        ? (parameters: Tensor[]) => clipGradValue_(parameters, clip!)
        : undefined;
  const readLossEvery = config.training.readLossEvery ?? (getBackend().readSync ? 1 : 10);
  interrupts.onRequest = (message) => progress.pause(message);
  interrupts.phase = 'training';
  try {
    await fit(model, {
      train: resumableSource(loader, data.train, position),
      validation,
      loss,
      optimizer,
      metrics,
      epochs: config.training.epochs,
      initialEpoch,
      readLossEvery,
      monitor: scheduleMonitor,
      callbacks,
      ...(schedule ? { schedule: mergingSchedule(schedule, scheduleMonitor, recorder) } : {}),
      ...(beforeStep ? { beforeStep } : {}),
    });
  } catch (error) {
    progress.onTrainEnd(); // take the bar down (and show the cursor again) before the message
    if (error instanceof TrainingDivergedError) {
      const saved = state.lastSaved ?? (resume ? { epoch: resume.epoch } : null);
      throw new CliError(
        `${error.message}${saved ? ` The last checkpoint (${displayPath(path.join(directory, 'last'))}, epoch ${saved.epoch}) is from before it.` : ''}`,
        EXIT.failure,
        { cause: error },
      );
    }
    throw error;
  }
  interrupts.phase = 'finishing';
  await writePlots(directory, metricsLog.records);

  if (interrupts.requested !== null) {
    const saved = state.lastSaved;
    const where =
      saved === null
        ? 'nothing new was saved'
        : `saved ${displayPath(path.join(directory, 'last'))} after ${saved.batchesDone > 0 ? `batch ${saved.batchesDone}/${state.batchesPerEpoch} of epoch ${saved.epoch + 1}` : `epoch ${saved.epoch}`}`;
    write(`Stopped by ${interrupts.requested === 'SIGINT' ? 'Ctrl-C' : interrupts.requested}: ${where}.\n`);
    const finished = saved !== null && saved.batchesDone === 0 && saved.epoch >= config.training.epochs;
    if (!finished) write(`Resume with: ${commandPrefix()} train --resume ${displayPath(directory)}\n`);
    return InterruptController.exitCodeOf(interrupts.requested);
  }
  const evaluation = { model, loss, metrics, modelConfig, seed: config.seed, batchSize: evaluationBatch };
  write(await finalReport(directory, data, metricsLog.records, recorder, evaluation));
  return EXIT.ok;
}
