import path from 'node:path';
import {
  EarlyStopping,
  OneCycleLR,
  TrainingDivergedError,
  defaultGenerator,
  disposeCheckpoint,
  fit,
  getBackend,
  restoreCheckpoint,
  type Callback,
  type Module,
  type ModuleConfig,
  type TrainingContext,
} from '@myelin/core';
import { DataLoader } from '@myelin/data';
import { distributedFit } from '@myelin/distributed';
import { selectBackend } from '../backends.js';
import { resolveConfig } from '../config/load.js';
import type { RunConfig } from '../config/schema.js';
import { loadData, type DataSplits } from '../data/pipeline.js';
import { CliError, EXIT, UsageError } from '../errors.js';
import {
  buildModel,
  buildTrainingParts,
  checkMetricsFitData,
  checkModelFitsData,
  metricNames,
  modelConfigFor,
  seeds,
} from '../training/components.js';
import { commandPrefix, describeModel, describeOptions, displayPath } from '../training/describe.js';
import { finalReport } from '../training/final-report.js';
import { InterruptController } from '../training/interrupt.js';
import { resolveClassWeight } from '../training/class-weight.js';
import { ProgressDisplay } from '../training/progress.js';
import { RunRecorder, mergingSchedule } from '../training/recorder.js';
import { configForResume, loadResumePoint, resumableSource, type ResumePoint } from '../training/resume.js';
import { MetricsLog, createRunDirectory, writeJson, writePlots } from '../training/run-directory.js';
import { RunLock } from '../training/run-lock.js';
import { MemoryBudget, builtModelBytes, modelBytes } from '../training/memory-budget.js';
import type { RunState } from '../training/run-state.js';
import {
  checkResumeRun,
  finishDistributed,
  recordRun,
  shardSampler,
  startDistributed,
  wrapModel,
  type DistributedTraining,
} from '../training/distributed.js';
import { CLI_VERSION } from '../version.js';

export interface TrainOptions {
  config?: string;
  preset?: string;
  resume?: string;
  /** Config flags as given (flag name -> text). */
  flags: ReadonlyMap<string, string>;
  progress: boolean;
  /** --memory-budget as given (default: half the physical memory). */
  memoryBudget?: string;
  /** --distributed: 'mpi' (also implied under mpirun) or 'none'. */
  distributed?: string;
}

/** Refuses a model whose parameters, optimizer state and activations would not fit the budget, naming what asked for it. */
function checkModelBudget(
  budget: MemoryBudget,
  modelConfig: ModuleConfig,
  config: RunConfig,
  data: DataSplits,
  origins: ReadonlyMap<string, string>,
  flags: ReadonlyMap<string, string>,
): void {
  const batch = config.training.batchSize === 'full' ? data.train.length : config.training.batchSize;
  const { bytes, parameters, purpose } = modelBytes(modelConfig, config.optimizer, batch);
  const label = data.largestLabel;
  // A stray large label (CSV) makes as many classes: name it when it sets a big output layer.
  const what =
    label && data.outputs > 1000
      ? `the label ${label.label} at ${label.where} (making ${data.outputs.toLocaleString('en-US')} classes, a model of ${parameters.toLocaleString('en-US')} parameters)`
      : origins.has('model.hidden')
        ? `--hidden ${flags.get('hidden')}`
        : origins.has('model')
          ? `the model of --layers (${parameters.toLocaleString('en-US')} parameters)`
          : `the model (${parameters.toLocaleString('en-US')} parameters)`;
  budget.check(bytes, what, purpose, !label || data.outputs <= 1000);
  // Classes counted from the largest label: far more classes than samples is a stray label, not a task.
  const samples = data.train.length + (data.validation?.length ?? 0) + (data.test?.length ?? 0);
  if (label && data.outputs > 1000 && data.outputs > samples) {
    throw new CliError(
      `the label ${label.label} at ${label.where} makes ${data.outputs.toLocaleString('en-US')} classes for ${samples.toLocaleString('en-US')} samples (class indices count from 0, so a label L means L + 1 classes); check that line, or use --loss MSELoss if the labels are real values`,
    );
  }
}

/**
 * The budget again for the built model, every layer counted (the check before building sees
 * Linear layers only): a CNN's feature maps or a Transformer's attention over a big batch.
 */
