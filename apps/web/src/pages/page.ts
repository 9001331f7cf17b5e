// What the shell knows about a page: its element and, for demos, how it follows the backend.
import type { BackendUser } from '../client/backend-manager.js';
import { lineChart, type LineChart } from '../ui/chart.js';
import type { Option } from '../ui/controls.js';
import { h } from '../ui/dom.js';
import type { ActivationName } from '../worker/protocol.js';

export interface Page {
  readonly element: HTMLElement;
  /** Called each time the page is shown. */
  shown?(): void;
}

export interface DemoPage extends Page, BackendUser {}

/** A page's heading and the paragraph that says what it is about. */
export function pageIntro(title: string, text: string): HTMLElement {
  return h('header', { class: 'page-intro' }, h('h2', {}, title), h('p', {}, text));
}

const ACTIVATION_LABELS: Record<ActivationName, string> = {
  relu: 'ReLU',
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  'leaky-relu': 'Leaky ReLU',
  elu: 'ELU',
  gelu: 'GELU',
  silu: 'SiLU (swish)',
  mish: 'Mish',
  softplus: 'Softplus',
  selu: 'SELU',
  relu6: 'ReLU6',
  hardswish: 'Hardswish',
  prelu: 'PReLU (learned slope)',
  celu: 'CELU',
  rrelu: 'RReLU (random slope)',
  'log-sigmoid': 'LogSigmoid',
  tanhshrink: 'Tanhshrink',
  softshrink: 'Softshrink',
  hardshrink: 'Hardshrink',
  linear: 'Linear (none)',
};

/** The activation choices of a demo's form: core's MLP activations, in words. */
export function activationOptions(options: { linear: boolean }): Option<ActivationName>[] {
  return Object.entries(ACTIVATION_LABELS)
    .filter(([value]) => options.linear || value !== 'linear')
    .map(([value, label]) => ({ value: value as ActivationName, label }));
}

/** Runs `fn` at most once per animation frame (chart and label updates while training). */
export function frameThrottle(fn: () => void): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(() => {
      queued = false;
      fn();
    });
  };
}

/** Epoch-by-epoch series for the charts, with the previous run kept for comparison. */
export class RunHistory {
  epochs: number[] = [];
  loss: number[] = [];
  valLoss: (number | null)[] = [];
  accuracy: (number | null)[] = [];
  valAccuracy: (number | null)[] = [];
  previous: { label: string; epochs: number[]; loss: number[]; accuracy: (number | null)[] } | null = null;

  push(epoch: number, loss: number, valLoss?: number, accuracy?: number, valAccuracy?: number): void {
    // A repeated epoch (a re-run after import) replaces the tail.
    while (this.epochs.length > 0 && this.epochs[this.epochs.length - 1]! >= epoch) this.#pop();
    this.epochs.push(epoch);
    this.loss.push(loss);
    this.valLoss.push(valLoss ?? null);
    this.accuracy.push(accuracy ?? null);
    this.valAccuracy.push(valAccuracy ?? null);
  }

  /** Starts a new run; the current one (if it trained) becomes the dashed "previous" line. */
  reset(label: string | null): void {
    if (label !== null && this.epochs.length > 1)
      this.previous = { label, epochs: this.epochs, loss: this.loss, accuracy: this.accuracy };
    this.epochs = [];
    this.loss = [];
    this.valLoss = [];
    this.accuracy = [];
    this.valAccuracy = [];
  }

  /** x values covering both runs, and each series aligned to them. */
  aligned(): {
    x: number[];
    series: (
      key: 'loss' | 'valLoss' | 'accuracy' | 'valAccuracy' | 'previousLoss' | 'previousAccuracy',
    ) => (number | null)[];
  } {
    const previous = this.previous;
    const length = Math.max(
      this.epochs.length ? this.epochs[this.epochs.length - 1]! : 0,
      previous?.epochs.length ? previous.epochs[previous.epochs.length - 1]! : 0,
    );
    const x = Array.from({ length }, (_, i) => i + 1);
    const index = new Map(this.epochs.map((e, i) => [e, i]));
    const previousIndex = new Map((previous?.epochs ?? []).map((e, i) => [e, i]));
    return {
      x,
      series: (key) => {
        if (key === 'previousLoss' || key === 'previousAccuracy') {
          const values = key === 'previousLoss' ? previous?.loss : previous?.accuracy;
          return x.map((e) => (values && previousIndex.has(e) ? (values[previousIndex.get(e)!] ?? null) : null));
        }
        const values = this[key];
        return x.map((e) => (index.has(e) ? (values[index.get(e)!] ?? null) : null));
      },
    };
  }

  #pop(): void {
    this.epochs.pop();
    this.loss.pop();
    this.valLoss.pop();
    this.accuracy.pop();
    this.valAccuracy.pop();
  }
}

export interface HistoryCharts {
  loss: LineChart;
  accuracy: LineChart;
  /** Draws the run so far and the previous run's training curve (named by its label). */
  show(history: RunHistory): void;
}

/**
 * The loss and accuracy charts of a classifier demo, each with the training split, the held-out
 * split (`heldOut` names it: "validation", "test") and the previous run's training curve, dashed.
 */
export function historyCharts(options: {
  /** The loss axis: what the loss is ("cross-entropy"). */
  lossLabel: string;
  heldOut: string;
  accuracyRange?: [number, number];
}): HistoryCharts {
  const series = [
    { label: 'train', color: '#2563eb' },
    { label: options.heldOut, color: '#f97316' },
    { label: 'previous run (train)', color: '#94a3b8', dash: [6, 4] },
  ];
  const loss = lineChart({ title: 'Loss', xLabel: 'epoch', yLabel: options.lossLabel, logY: true, series });
  const accuracy = lineChart({
    title: 'Accuracy',
    xLabel: 'epoch',
    yLabel: 'accuracy',
    ...(options.accuracyRange ? { yRange: options.accuracyRange } : {}),
    series,
  });
  return {
    loss,
    accuracy,
    show(history) {
      const { x, series } = history.aligned();
      loss.setData(x, [series('loss'), series('valLoss'), series('previousLoss')]);
      accuracy.setData(x, [series('accuracy'), series('valAccuracy'), series('previousAccuracy')]);
      const previous = history.previous ? `previous run (train): ${history.previous.label}` : null;
      loss.setLabel(2, previous);
      accuracy.setLabel(2, previous);
    },
  };
}
