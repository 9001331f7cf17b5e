import { describe, expect, it } from 'vitest';
import type { BatchLogs, TrainingContext } from '@myelin/core';
import { RunRecorder, type RecorderOptions } from './recorder.js';
import type { RunState } from './run-state.js';

/** A recorder whose Ctrl-C was pressed, over epochs of 3 batches; nothing it would write is stubbed. */
function interrupted(): { recorder: RunRecorder; state: RunState } {
  const state: RunState = {
    epochs: 2,
    batchesPerEpoch: 3,
    resume: null,
    stoppedMidEpoch: null,
    lastRecord: null,
    epochNote: '',
    lastSaved: null,
  };
  const options = {
    state,
    interrupts: { requested: 'SIGINT' },
    checkpoint: { monitor: 'loss', mode: 'min', saveBest: false, every: 1 },
  } as unknown as RecorderOptions;
  return { recorder: new RunRecorder(options), state };
}

const batch = (index: number): BatchLogs =>
  ({ batch: index, epoch: 0, size: 4, loss: 1, runningLoss: 1, stepped: true }) as BatchLogs;

describe('RunRecorder on Ctrl-C', () => {
  it('lets an epoch whose last batch just ended finish as usual (fit would drop it as interrupted)', async () => {
    const { recorder, state } = interrupted();
    const context = { stopTraining: false } as TrainingContext;
    await recorder.onBatchEnd(batch(2), context);
    expect(context.stopTraining).toBe(false);
    expect(state.stoppedMidEpoch).toBeNull();
  });

  it('does not stop after a batch that did not end an optimizer step', async () => {
    const { recorder } = interrupted();
    const context = { stopTraining: false } as TrainingContext;
    await recorder.onBatchEnd({ ...batch(0), stepped: false }, context);
    expect(context.stopTraining).toBe(false);
  });
});
