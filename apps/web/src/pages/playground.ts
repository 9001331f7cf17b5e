// The playground: 2-D toy datasets, a network editor, and live pictures of training (the
// decision boundary with the points, loss and accuracy for train and test). Lessons set up
// the classic experiments: one layer cannot solve XOR, hidden layers can, and deep sigmoid
// networks learn slowly where ReLU does not.
import type { BackendManager } from '../client/backend-manager.js';
import { EXTENT, TOY_DATASETS, TOY_LABELS, makeToyData } from '../data/toy-datasets.js';
import {
  batchOptions,
  button,
  DROPOUT_OPTIONS,
  hiddenLayersControl,
  numberOptions,
  OPTIMIZER_OPTIONS,
  rangeControl,
  selectControl,
} from '../ui/controls.js';
import { formatNumber, formatRate, h } from '../ui/dom.js';
import { heatmap } from '../ui/heatmap.js';
import { describeModel } from '../ui/model-files.js';
import { notice } from '../ui/notice.js';
import type {
  ActivationName,
  EpochSummary,
  ModelSummary,
  OptimizerName,
  PlaygroundConfig,
  ToyData,
} from '../worker/protocol.js';
import { RunHistory, activationOptions, frameThrottle, historyCharts, pageIntro, type DemoPage } from './page.js';
import {
  DEFAULT_PLAYGROUND,
  LESSONS,
  describeForm,
  pickTraining,
  type Lesson,
  type PlaygroundForm,
} from './playground-lessons.js';
import { trainingPage, type ProgressEvent } from './training-page.js';

const GRID = 64;

