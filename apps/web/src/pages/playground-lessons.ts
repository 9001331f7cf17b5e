// The playground's form, its defaults and the lessons: each lesson is a form to apply (and,
// for a comparison, a second one trained after it) with the text that says what to look for.
import type { ToyDatasetName } from '../data/toy-datasets.js';
import { OPTIMIZER_NAMES, type ActivationName, type OptimizerName } from '../worker/protocol.js';

export interface PlaygroundForm {
  dataset: ToyDatasetName;
  samples: number;
  noise: number;
  trainPercent: number;
  dataSeed: number;
  hidden: number[];
  activation: ActivationName;
  dropout: number;
  loss: 'bce' | 'mse';
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  seed: number;
}

export const DEFAULT_PLAYGROUND: PlaygroundForm = {
  dataset: 'xor',
  samples: 400,
  noise: 0,
  trainPercent: 50,
  dataSeed: 1,
  hidden: [8, 8],
  activation: 'tanh',
  dropout: 0,
  loss: 'bce',
  optimizer: 'adam',
  lr: 0.03,
  batchSize: 0,
  seed: 1,
};

export interface Lesson {
  title: string;
  text: string;
  form: Partial<PlaygroundForm>;
  /** Train this form, then the form changed by `compare.form`, `epochs` each, and show both curves. */
  compare?: { form: Partial<PlaygroundForm>; epochs: number };
}

export const LESSONS: Lesson[] = [
  {
    title: '1. One layer cannot solve XOR',
    text: "With no hidden layer the model draws one straight line through the plane. No line separates XOR's quadrants, so accuracy stays near 50% and the loss near ln 2 = 0.693, however long it trains.",
    form: { dataset: 'xor', hidden: [], optimizer: 'adam', lr: 0.03, batchSize: 0, loss: 'bce', dropout: 0 },
  },
  {
    title: '2. Hidden layers can',
    text: 'Two hidden layers of 8 tanh units bend the boundary around the quadrants: training accuracy reaches 100% within a few dozen epochs.',
    form: {
      dataset: 'xor',
      hidden: [8, 8],
      activation: 'tanh',
      optimizer: 'adam',
      lr: 0.03,
      batchSize: 0,
      loss: 'bce',
      dropout: 0,
    },
  },
  {
    title: '3. Deep sigmoid nets learn slowly; ReLU does not',
    text: 'Five hidden layers, plain gradient descent (SGD, lr 0.3), 200 epochs each: with sigmoid the gradient shrinks at every layer (its slope is at most 1/4) and the loss barely leaves 0.693; with ReLU the same network solves XOR. Both loss curves stay on the chart.',
    form: {
      dataset: 'xor',
      hidden: [8, 8, 8, 8, 8],
      activation: 'sigmoid',
      optimizer: 'sgd',
      lr: 0.3,
      batchSize: 0,
      loss: 'bce',
      dropout: 0,
    },
    compare: { form: { activation: 'relu' }, epochs: 200 },
  },
];

export function describeForm(form: PlaygroundForm): string {
  const layers = form.hidden.length === 0 ? 'no hidden layer' : `${form.hidden.join('-')} ${form.activation}`;
  return `${layers}, ${form.optimizer} ${form.lr}`;
}

export function pickTraining(ui: Record<string, unknown> | undefined): Partial<PlaygroundForm> {
  if (!ui) return {};
  const out: Partial<PlaygroundForm> = {};
  const optimizer = OPTIMIZER_NAMES.find((name) => name === ui.optimizer);
  if (optimizer) out.optimizer = optimizer;
  if (typeof ui.lr === 'number') out.lr = ui.lr;
  if (ui.loss === 'bce' || ui.loss === 'mse') out.loss = ui.loss;
  if (typeof ui.batchSize === 'number') out.batchSize = ui.batchSize;
  return out;
}
