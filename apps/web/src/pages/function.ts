// Function approximation (reference experiment 3 in docs/reference-experiments.md): Linear(1,6)-ReLU-Linear(6,1)
// learns y = x^3 + x^2 - x - 1 from one random x in [-5, 5] per step (Adam, lr 0.01, 10,000
// steps). The plot goes beyond the sampled range: the fit is good in the middle, poor at the
// edges, and a straight line outside, where ReLU networks can only extrapolate linearly.
import type { BackendManager } from '../client/backend-manager.js';
import { lineChart } from '../ui/chart.js';
import { button, numberOptions, OPTIMIZER_OPTIONS, selectControl } from '../ui/controls.js';
import { formatNumber, formatRate, h } from '../ui/dom.js';
import { describeModel } from '../ui/model-files.js';
import { notice } from '../ui/notice.js';
import type { ActivationName, FunctionConfig, ModelSummary, OptimizerName } from '../worker/protocol.js';
import { activationOptions, frameThrottle, pageIntro, type DemoPage } from './page.js';
import { trainingPage, type ProgressEvent } from './training-page.js';

const PLOT_RANGE: [number, number] = [-7, 7];
const POINTS = 141;

interface FunctionForm {
  width: number;
  activation: ActivationName;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  steps: number;
  seed: number;
}

const DEFAULT_FUNCTION: FunctionForm = {
  width: 6,
  activation: 'relu',
  optimizer: 'adam',
  lr: 0.01,
  batchSize: 1,
  steps: 10_000,
  seed: 0,
};

function cubic(x: number): number {
  return x * x * x + x * x - x - 1;
}

