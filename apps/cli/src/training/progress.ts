import cliProgress from 'cli-progress';
import type { BatchLogs, Callback, EpochLogs, TrainingContext } from '@myelin/core';
import { mergePartial, type RunState } from './run-state.js';

/** Short names for metrics on the bar. */
const SHORT: Record<string, string> = { accuracy: 'acc' };

export function formatRate(samplesPerSecond: number | undefined): string {
  return samplesPerSecond === undefined ? '-' : Math.round(samplesPerSecond).toLocaleString('en-US');
}

export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60
    ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export function formatValue(name: string, value: number): string {
  return name === 'lr' ? String(Number(value.toPrecision(3))) : value.toFixed(4);
}

/**
 * What a person sees while training: a bar per epoch (cli-progress) on a terminal, or a plain
 * line every `log.everyBatches` batches otherwise; then one summary line per epoch.
 */
export class ProgressDisplay implements Callback {
  #bar: cliProgress.SingleBar | null = null;
  #offset = 0;
  #started = 0;
  #payload: Record<string, string> = {};
  #paused = false;
  #samples = 0;

  constructor(
    readonly state: RunState,
    readonly options: { tty: boolean; everyBatches: number; everyEpochs: number; write: (text: string) => void },
  ) {}

  onEpochBegin(epoch: number): void {
    this.#offset = this.state.resume?.epoch === epoch ? this.state.resume.batchesDone : 0;
    this.#samples = 0;
    this.#started = performance.now();
    this.#payload = { epoch: `${epoch + 1}/${this.state.epochs}`, rate: '-', metrics: '' };
    if (!this.options.tty || this.#paused) return;
    this.#bar = new cliProgress.SingleBar({
      format: 'epoch {epoch} {bar} {value}/{total} | {rate} samples/s |{metrics} ETA {eta_formatted}',
      stream: process.stdout,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
      fps: 8,
      barCompleteChar: '\u2588',
      barIncompleteChar: '\u2591',
    });
    this.#bar.start(this.state.batchesPerEpoch, this.#offset, this.#payload);
  }

  onBatchEnd(logs: BatchLogs): void {
    if (this.#paused) return;
    const done = this.#offset + logs.batch + 1;
    this.#samples += logs.size;
    if (logs.runningLoss !== undefined) {
      // In the epoch a resume landed in, the running values include the batches trained before it.
      const partial = this.state.resume?.epoch === logs.epoch ? this.state.resume.partial : null;
      const merged = (name: string, value: number): string =>
        mergePartial(partial, name, value, this.#samples).toFixed(4);
      const metrics = Object.entries(logs.runningMetrics ?? {})
        .map(([name, value]) => ` ${SHORT[name] ?? name} ${merged(name, value)} |`)
        .join('');
      this.#payload = {
        ...this.#payload,
        rate: formatRate(logs.samplesPerSecond),
        metrics: ` loss ${merged('loss', logs.runningLoss)} |${metrics}`,
      };
    }
    if (this.#bar) {
      this.#bar.update(done, this.#payload);
      return;
    }
    const total = this.state.batchesPerEpoch;
    if (done % this.options.everyBatches !== 0 || done === total) return;
    const elapsed = (performance.now() - this.#started) / 1000;
    const eta = (elapsed / (logs.batch + 1)) * (total - done);
    this.options.write(
      `epoch ${this.#payload.epoch}  batch ${done}/${total}  ${(this.#payload.metrics ?? '').replace(/ \|/g, ' ').trim()}  ${this.#payload.rate} samples/s  ETA ${formatSeconds(eta)}\n`,
    );
  }

  onEpochEnd(epoch: number, logs: EpochLogs, context: TrainingContext): void {
    this.#bar?.stop();
    this.#bar = null;
    const stopped = this.state.stoppedMidEpoch;
    if (stopped !== null) {
      this.options.write(
        `epoch ${epoch + 1}/${this.state.epochs}  stopped after batch ${stopped.batchesDone}/${this.state.batchesPerEpoch}\n`,
      );
      return;
    }
    const always = epoch === 0 || epoch + 1 === this.state.epochs || context.stopTraining;
    if (!always && (epoch + 1) % this.options.everyEpochs !== 0) return;
    const record = this.state.lastRecord ?? { ...logs, epoch: epoch + 1 };
    const values = Object.entries(record)
      .filter(([name]) => !['epoch', 'duration', 'samples_per_second'].includes(name))
      .map(([name, value]) => `${name} ${formatValue(name, value)}`);
    const note = this.state.epochNote ? `  ${this.state.epochNote}` : '';
    this.options.write(
      `epoch ${epoch + 1}/${this.state.epochs}  ${values.join('  ')}  ${formatSeconds(record.duration ?? 0)}  ${formatRate(record.samples_per_second)} samples/s${note}\n`,
    );
  }

  /** The first Ctrl-C: take the bar down so the notice and what follows read cleanly. */
  pause(message: string): void {
    this.#paused = true;
    this.#bar?.stop();
    this.#bar = null;
    this.options.write(`${message}\n`);
  }

  onTrainEnd(): void {
    this.#bar?.stop();
    this.#bar = null;
  }
}
