import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { disposeCheckpoint, evaluate, type Loss, type MetricLike, type Module, type ModuleConfig } from '@myelin/core';
import { loadCheckpoint } from '@myelin/core/node';
import { DataLoader } from '@myelin/data';
import type { DataSplits } from '../data/pipeline.js';
import { buildModel } from './components.js';
import { displayPath, table } from './describe.js';
import type { RunRecorder } from './recorder.js';
import type { EpochRecord } from './run-directory.js';

export interface FinalEvaluation {
  model: Module;
  loss: Loss;
  metrics: MetricLike[];
  modelConfig: ModuleConfig;
  seed: number;
  batchSize: number;
}

/**
 * The table after training: loss and metrics of the final model, and of the best checkpoint
 * when that is another epoch, on the test set (or validation, or train, when there is none).
 */
export async function finalReport(
  directory: string,
  data: DataSplits,
  records: readonly EpochRecord[],
  recorder: RunRecorder,
  evaluation: FinalEvaluation,
): Promise<string> {
  const [splitName, dataset] = data.test
    ? (['test', data.test] as const)
    : data.validation
      ? (['validation', data.validation] as const)
      : (['train', data.train] as const);
  const loader = (): DataLoader => new DataLoader(dataset, { batchSize: evaluation.batchSize, seed: 0 });
  const options = { loss: evaluation.loss, metrics: evaluation.metrics };
  const lastEpoch = records.at(-1)?.epoch ?? 0;
  const rows: { label: string; values: Record<string, number> }[] = [];
  rows.push({ label: `last (epoch ${lastEpoch})`, values: await evaluate(evaluation.model, loader(), options) });

  const bestEpoch = recorder.checkpointer.bestEpoch + 1;
  const hasBest = bestEpoch > 0 && existsSync(path.join(directory, 'best.json'));
  let note = '';
  if (hasBest && bestEpoch !== lastEpoch) {
    // Training is over and 'last' is saved: a 'best' damaged since it was written is reported
    // under the table, not turned into a failed run.
    const checkpoint = await loadCheckpoint(directory, 'best').catch((error: unknown) => {
      note = `The best checkpoint (epoch ${bestEpoch}) is not in the table: ${(error as Error).message}\n`;
      return null;
    });
    if (checkpoint !== null) {
      const best = buildModel(evaluation.modelConfig, evaluation.seed);
      try {
        best.loadStateDict(checkpoint.modelState);
        rows.push({ label: `best (epoch ${bestEpoch})`, values: await evaluate(best, loader(), options) });
      } finally {
        disposeCheckpoint(checkpoint);
        best.dispose();
      }
    }
  } else if (hasBest) rows[0]!.label = `last = best (epoch ${lastEpoch})`;

  const names = Object.keys(rows[0]!.values);
  let text = `\nResults on the ${splitName} set (${dataset.length.toLocaleString('en-US')} samples)${data.test ? '' : `: there is no test set, so this is the ${splitName} data`}\n`;
  text += table([
    ['checkpoint', ...names],
    ...rows.map((row) => [row.label, ...names.map((n) => row.values[n]!.toFixed(4))]),
  ]);
  text += note;
  if (hasBest) {
    const monitor = recorder.checkpointer.tracker.monitor;
    text += `Best epoch ${bestEpoch} by ${monitor} ${recorder.checkpointer.tracker.best.toFixed(4)}\n`;
  }
  const files = readdirSync(directory)
    .filter((f) => !f.startsWith('.') && !f.endsWith('.safetensors'))
    .sort();
  text += `Run directory: ${displayPath(directory)}  (${files.join(', ')})\n`;
  return text;
}