function checkBuiltModelBudget(
  budget: MemoryBudget,
  model: Module,
  config: RunConfig,
  data: DataSplits,
  batchSize: number,
): void {
  const { bytes, parameters, purpose } = builtModelBytes(model, data.sampleShape, config.optimizer, batchSize);
  budget.check(
    bytes,
    `the model (${parameters.toLocaleString('en-US')} parameters, samples of shape [${data.sampleShape.join(', ')}])`,
    purpose,
    true,
  );
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

/** The training line's notes on accumulation, class weights and validation frequency, when set. */
function loopNotes(config: RunConfig, classWeight: readonly number[] | null): string {
  const { accumulateSteps, validationFreq } = config.training;
  const weights = classWeight?.map((weight) => Number(weight.toPrecision(3))).join(', ');
  return [
    accumulateSteps > 1 ? ` x ${accumulateSteps} accumulated per step` : '',
    classWeight ? `, class weights ${config.training.classWeight === 'balanced' ? 'balanced ' : ''}[${weights}]` : '',
    validationFreq > 1 ? `, validation every ${validationFreq} epochs` : '',
  ].join('');
}

/** `myelin train`: returns the exit code. */
export async function train(options: TrainOptions): Promise<number> {
  const interrupts = new InterruptController().install();
  const locks: RunLock[] = [];
  const distributed = startDistributed(options.distributed);
  try {
    return await run(options, interrupts, locks, distributed);
  } finally {
    interrupts.uninstall();
    for (const lock of locks) lock.release();
    finishDistributed(distributed);
  }
}

async function run(
  options: TrainOptions,
  interrupts: InterruptController,
  locks: RunLock[],
  distributed: DistributedTraining | null,
): Promise<number> {
  // Under MPI rank 0 alone writes the run directory; the others write only to a scratch directory.
  const writer = distributed === null || distributed.isRoot;
  if (options.resume !== undefined && (options.config !== undefined || options.preset !== undefined)) {
    throw new UsageError(
      `invalid value for --resume: got it together with --${options.config !== undefined ? 'config' : 'preset'}; allowed: --resume alone (the run directory has its config)`,
    );
  }
  const resumeDirectory = options.resume === undefined ? undefined : path.resolve(options.resume);
  const { config, origins, file } = resumeDirectory
    ? {
        config: configForResume(resumeDirectory, options.flags),
        origins: new Map<string, string>(),
        file: path.join(resumeDirectory, 'config.json'),
      }
    : resolveConfig({
        ...(options.config === undefined ? {} : { file: options.config }),
        ...(options.preset === undefined ? {} : { preset: options.preset }),
        flags: options.flags,
      });
  // One writer per run directory, from before anything in it is read for the resume or written.
  if (resumeDirectory) checkResumeRun(resumeDirectory, distributed?.size ?? 1);
  if (resumeDirectory && writer) locks.push(RunLock.acquire(resumeDirectory, (notice) => write(`${notice}\n`)));
  const { backend, choice: backendChoice } = await selectBackend(config.backend);
  const budget = MemoryBudget.fromFlag(options.memoryBudget);
  const data = await loadData(config, budget);
  // Errors from building the parts name the flag that set the value, else the file.
  const source = { origins, file };
  checkMetricsFitData(config, data, source);
  const modelConfig = modelConfigFor(config, data);
  checkModelBudget(budget, modelConfig, config, data, origins, options.flags);
  const model = buildModel(modelConfig, config.seed, source);
  const batchSize = config.training.batchSize === 'full' ? data.train.length : config.training.batchSize;
  // Optimizer steps per epoch (distributed: on this rank's shard, which DistributedSampler pads to an
  // equal size); with accumulation one per group of batches, the epoch's leftover group included.
  const batchesPerEpoch = Math.ceil(Math.ceil(data.train.length / (distributed?.size ?? 1)) / batchSize);
  const stepsPerEpoch = Math.ceil(batchesPerEpoch / config.training.accumulateSteps);
  const { loss, optimizer, schedule, metrics } = buildTrainingParts(config, model, data.task, source, stepsPerEpoch);
  checkModelFitsData(model, loss, data.train, data, source);
  checkBuiltModelBudget(budget, model, config, data, batchSize);
  const classWeight = resolveClassWeight(config, data, source);
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
  const directory = !writer
    ? distributed!.scratch!
    : (resumeDirectory ??
      createRunDirectory(path.resolve(config.output.dir), config.output.name, options.preset ?? config.data.source));
  if (!resumeDirectory && writer) locks.push(RunLock.acquire(directory));
  if (resumeDirectory) {
    // Every rank reads the checkpoint (on several machines: the run directory on a shared file system).
    resume = await loadResumePoint(resumeDirectory);
    restoreCheckpoint(resume.checkpoint, { model, optimizer, ...(schedule ? { schedule } : {}) });
    disposeCheckpoint(resume.checkpoint);
    if (resume.epoch >= config.training.epochs) {
      throw new UsageError(
        `invalid value for --resume: ${displayPath(directory)} already finished ${resume.epoch} of ${config.training.epochs} epochs; allowed: a run with epochs left (pass --epochs with more than ${resume.epoch} to train further)`,
      );
    }
    // The restored 1cycle keeps the saved run's length: a different --epochs would step past its
    // end (an error in the middle of training) or stop before its annealing.
    const planned = config.training.epochs * stepsPerEpoch;
    if (schedule instanceof OneCycleLR && schedule.totalSteps !== planned) {
      const cycleEpochs = schedule.totalSteps / stepsPerEpoch;
      throw new UsageError(
        `invalid value for --epochs: ${config.training.epochs} (${planned} optimizer steps of ${stepsPerEpoch} per epoch), but the run's OneCycleLR cycle is ${schedule.totalSteps} steps long and a resumed run continues that cycle; allowed: ${Number.isInteger(cycleEpochs) ? `--epochs ${cycleEpochs} (the cycle's length)` : `the batch size and --epochs the run started with`}, or a new run for a longer schedule`,
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
  const metricsLog = new MetricsLog(
    directory,
    resume ? MetricsLog.read(directory, initialEpoch, (text) => write(`${text}\n`)) : [],
  );
  await metricsLog.rewrite();

  // Distributed: batchSize per rank on this rank's shard (the global batch is ranks × batchSize).
  const loader = distributed
    ? new DataLoader(data.train, {
        batchSize,
        sampler: shardSampler(distributed, data.train.length, seeds(config.seed).shuffle),
      })
    : new DataLoader(data.train, { batchSize, shuffle: true, seed: seeds(config.seed).shuffle });
  recordRun(distributed, directory, batchSize);
  // After any resume, so every replica starts from rank 0's restored weights.
  const ddp = distributed ? wrapModel(distributed, model) : null;
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
  recorder.replay(metricsLog.records, resume?.extra.best ?? null);
  for (const record of metricsLog.records) {
    const skippedValidation = data.validation !== null && record.epoch % config.training.validationFreq !== 0;
    earlyStopping?.onEpochEnd(record.epoch - 1, record, {
      stopTraining: false,
      skippedValidation,
    } as Partial<TrainingContext> as TrainingContext);
  }
  const progress = new ProgressDisplay(state, {
    tty: options.progress && process.stdout.isTTY === true,
    everyBatches: config.log.everyBatches,
    everyEpochs: config.log.everyEpochs,
    write,
  });
  // EarlyStopping first: it sets stopTraining (and the reason) before the recorder saves 'last'.
  // fit counts steps from initialEpoch x batches; a resume inside an epoch adds the batches done before it.
  const stepOffset: Callback = {
    onTrainBegin: (context: TrainingContext) => void (context.step += position?.batchesDone ?? 0),
  };
  const callbacks: Callback[] = [
    stepOffset,
    ...(earlyStopping ? [earlyStopping] : []),
    ...(writer ? [recorder, progress] : []),
  ];

  write(`myelin train  ${data.summary}\n`);
  if (config.description) write(`  about      ${config.description}\n`);
  write(`  model      ${describeModel(modelConfig)}  (${model.numParameters().toLocaleString('en-US')} parameters)\n`);
  write(
    `  training   ${describeOptions(config.loss)}, ${describeOptions(config.optimizer)}${config.schedule ? `, ${describeOptions(config.schedule)}` : ''}, batch ${batchSize}${loopNotes(config, classWeight)}, ${config.training.epochs} epoch${config.training.epochs === 1 ? '' : 's'}, seed ${config.seed}\n`,
  );
  if (distributed)
    write(
      `  parallel   ${distributed.size} MPI ranks x batch ${batchSize} = global batch ${distributed.size * batchSize} (rank 0 on ${distributed.comm.processor} writes the run)\n`,
    );
  write(`  backend    ${backend.name}${backendChoice ? `  (${backendChoice})` : ''}\n`);
  write(
    `  run        ${displayPath(directory)}${resume ? `  (resuming after epoch ${resume.epoch}${position ? `, batch ${position.batchesDone} of epoch ${position.epoch + 1}` : ''})` : ''}\n`,
  );

  const { clipGradNorm, clipGradValue, accumulateSteps, validationFreq } = config.training;
  const readLossEvery = config.training.readLossEvery ?? (getBackend().readSync ? 1 : 10);
  interrupts.onRequest = (message) => progress.pause(message);
  interrupts.phase = 'training';
  try {
    const fitOptions = {
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
      accumulateSteps,
      validationFreq,
      ...(clipGradNorm !== null ? { clipGradNorm: { maxNorm: clipGradNorm } } : {}),
      ...(clipGradValue !== null ? { clipGradValue } : {}),
      ...(classWeight !== null ? { classWeight } : {}),
    };
    await (ddp ? distributedFit(ddp, fitOptions) : fit(model, fitOptions));
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
  if (!writer) return EXIT.ok;
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
