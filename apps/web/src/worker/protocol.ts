// The messages between the page and the training worker. Each request names a method of
// `WorkerApi` (its argument and result types); the worker also sends events while it trains.
// Typed arrays travel as transferables, so a 64x64 grid or a checkpoint is never copied twice.
import type { MlpActivation } from '@myelin/core';

/** A backend's descriptor name; the bundled ones are listed in ../backends.ts. */
export type BackendName = string;

export const DEMO_NAMES = ['playground', 'digits', 'function'] as const;
export type DemoName = (typeof DEMO_NAMES)[number];

/** Core's MLP activation names: the CLI's run configs and the demos' forms share them. */
export type ActivationName = MlpActivation;
/** The optimizers the demos offer, by optimizerFromConfig type. */
export const OPTIMIZER_NAMES = ['sgd', 'adam', 'rmsprop', 'adagrad'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/** What a backend reported when the worker tried to start it. */
export interface BackendStatus {
  name: BackendName;
  usable: boolean;
  /** Why not, when unusable: the backend's own error message. */
  reason?: string;
  /** False when usable but not for an automatic choice (WebGPU on a software adapter). */
  auto?: boolean;
  /** One line for the status bar (the adapter's name, "SIMD true, threads 1"). */
  summary?: string;
  /** Adapter or module details (WebGPU adapter info, wasm SIMD/threads). */
  details?: Record<string, string>;
  /** Milliseconds the worker took to load and start the backend. */
  startMs?: number;
}

/** Where the worker finds files the bundler emitted (URLs resolved by the page). */
export interface AssetUrls {
  wasm: Record<string, string>;
  digits: string;
}

/** The layers between input and output, shared by the three demos. */
export interface NetworkConfig {
  hidden: number[];
  activation: ActivationName;
  /** Dropout probability after each hidden activation (0: none). */
  dropout: number;
  /**
   * 'cnn' puts two conv blocks (8 and 16 channels, 3x3, BatchNorm, ReLU, 2x2 max pooling) before
   * the hidden layers, for square image inputs (the digits); 'transformer' reads such an image as
   * a sequence of its rows (each embedded by a Linear to 32 features), runs a Transformer encoder
   * layer (4 heads) over them and classifies the last row's vector with the hidden layers;
   * 'mlp' (the default) is Linear layers only.
   */
  architecture?: 'mlp' | 'cnn' | 'transformer';
}

export interface TrainingConfig {
  optimizer: OptimizerName;
  lr: number;
  /** Samples per step; 0 means the whole training set (full batch). */
  batchSize: number;
  seed: number;
}

export interface PlaygroundConfig extends NetworkConfig, TrainingConfig {
  loss: 'bce' | 'mse';
}

/** A 2-D dataset: points as (x1, x2) pairs and 0/1 labels, already split. */
export interface ToyData {
  trainX: Float32Array;
  trainY: Float32Array;
  testX: Float32Array;
  testY: Float32Array;
  /** The square the points lie in, [-extent, extent]^2, where the heat map is drawn. */
  extent: number;
}

export interface DigitsConfig extends NetworkConfig, TrainingConfig {
  epochs: number;
}

export interface FunctionConfig extends NetworkConfig, TrainingConfig {
  /** Total optimizer steps (the reference: 10,000 steps of one sample). */
  steps: number;
}

/** One epoch's numbers, as fit logged them (val_* are the held-out split). */
export interface EpochSummary {
  epoch: number;
  step: number;
  loss: number;
  accuracy?: number;
  valLoss?: number;
  valAccuracy?: number;
  samplesPerSecond: number;
  /** Seconds since the worker started this run of epochs. */
  elapsed: number;
}

export type TrainingStatus = 'idle' | 'running' | 'paused' | 'done' | 'failed';

/** A model loaded from a file or restored: what the page shows about it. */
export interface ModelSummary {
  demo: DemoName;
  /** e.g. "Linear(64->32) ReLU Linear(32->16) ReLU Linear(16->10)". */
  layers: string;
  parameters: number;
  epoch: number;
  /** Where it came from: "best.json + best.safetensors", "digits.safetensors" ... */
  source: string;
  /** The network settings the page should show for it (when they fit the page's form). */
  network: NetworkConfig | null;
  /** Digits: the preprocessing in words ("pixels / 16"). */
  preprocessing?: string;
  /** Written by the CLI (`myelin train`) rather than this page. */
  fromCli: boolean;
  optimizerRestored: boolean;
  /** The page's own settings saved with it (extra.web.ui), to restore the form. */
  ui?: Record<string, unknown>;
}

export interface UploadedFile {
  name: string;
  bytes: Uint8Array;
}

/** Every request: [argument, result]. The worker implements all of them (a mapped type checks it). */
export interface WorkerApi {
  start: [{ backend: BackendName; assets: AssetUrls; featureLevel?: 'auto' | 'core' | 'compatibility' }, BackendStatus];
  'playground.setup': [
    { config: PlaygroundConfig; data: ToyData; gridSize: number },
    { parameters: number; layers: string; grid: Float32Array },
  ];
  'digits.setup': [
    { config: DigitsConfig },
    { parameters: number; layers: string; train: number; validation: number; test: number },
  ];
  'function.setup': [
    { config: FunctionConfig; plotRange: [number, number]; points: number },
    { parameters: number; layers: string; curve: Float32Array },
  ];
  /** Runs epochs until paused or finished (resolves when it stops); progress comes as events. */
  run: [{ demo: DemoName; epochs?: number }, { status: TrainingStatus; epoch: number }];
  pause: [{ demo: DemoName }, void];
  'digits.predict': [{ pixels: Float32Array }, { probabilities: Float32Array }];
  'digits.confusion': [void, { matrix: number[][]; accuracy: number; samples: number }];
  /** An image of the test split (raw pixel values 0-16) and its label. */
  'digits.sample': [{ index: number }, { pixels: Float32Array; label: number; index: number; count: number }];
  /** The demo's model and optimizer as one checkpoint file (core's packCheckpoint). */
  'model.export': [{ demo: DemoName; ui: Record<string, unknown> }, { bytes: Uint8Array; summary: ModelSummary }];
  /** Loads files (a packed checkpoint, or <name>.json + <name>.safetensors [+ optimizer]); on any error nothing changes. */
  'model.import': [{ demo: DemoName; files: UploadedFile[] }, ModelSummary];
  /** Trains a fresh digits MLP (64-32-16-10) for one warm-up and `epochs` timed epochs: its speed here. */
  benchmark: [{ batchSize: number; epochs: number }, { samplesPerSecond: number; stepsPerSecond: number }];
}
export type Method = keyof WorkerApi;

export type Request = { [M in Method]: { id: number; method: M; argument: WorkerApi[M][0] } }[Method];
export type Response =
  | { kind: 'result'; id: number; result: unknown }
  | { kind: 'error'; id: number; error: { name: string; message: string } };

/** Sent while training: one per epoch (throttled), with the demo's picture of the model. */
export type WorkerEvent =
  | { kind: 'progress'; demo: 'playground'; summary: EpochSummary; grid?: Float32Array }
  | { kind: 'progress'; demo: 'digits'; summary: EpochSummary; epochs: number }
  | { kind: 'progress'; demo: 'function'; summary: EpochSummary; curve: Float32Array; steps: number }
  | { kind: 'status'; demo: DemoName; status: TrainingStatus; epoch: number; message?: string };

export type FromWorker = Response | WorkerEvent;
