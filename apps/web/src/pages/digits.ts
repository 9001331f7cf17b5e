// Digits: train an MLP or a small CNN on the bundled 8x8 handwritten digits, then draw a digit and see the
// probability of each class, and the confusion matrix of the test split. Models come and go as
// checkpoint files, including those `myelin train` writes.
import type { BackendManager } from '../client/backend-manager.js';
import { confusionTable } from '../ui/confusion-matrix.js';
import {
  batchOptions,
  button,
  DROPOUT_OPTIONS,
  hiddenLayersControl,
  numberOptions,
  OPTIMIZER_OPTIONS,
  selectControl,
} from '../ui/controls.js';
import { formatNumber, formatRate, h } from '../ui/dom.js';
import { digitPreview, drawPad } from '../ui/draw-pad.js';
import { describeModel } from '../ui/model-files.js';
import { notice } from '../ui/notice.js';
import { probabilityBars } from '../ui/probability-bars.js';
import type { ActivationName, DigitsConfig, EpochSummary, ModelSummary, OptimizerName } from '../worker/protocol.js';
import { RunHistory, activationOptions, frameThrottle, historyCharts, pageIntro, type DemoPage } from './page.js';
import { trainingPage, type ProgressEvent, type RunResult } from './training-page.js';

interface DigitsForm {
  architecture: 'mlp' | 'cnn' | 'transformer';
  hidden: number[];
  activation: ActivationName;
  dropout: number;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  epochs: number;
  seed: number;
}

/** How a run's label starts for each model: what comes before the hidden and output sizes. */
const ARCHITECTURE_TEXT: Record<DigitsForm['architecture'], string> = {
  mlp: '64-',
  cnn: 'CNN 8-16 conv, 64-',
  transformer: 'Transformer over 8 rows (32 wide, 4 heads), 32-',
};

export const DEFAULT_DIGITS: DigitsForm = {
  architecture: 'mlp',
  hidden: [32, 16],
  activation: 'relu',
  dropout: 0,
  optimizer: 'adam',
  lr: 0.01,
  batchSize: 32,
  epochs: 20,
  seed: 0,
};