export function playgroundPage(backends: BackendManager): DemoPage {
  let form: PlaygroundForm = { ...DEFAULT_PLAYGROUND };
  let data: ToyData = makeData(form);
  let grid: Float32Array | null = null;
  let setupDone: Promise<void> = Promise.resolve();
  let startedAt: number | null = null;
  let reachedAt: { seconds: number; epoch: number } | null = null;
  let lastSummary: EpochSummary | null = null;
  let showTest = true;
  let runLabel = describeForm(form);
  const history = new RunHistory();
  const status = notice();

  // ----- controls -----
  const datasetControl = selectControl(
    'Dataset',
    TOY_DATASETS.map((d) => ({ value: d, label: TOY_LABELS[d] })),
    form.dataset,
    (v) => changeData({ dataset: v }),
  );
  const noiseControl = rangeControl(
    'Noise',
    { min: 0, max: 50, step: 5, value: form.noise * 100, format: (v) => `${v}%` },
    (v) => changeData({ noise: v / 100 }),
  );
  const splitControl = rangeControl(
    'Training share',
    { min: 10, max: 90, step: 10, value: form.trainPercent, format: (v) => `${v}%` },
    (v) => changeData({ trainPercent: v }),
  );
  const samplesControl = selectControl(
    'Points',
    [100, 200, 400, 800].map((n) => ({ value: n, label: String(n) })),
    form.samples,
    (v) => changeData({ samples: v }),
  );
  const showTestBox = h('input', {
    type: 'checkbox',
    id: 'playground-show-test',
    checked: true,
    onchange: () => {
      showTest = showTestBox.checked;
      draw();
    },
  });
  const hiddenControl = hiddenLayersControl(
    form.hidden,
    { max: 64, hint: 'Neurons per layer, e.g. "8, 8"; empty: no hidden layer.' },
    (hidden) => changeModel({ hidden }),
  );
  const activationControl = selectControl<ActivationName>(
    'Activation',
    activationOptions({ linear: true }),
    form.activation,
    (v) => changeModel({ activation: v }),
  );
  const dropoutControl = selectControl('Dropout', DROPOUT_OPTIONS, form.dropout, (v) => changeModel({ dropout: v }));
  const lossControl = selectControl<'bce' | 'mse'>(
    'Loss',
    [
      { value: 'bce', label: 'Binary cross-entropy' },
      { value: 'mse', label: 'Mean squared error' },
    ],
    form.loss,
    (v) => changeModel({ loss: v }),
  );
  const optimizerControl = selectControl<OptimizerName>('Optimizer', OPTIMIZER_OPTIONS, form.optimizer, (v) =>
    changeModel({ optimizer: v }),
  );
  const lrControl = selectControl(
    'Learning rate',
    numberOptions([0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3]),
    form.lr,
    (v) => changeModel({ lr: v }),
  );
  const batchControl = selectControl('Batch size', batchOptions([0, 1, 8, 16, 32, 64]), form.batchSize, (v) =>
    changeModel({ batchSize: v }),
  );
  const seedControl = selectControl('Weight seed', numberOptions([1, 2, 3, 4, 5]), form.seed, (v) =>
    changeModel({ seed: v }),
  );

  const startButton = button('Start', () => void (training.running ? training.pause() : start()), {
    kind: 'primary',
    id: 'playground-start',
  });
  const stepButton = button('Step', () => void step(), { title: 'Train one epoch', id: 'playground-step' });
  const resetButton = button('Reset', () => void reset(), {
    title: 'New initial weights; the last run stays on the charts, dashed',
    id: 'playground-reset',
  });

  const stat = (label: string, id: string): HTMLElement =>
    h('div', { class: 'stat' }, h('span', { class: 'stat-label' }, label), h('span', { class: 'stat-value', id }, '-'));
  const stats = h(
    'div',
    { class: 'stats' },
    stat('Epoch', 'playground-epoch'),
    stat('Train loss', 'playground-loss'),
    stat('Test loss', 'playground-val-loss'),
    stat('Train accuracy', 'playground-accuracy'),
    stat('Test accuracy', 'playground-val-accuracy'),
    stat('Samples/s', 'playground-speed'),
  );
  const reachedLine = h('p', { class: 'reached', id: 'playground-reached', 'aria-live': 'polite' });
  const modelLine = h('p', { class: 'model-line', id: 'playground-model' });

  const map = heatmap(
    "Decision boundary: the model's probability of the blue class over the plane, with the data points",
  );
  const charts = historyCharts({ lossLabel: 'loss', heldOut: 'test', accuracyRange: [0, 1.02] });

  const lessonText = h(
    'p',
    { class: 'lesson-text', id: 'playground-lesson-text', 'aria-live': 'polite' },
    'Pick a lesson to set up the experiment, then press Start.',
  );
  const lessonButtons = LESSONS.map((lesson) => button(lesson.title, () => void runLesson(lesson), { kind: 'ghost' }));

  let kept: EpochSummary | null = null;
  const training = trainingPage({
    demo: 'playground',
    backends,
    status,
    onProgress,
    showRunning,
    ui: () => ({ ...form }),
    onImported,
    hasModel: () => history.epochs.length > 0,
    async prepare(stored) {
      showRunning(false);
      const ui = stored?.summary.ui as Partial<PlaygroundForm> | undefined;
      if (stored && ui?.dataset) {
        applyForm({ ...DEFAULT_PLAYGROUND, ...ui });
        data = makeData(form);
      }
      kept = lastSummary;
      await setup();
    },
    moved() {
      lastSummary = kept;
      render();
    },
    attached: () => draw(),
  });
  const files = training.files;

  const element = h(
    'div',
    { class: 'page playground' },
    pageIntro(
      'Playground',
      'A small network learns to separate blue from orange points. The colour behind the points is its prediction over the whole plane; it updates while the network trains in a Web Worker.',
    ),
    h(
      'div',
      { class: 'playground-grid' },
      h(
        'section',
        { class: 'panel controls-panel', 'aria-labelledby': 'pg-data' },
        h('h3', { id: 'pg-data' }, 'Data'),
        datasetControl.element,
        noiseControl.element,
        splitControl.element,
        samplesControl.element,
        h(
          'div',
          { class: 'field checkbox' },
          showTestBox,
          h('label', { for: 'playground-show-test' }, 'Show test points (dark rim)'),
        ),
        button('New points', () => changeData({ dataSeed: form.dataSeed + 1 })),
        h('h3', { id: 'pg-network' }, 'Network'),
        hiddenControl.element,
        activationControl.element,
        dropoutControl.element,
        h('h3', {}, 'Training'),
        lossControl.element,
        optimizerControl.element,
        lrControl.element,
        batchControl.element,
        seedControl.element,
      ),
      h(
        'section',
        { class: 'panel view-panel', 'aria-label': 'Training' },
        h(
          'div',
          { class: 'lessons', role: 'group', 'aria-labelledby': 'pg-lessons' },
          h('h3', { id: 'pg-lessons' }, 'Lessons'),
          h('div', { class: 'button-row' }, ...lessonButtons),
          lessonText,
        ),
        h('div', { class: 'button-row run-buttons' }, startButton, stepButton, resetButton),
        modelLine,
        stats,
        reachedLine,
        status.element,
        h(
          'div',
          { class: 'view-grid' },
          h(
            'div',
            { class: 'map-column' },
            map.element,
            h(
              'p',
              { class: 'legend' },
              h('span', { class: 'swatch orange' }),
              'class 0 ',
              h('span', { class: 'swatch blue' }),
              'class 1 · white rim: training point, dark rim: test point',
            ),
          ),
          h('div', { class: 'chart-column' }, charts.loss.element, charts.accuracy.element),
        ),
      ),
    ),
    h('div', { class: 'lower-grid' }, files.element),
  );

  // ----- behaviour -----
  const render = frameThrottle(() => {
    charts.show(history);
    const s = lastSummary;
    setText('playground-epoch', s ? formatNumber(s.epoch) : '0');
    setText('playground-loss', s && Number.isFinite(s.loss) ? s.loss.toFixed(4) : '-');
    setText('playground-val-loss', s?.valLoss !== undefined ? s.valLoss.toFixed(4) : '-');
    setText('playground-accuracy', s?.accuracy !== undefined ? `${(s.accuracy * 100).toFixed(1)}%` : '-');
    setText('playground-val-accuracy', s?.valAccuracy !== undefined ? `${(s.valAccuracy * 100).toFixed(1)}%` : '-');
    setText('playground-speed', s ? formatRate(s.samplesPerSecond) : '-');
    draw();
  });

  function setText(id: string, text: string): void {
    const node = element.querySelector(`#${id}`);
    if (node) node.textContent = text;
  }

  function draw(): void {
    map.draw(grid, GRID, data, EXTENT, showTest);
  }

  function onProgress(event: ProgressEvent<'playground'>): void {
    if (event.grid) grid = event.grid;
    const s = event.summary;
    if (Number.isFinite(s.loss)) {
      lastSummary = s;
      history.push(s.epoch, s.loss, s.valLoss, s.accuracy, s.valAccuracy);
      if (reachedAt === null && startedAt !== null && s.accuracy === 1) {
        reachedAt = { seconds: (performance.now() - startedAt) / 1000, epoch: s.epoch };
        reachedLine.textContent = `100% training accuracy ${reachedAt.seconds.toFixed(2)} s after Start (epoch ${reachedAt.epoch}, ${backends.active ?? ''}).`;
        reachedLine.dataset.seconds = reachedAt.seconds.toFixed(3);
        reachedLine.dataset.workerSeconds = s.elapsed.toFixed(3);
      }
    }
    render();
  }

  function showRunning(running: boolean): void {
    startButton.textContent = running ? 'Pause' : 'Start';
    startButton.setAttribute('aria-pressed', String(running));
    stepButton.disabled = running;
    element.dataset.running = String(running);
    if (running) status.clear(); // a new run: the last one's messages are out of date
  }

  async function setup(): Promise<void> {
    const c = training.client;
    if (!c) return;
    const config: PlaygroundConfig = {
      hidden: form.hidden,
      activation: form.activation,
      dropout: form.dropout,
      loss: form.loss,
      optimizer: form.optimizer,
      lr: form.lr,
      batchSize: form.batchSize,
      seed: form.seed,
    };
    element.dataset.ready = 'false';
    if (backends.active === 'webgpu')
      status.show('info', 'Preparing the model: compiling the WebGPU shaders for this network...');
    const done = (async () => {
      const result = await c.call('playground.setup', { config, data: copyData(data), gridSize: GRID });
      element.dataset.ready = 'true';
      status.clear();
      grid = result.grid;
      modelLine.textContent = describeModel(result);
      files.describe(null);
      render();
    })();
    setupDone = done.catch(() => undefined);
    try {
      await done;
    } catch (error) {
      status.show('error', `Could not set up the model: ${(error as Error).message}`);
    }
  }

  /** Trains once the model is set up (WebGPU may still be compiling its shaders); saves it, even after a failure. */
  async function train(epochs?: number): Promise<void> {
    const client = training.client;
    if (!client || training.running) return;
    await setupDone;
    // A backend switch while the model was being set up: the new worker sets its own model up.
    if (training.client !== client) return;
    if (await training.run(epochs)) void files.persist();
  }

  async function start(): Promise<void> {
    if (history.epochs.length === 0) {
      startedAt = performance.now();
      reachedAt = null;
      reachedLine.textContent = '';
    }
    await train();
  }

  async function step(): Promise<void> {
    await train(1);
  }

  /** Stops training and starts a new run of the current form; the old run stays dashed on the charts. */
  async function reset(keepPrevious = true): Promise<void> {
    await training.pause();
    history.reset(keepPrevious ? runLabel : null);
    runLabel = describeForm(form);
    lastSummary = null;
    startedAt = null;
    reachedAt = null;
    reachedLine.textContent = '';
    await setup();
  }

  function changeData(change: Partial<PlaygroundForm>): void {
    form = { ...form, ...change };
    data = makeData(form);
    void reset();
  }

  function changeModel(change: Partial<PlaygroundForm>): void {
    form = { ...form, ...change };
    void reset();
  }

  function applyForm(next: PlaygroundForm): void {
    form = next;
    datasetControl.value = form.dataset;
    noiseControl.value = form.noise * 100;
    splitControl.value = form.trainPercent;
    samplesControl.value = form.samples;
    hiddenControl.show(form.hidden);
    activationControl.value = form.activation;
    dropoutControl.value = form.dropout;
    lossControl.value = form.loss;
    optimizerControl.value = form.optimizer;
    lrControl.value = form.lr;
    batchControl.value = form.batchSize;
    seedControl.value = form.seed;
  }

  async function runLesson(lesson: Lesson): Promise<void> {
    await training.pause();
    lessonText.textContent = lesson.text;
    const before = form;
    applyForm({ ...form, ...lesson.form });
    if (before.dataset !== form.dataset || before.noise !== form.noise) data = makeData(form);
    history.previous = null;
    await reset(false);
    if (!lesson.compare) return;
    await train(lesson.compare.epochs);
    applyForm({ ...form, ...lesson.compare.form });
    await reset();
    await train(lesson.compare.epochs);
  }

  async function onImported(summary: ModelSummary): Promise<void> {
    if (summary.network) applyForm({ ...form, ...summary.network, ...pickTraining(summary.ui) });
    if (training.carrying) return; // the same run, moved to another backend: keep its curves
    history.reset(null);
    lastSummary = null;
    runLabel = describeForm(form);
    modelLine.textContent = describeModel(summary);
    render();
  }

  return {
    element,
    attach: training.attach,
    detach: training.detach,
    shown() {
      draw();
    },
  };
}

function makeData(form: PlaygroundForm): ToyData {
  return makeToyData({
    dataset: form.dataset,
    samples: form.samples,
    noise: form.noise,
    trainFraction: form.trainPercent / 100,
    seed: form.dataSeed,
  });
}

function copyData(data: ToyData): ToyData {
  return {
    trainX: data.trainX.slice(),
    trainY: data.trainY.slice(),
    testX: data.testX.slice(),
    testY: data.testY.slice(),
    extent: data.extent,
  };
}