export function functionPage(backends: BackendManager): DemoPage {
  let form: FunctionForm = { ...DEFAULT_FUNCTION };
  let trained = false;
  let curve: Float32Array | null = null;
  let step = 0;
  let totalSteps = form.steps;
  const losses: { steps: number[]; loss: number[] } = { steps: [], loss: [] };
  const status = notice();
  const xs = Array.from(
    { length: POINTS },
    (_, i) => PLOT_RANGE[0] + ((PLOT_RANGE[1] - PLOT_RANGE[0]) * i) / (POINTS - 1),
  );
  const truth = xs.map(cubic);

  const widthControl = selectControl('Hidden units', numberOptions([2, 6, 16, 64]), form.width, (v) =>
    change({ width: v }),
  );
  const activationControl = selectControl<ActivationName>(
    'Activation',
    activationOptions({ linear: false }),
    form.activation,
    (v) => change({ activation: v }),
  );
  const lrControl = selectControl('Learning rate', numberOptions([0.001, 0.003, 0.01, 0.03, 0.1]), form.lr, (v) =>
    change({ lr: v }),
  );
  const batchControl = selectControl('Samples per step', numberOptions([1, 8, 32, 128]), form.batchSize, (v) =>
    change({ batchSize: v }),
  );
  const stepsControl = selectControl('Steps', numberOptions([1_000, 10_000, 30_000], formatNumber), form.steps, (v) =>
    change({ steps: v }),
  );

  const startButton = button('Start', () => void (training.running ? training.pause() : start()), {
    kind: 'primary',
    id: 'function-start',
  });
  const resetButton = button('Reset', () => void reset(), { id: 'function-reset' });
  const progress = h('progress', { max: String(form.steps), value: '0', 'aria-label': 'Steps trained' });
  const progressLabel = h('span', { class: 'progress-label', id: 'function-progress' }, 'Step 0');
  const modelLine = h('p', { class: 'model-line' });

  const fitChart = lineChart({
    title: 'Prediction and truth',
    xLabel: 'x',
    yLabel: 'y',
    shade: [-5, 5],
    height: 320,
    yRange: [-300, 400],
    series: [
      { label: 'truth: x³ + x² − x − 1', color: '#0f172a', width: 2 },
      { label: 'network', color: '#2563eb', width: 3 },
    ],
  });
  const lossChart = lineChart({
    title: 'Training loss (mean squared error per 100 steps)',
    xLabel: 'step',
    yLabel: 'MSE',
    logY: true,
    series: [{ label: 'train', color: '#2563eb' }],
  });

  const training = trainingPage({
    demo: 'function',
    backends,
    status,
    onProgress,
    showRunning,
    finished: () => void files.persist(),
    ui: () => ({ ...form }),
    onImported,
    hasModel: () => trained,
    prepare: setup,
  });
  const files = training.files;

  const element = h(
    'div',
    { class: 'page function' },
    pageIntro(
      'Function approximation',
      'A network with one hidden layer learns y = x³ + x² − x − 1 from random x in [−5, 5] (shaded), one sample per step. Watch where it fits: well in the middle of the sampled range, poorly at its edges, and not at all outside it, where a ReLU network can only continue in straight lines.',
    ),
    h(
      'div',
      { class: 'function-grid' },
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'function-settings' },
        h('h3', { id: 'function-settings' }, 'Model and training'),
        widthControl.element,
        activationControl.element,
        selectControl<OptimizerName>('Optimizer', OPTIMIZER_OPTIONS, form.optimizer, (v) => change({ optimizer: v }))
          .element,
        lrControl.element,
        batchControl.element,
        stepsControl.element,
        h('div', { class: 'button-row' }, startButton, resetButton),
        h('div', { class: 'progress-row' }, progress, progressLabel),
        modelLine,
        status.element,
      ),
      h('section', { class: 'panel plots-panel', 'aria-label': 'Plots' }, fitChart.element, lossChart.element),
    ),
    h('div', { class: 'lower-grid' }, files.element),
  );

  const render = frameThrottle(() => {
    fitChart.setData(xs, [truth, curve ? Array.from(curve) : xs.map(() => null)]);
    lossChart.setData(losses.steps, [losses.loss]);
    progress.max = totalSteps;
    progress.value = step;
    progressLabel.textContent = `Step ${formatNumber(step)} of ${formatNumber(totalSteps)}`;
  });

  function onProgress(event: ProgressEvent<'function'>): void {
    curve = event.curve;
    totalSteps = event.steps;
    const s = event.summary;
    step = s.epoch * 100;
    if (Number.isFinite(s.loss)) {
      trained = true;
      while (losses.steps.length && losses.steps[losses.steps.length - 1]! >= step) {
        losses.steps.pop();
        losses.loss.pop();
      }
      losses.steps.push(step);
      losses.loss.push(s.loss);
      progressLabel.dataset.samplesPerSecond = String(Math.round(s.samplesPerSecond));
      status.show('info', `${formatRate(s.samplesPerSecond)} samples/s on ${backends.active}`);
    }
    render();
  }

  async function setup(): Promise<void> {
    if (!training.client) return;
    const config: FunctionConfig = {
      hidden: [form.width],
      activation: form.activation,
      dropout: 0,
      optimizer: form.optimizer,
      lr: form.lr,
      batchSize: form.batchSize,
      seed: form.seed,
      steps: form.steps,
    };
    try {
      const result = await training.client.call('function.setup', { config, plotRange: PLOT_RANGE, points: POINTS });
      curve = result.curve;
      step = 0;
      trained = false;
      totalSteps = form.steps;
      losses.steps = [];
      losses.loss = [];
      modelLine.textContent = describeModel(result);
      files.describe(null);
      render();
    } catch (error) {
      status.show('error', `Could not set up the model: ${(error as Error).message}`);
    }
  }

  function trainedToTheEnd(): boolean {
    return step >= totalSteps;
  }

  /** Start: on from where it paused, or at the end `form.steps` more (the worker counts epochs of 100 steps). */
  async function start(): Promise<void> {
    await training.run(trainedToTheEnd() ? form.steps / 100 : undefined);
  }

  function showRunning(running: boolean): void {
    const more = `Train ${formatNumber(form.steps)} more`;
    startButton.textContent = running ? 'Pause' : trainedToTheEnd() ? more : 'Start';
    element.dataset.running = String(running);
    if (running) status.clear(); // a new run: the last one's messages are out of date
  }

  async function reset(): Promise<void> {
    await training.pause();
    startButton.textContent = 'Start';
    await setup();
  }

  function change(next: Partial<FunctionForm>): void {
    form = { ...form, ...next };
    void reset();
  }

  function onImported(summary: ModelSummary): void {
    if (summary.network?.hidden.length === 1) {
      form = { ...form, width: summary.network.hidden[0]!, activation: summary.network.activation };
      widthControl.value = form.width;
      activationControl.value = form.activation;
    }
    losses.steps = [];
    losses.loss = [];
    trained = true;
    modelLine.textContent = describeModel(summary);
    render();
  }

  return {
    element,
    attach: training.attach,
    detach: training.detach,
  };
}
