import { ArgumentError } from '../errors.js';
import { mlpConfig, type MlpActivation, type MlpLayers } from './mlp.js';
import type { ModuleConfig } from './module.js';

/** The convolutional layers of a small CNN: what a run config's `{ type: 'cnn' }` sets. */
export interface CnnLayers {
  /** Output channels of each conv block, input side first. */
  channels: readonly number[];
  /** Square kernel of every conv ('same' padding; default 3). */
  kernelSize?: number;
  /** BatchNorm2d after each conv (default true). */
  batchNorm?: boolean;
  /** Max-pooling window (and stride) after each block; 1 for none (default 2). */
  pool?: number;
  /** Average each final channel to one value (AdaptiveAvgPool2d(1)) before the classifier (default false). */
  globalPool?: boolean;
  /** The MLP after the conv blocks (default: no hidden layer). */
  head?: MlpLayers;
}

export interface CnnConfigOptions extends CnnLayers {
  /** One sample's shape: [C, H, W], or [H, W] for one channel. */
  inputShape: readonly number[];
  outFeatures: number;
  /** An activation after the output layer, e.g. 'sigmoid' for BCELoss (default 'linear'). */
  outputActivation?: MlpActivation;
}

/**
 * A small CNN as a Sequential config: per entry of `channels`, Conv2d(k, 'same') [-> BatchNorm2d]
 * -> ReLU [-> MaxPool2d(pool)]; then [AdaptiveAvgPool2d(1) ->] Flatten -> the MLP head. An [H, W]
 * input gets an Unflatten to [1, H, W] first. Build it with `moduleFromConfig(config, { generator })`.
 */
export function cnnConfig(options: CnnConfigOptions): ModuleConfig {
  const { inputShape, channels } = options;
  const kernelSize = options.kernelSize ?? 3;
  const pool = options.pool ?? 2;
  const positive = (n: unknown): boolean => Number.isInteger(n) && (n as number) >= 1;
  if (!Array.isArray(inputShape) || !inputShape.every(positive) || (inputShape.length !== 2 && inputShape.length !== 3))
    throw new ArgumentError(`cnnConfig: inputShape must be [C, H, W] or [H, W], got ${JSON.stringify(inputShape)}`);
  if (!Array.isArray(channels) || channels.length === 0 || !channels.every(positive))
    throw new ArgumentError(
      `cnnConfig: channels must be a non-empty list of positive integers, got ${JSON.stringify(channels)}`,
    );
  for (const [name, value] of [
    ['kernelSize', kernelSize],
    ['pool', pool],
  ] as const)
    if (!positive(value))
      throw new ArgumentError(`cnnConfig: ${name} must be a positive integer, got ${JSON.stringify(value)}`);
  const modules: ModuleConfig[] = [];
  let [c, h, w] =
    inputShape.length === 3 ? (inputShape as [number, number, number]) : [1, inputShape[0]!, inputShape[1]!];
  if (inputShape.length === 2) modules.push({ type: 'Unflatten', axis: 1, sizes: [1, h] });
  for (const out of channels) {
    modules.push({
      type: 'Conv2d',
      inChannels: c,
      outChannels: out,
      kernelSize,
      padding: 'same',
      bias: !(options.batchNorm ?? true),
    });
    if (options.batchNorm ?? true) modules.push({ type: 'BatchNorm2d', numFeatures: out });
    modules.push({ type: 'ReLU' });
    if (pool > 1 && h >= pool && w >= pool) {
      modules.push({ type: 'MaxPool2d', kernelSize: pool });
      [h, w] = [Math.floor(h / pool), Math.floor(w / pool)];
    }
    c = out;
  }
  if (options.globalPool) {
    modules.push({ type: 'AdaptiveAvgPool2d', outputSize: 1 });
    [h, w] = [1, 1];
  }
  const head = mlpConfig({
    inputShape: [c, h, w],
    outFeatures: options.outFeatures,
    hidden: options.head?.hidden ?? [],
    activation: options.head?.activation,
    dropout: options.head?.dropout,
    head: options.outputActivation,
  });
  return { type: 'Sequential', modules: [...modules, ...(head['modules'] as ModuleConfig[])] };
}
