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
import type { ActivationName, FunctionConfig, ModelSummary, OptimizerName, WorkerEvent } from '../worker/protocol.js';
import { demoLifecycle } from './demo-lifecycle.js';
import { activationOptions, frameThrottle, pageIntro, type DemoPage } from './page.js';

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
  let running = false;
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

  const startButton = button('Start', () => void (running ? pause() : start()), {
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

  const lifecycle = demoLifecycle({
    demo: 'function',
    backends,
    status,
    onEvent,
    pause,
    ui: () => ({ ...form }),
    onImported: (summary) => onImported(summary),
    hasModel: () => trained,
    async prepare() {
      running = false;
      await setup();
    },
  });
  const files = lifecycle.files;

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

  function onEvent(event: WorkerEvent): void {
    if (event.kind === 'status' && event.demo === 'function' && event.status === 'failed')
      status.show('error', `Training stopped: ${event.message ?? 'unknown error'}`);
    if (event.kind !== 'progress' || event.demo !== 'function') return;
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
    if (!lifecycle.client) return;
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
      const result = await lifecycle.client.call('function.setup', { config, plotRange: PLOT_RANGE, points: POINTS });
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

  async function pause(): Promise<void> {
    if (running && lifecycle.client) await lifecycle.client.call('pause', { demo: 'function' });
  }

  async function start(): Promise<void> {
    if (!lifecycle.client || running) return;
    running = true;
    startButton.textContent = 'Pause';
    element.dataset.running = 'true';
    try {
      const atEnd = step >= totalSteps;
      await lifecycle.client.call('run', atEnd ? { demo: 'function', epochs: form.steps / 100 } : { demo: 'function' });
      void files.persist();
    } catch (error) {
      if ((error as Error).name !== 'WorkerError') status.show('error', `Training failed: ${(error as Error).message}`);
    } finally {
      running = false;
      startButton.textContent = step >= totalSteps ? `Train ${formatNumber(form.steps)} more` : 'Start';
      element.dataset.running = 'false';
    }
  }

  async function reset(): Promise<void> {
    await pause();
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
    attach: lifecycle.attach,
    detach: lifecycle.detach,
  };
}