export function digitsPage(backends: BackendManager): DemoPage {
  let form: DigitsForm = { ...DEFAULT_DIGITS };
  let trained = false;
  let pixels: Float32Array | null = null;
  let sampleIndex = 0;
  let lastSummary: EpochSummary | null = null;
  let totalEpochs = form.epochs;
  let lastLivePredict = 0;
  const history = new RunHistory();
  const status = notice();
  const describeForm = (f: DigitsForm): string =>
    `${ARCHITECTURE_TEXT[f.architecture]}${[...f.hidden, 10].join('-')} ${f.activation}, ${f.optimizer} ${f.lr}`;
  let runLabel = describeForm(form);

  const hiddenControl = hiddenLayersControl(
    form.hidden,
    { max: 512, hint: 'Neurons per layer; "32, 16" is the reference model 64-32-16-10.' },
    (hidden) => change({ hidden }),
  );
  const architectureControl = selectControl<DigitsForm['architecture']>(
    'Model',
    [
      { value: 'mlp', label: 'MLP' },
      { value: 'cnn', label: 'CNN (2 conv blocks)' },
      { value: 'transformer', label: 'Transformer (attention over the 8 rows)' },
    ],
    form.architecture,
    (v) => change({ architecture: v }),
  );
  const activationControl = selectControl<ActivationName>(
    'Activation',
    activationOptions({ linear: false }),
    form.activation,
    (v) => change({ activation: v }),
  );
  const dropoutControl = selectControl('Dropout', DROPOUT_OPTIONS, form.dropout, (v) => change({ dropout: v }));
  const optimizerControl = selectControl<OptimizerName>('Optimizer', OPTIMIZER_OPTIONS, form.optimizer, (v) =>
    change({ optimizer: v }),
  );
  const lrControl = selectControl('Learning rate', numberOptions([0.001, 0.003, 0.01, 0.03, 0.1, 0.3]), form.lr, (v) =>
    change({ lr: v }),
  );
  const batchControl = selectControl('Batch size', batchOptions([8, 16, 32, 64, 128, 0]), form.batchSize, (v) =>
    change({ batchSize: v }),
  );
  const epochsControl = selectControl('Epochs', numberOptions([5, 10, 20, 50, 100]), form.epochs, (v) =>
    change({ epochs: v }),
  );

  const startButton = button('Train', () => void (training.running ? training.pause() : train()), {
    kind: 'primary',
    id: 'digits-train',
  });
  const resetButton = button('Reset', () => void reset(), { title: 'New initial weights', id: 'digits-reset' });
  const progress = h('progress', {
    id: 'digits-progress',
    max: String(form.epochs),
    value: '0',
    'aria-label': 'Training progress',
  });
  const progressLabel = h('span', { class: 'progress-label', id: 'digits-progress-label' }, 'Not trained yet');
  const speed = h('span', { class: 'speed', id: 'digits-speed' });
  const modelLine = h('p', { class: 'model-line', id: 'digits-model' });
  const splitLine = h('p', { class: 'hint', id: 'digits-split' });

  const charts = historyCharts({ lossLabel: 'cross-entropy', heldOut: 'validation' });

  const preview = digitPreview();
  const bars = probabilityBars();
  const verdict = h(
    'p',
    { class: 'verdict', id: 'digits-prediction', 'aria-live': 'polite' },
    'Draw a digit in the box.',
  );
  const pad = drawPad((drawn, final) => {
    pixels = drawn;
    preview.show(drawn);
    if (final || performance.now() - lastLivePredict > 150) void predict(final);
  });
  const confusionBox = h(
    'div',
    { class: 'confusion-box', id: 'digits-confusion' },
    h('p', { class: 'hint' }, 'Train a model (or import one) to see where it errs on the test split.'),
  );

  let kept: EpochSummary | null = null;
  const training = trainingPage({
    demo: 'digits',
    backends,
    status,
    onProgress,
    showRunning,
    finished,
    ui: () => ({ ...form }),
    onImported,
    hasModel: () => trained,
    async prepare() {
      await setup();
      kept = lastSummary;
    },
    moved() {
      lastSummary = kept;
      render();
    },
  });
  const files = training.files;

  const element = h(
    'div',
    { class: 'page digits' },
    pageIntro(
      'Handwritten digits',
      '1,797 scans of handwritten digits, 8x8 pixels each (the UCI set that scikit-learn ships). Train a network on 70% of them, watch it on the 15% it never trains on, then draw your own digit.',
    ),
    h(
      'div',
      { class: 'digits-grid' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'digits-train-title' },
        h('h3', { id: 'digits-train-title' }, 'Train'),
        h(
          'div',
          { class: 'form-grid' },
          architectureControl.element,
          hiddenControl.element,
          activationControl.element,
          dropoutControl.element,
          optimizerControl.element,
          lrControl.element,
          batchControl.element,
          epochsControl.element,
        ),
        h('div', { class: 'button-row' }, startButton, resetButton),
        modelLine,
        splitLine,
        h('div', { class: 'progress-row' }, progress, progressLabel, speed),
        status.element,
        h('div', { class: 'chart-pair' }, charts.loss.element, charts.accuracy.element),
      ),
      h(
        'section',
        { class: 'panel draw-panel', 'aria-labelledby': 'digits-draw-title' },
        h('h3', { id: 'digits-draw-title' }, 'Draw a digit'),
        h(
          'div',
          { class: 'draw-row' },
          pad.element,
          h(
            'div',
            { class: 'draw-side' },
            h('span', { class: 'hint' }, 'What the model sees'),
            preview.element,
            button('Clear', () => clearDrawing(), { id: 'digits-clear' }),
            button('Show a test digit', () => void showSample(), {
              id: 'digits-sample',
              title: 'Load the next image of the test split (keyboard alternative to drawing)',
            }),
          ),
        ),
        verdict,
        bars.element,
      ),
    ),
    h(
      'div',
      { class: 'lower-grid' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'digits-confusion-title' },
        h('h3', { id: 'digits-confusion-title' }, 'Confusion matrix (test split)'),
        confusionBox,
      ),
      files.element,
    ),
  );
  preview.show(null);
  bars.show(null);

  const render = frameThrottle(() => {
    charts.show(history);
    const s = lastSummary;
    progress.max = totalEpochs;
    progress.value = s?.epoch ?? 0;
    progressLabel.textContent = s
      ? `Epoch ${s.epoch} of ${totalEpochs} · train ${pct(s.accuracy)} · validation ${pct(s.valAccuracy)}`
      : trained
        ? 'Imported model'
        : 'Not trained yet';
    speed.textContent =
      s && s.samplesPerSecond > 0 ? `${formatRate(s.samplesPerSecond)} samples/s on ${backends.active}` : '';
    if (s && s.samplesPerSecond > 0) speed.dataset.samplesPerSecond = String(Math.round(s.samplesPerSecond));
  });

  function onProgress(event: ProgressEvent<'digits'>): void {
    const s = event.summary;
    totalEpochs = event.epochs;
    lastSummary = s;
    trained = true;
    history.push(s.epoch, s.loss, s.valLoss, s.accuracy, s.valAccuracy);
    render();
    if (pixels && performance.now() - lastLivePredict > 300) void predict(false);
  }

  async function setup(): Promise<void> {
    if (!training.client) return;
    const config: DigitsConfig = { ...form };
    try {
      const result = await training.client.call('digits.setup', { config });
      modelLine.textContent = describeModel(result);
      splitLine.textContent = `${formatNumber(result.train)} training, ${formatNumber(result.validation)} validation and ${formatNumber(result.test)} test images; pixels / 16.`;
      files.describe(null);
      trained = false;
      totalEpochs = form.epochs;
      render();
      void predict();
    } catch (error) {
      status.show('error', `Could not load the digits: ${(error as Error).message}`);
    }
  }

  function trainedToTheEnd(): boolean {
    return lastSummary !== null && lastSummary.epoch >= totalEpochs;
  }

  /** Train: on from where it paused, or at the end `form.epochs` more; then predict with the new weights. */
  async function train(): Promise<void> {
    if (await training.run(trainedToTheEnd() ? form.epochs : undefined)) void predict();
  }

  function showRunning(running: boolean): void {
    startButton.textContent = running ? 'Pause' : trainedToTheEnd() ? `Train ${form.epochs} more` : 'Train';
    element.dataset.running = String(running);
    if (running) status.clear(); // a new run: the last one's messages are out of date
  }

  async function finished(result: RunResult): Promise<void> {
    if (result.status === 'done') status.show('success', `Trained ${result.epoch} epochs.`);
    await showConfusion();
    void files.persist();
  }

  async function reset(): Promise<void> {
    await training.pause();
    history.reset(lastSummary ? runLabel : null);
    runLabel = describeForm(form);
    lastSummary = null;
    startButton.textContent = 'Train';
    confusionBox.replaceChildren(
      h('p', { class: 'hint' }, 'Train a model (or import one) to see where it errs on the test split.'),
    );
    await setup();
  }

  function change(next: Partial<DigitsForm>): void {
    form = { ...form, ...next };
    void reset();
  }

  /** `final`: the stroke is finished (tests wait for this one rather than a live update). */
  async function predict(final = true): Promise<void> {
    if (!training.client || !pixels) return;
    lastLivePredict = performance.now();
    try {
      const { probabilities } = await training.client.call('digits.predict', { pixels: pixels.slice() });
      bars.show(probabilities);
      const best = Array.from(probabilities).indexOf(Math.max(...probabilities));
      verdict.textContent = pixels.every((v) => v === 0)
        ? 'Draw a digit in the box.'
        : `It looks like a ${best} (${(probabilities[best]! * 100).toFixed(1)}%)${trained ? '' : ', but the network has not been trained yet'}.`;
      verdict.dataset.digit = String(best);
      verdict.dataset.probabilities = Array.from(probabilities, (p) => p.toFixed(6)).join(',');
      verdict.dataset.final = String(final);
    } catch {
      // the model is being replaced; the next event predicts again
    }
  }

  function clearDrawing(): void {
    pad.clear();
    pixels = null;
    preview.show(null);
    bars.show(null);
    verdict.textContent = 'Draw a digit in the box.';
    delete verdict.dataset.digit;
    delete verdict.dataset.probabilities;
    delete verdict.dataset.final;
  }

  async function showSample(): Promise<void> {
    if (!training.client) return;
    const sample = await training.client.call('digits.sample', { index: sampleIndex++ });
    pixels = sample.pixels;
    pad.showPixels(sample.pixels);
    preview.show(sample.pixels);
    await predict();
    verdict.textContent += ` Test image ${sample.index + 1} of ${sample.count} is labelled ${sample.label}.`;
  }

  async function showConfusion(): Promise<void> {
    if (!training.client) return;
    try {
      const { matrix, accuracy, samples } = await training.client.call('digits.confusion', undefined);
      confusionBox.replaceChildren(
        confusionTable(matrix, `${formatNumber(samples)} test images: ${(accuracy * 100).toFixed(1)}% correct`),
      );
      confusionBox.dataset.accuracy = accuracy.toFixed(4);
    } catch (error) {
      confusionBox.replaceChildren(h('p', { class: 'hint' }, `No confusion matrix: ${(error as Error).message}`));
    }
  }

  async function onImported(summary: ModelSummary): Promise<void> {
    if (summary.network) {
      form = { ...form, ...summary.network };
      hiddenControl.show(form.hidden);
      if (form.activation !== 'linear') activationControl.value = form.activation;
      dropoutControl.value = form.dropout;
    }
    trained = true;
    if (training.carrying) return; // the same run, moved to another backend: keep its curves
    history.reset(null);
    lastSummary = null;
    totalEpochs = Math.max(form.epochs, summary.epoch);
    modelLine.textContent = `${describeModel(summary)}${summary.fromCli ? ' · trained by myelin train' : ''}`;
    splitLine.textContent = summary.preprocessing ? `Input: ${summary.preprocessing}.` : '';
    render();
    await showConfusion();
    await predict();
  }

  return {
    element,
    attach: training.attach,
    detach: training.detach,
  };
}

function pct(value: number | undefined): string {
  return value === undefined ? '-' : `${(value * 100).toFixed(1)}%`;
}
