import { readFileSync } from 'node:fs';
import { Generator, fromHost, noGrad, tensor, tidy, type Tensor } from '@myelin/core';
import '@myelin/backend-cpu-reference';

/**
 * The XOR experiment of REFERENCE-EXPERIMENTS section 1, in plain tensors: a 2-H-1 sigmoid
 * network (H = 0 means the single-layer perceptron), binary cross-entropy, full-batch SGD
 * written by hand. The nn / optim API does the same in a few lines.
 */
export interface XorOptions {
  seed: number;
  /** Hidden units; 0 for the single-layer perceptron Linear(2,1) -> Sigmoid. */
  hidden: number;
  epochs: number;
  learningRate: number;
  /** Called every `logEvery` epochs with the cost. */
  onLog?: (epoch: number, cost: number) => void;
  logEvery?: number;
}

export interface XorResult {
  costs: { epoch: number; cost: number }[];
  finalCost: number;
  accuracy: number;
  predictions: number[];
}

/** Reads whitespace-separated rows `x1 x2 y`; blank lines and # comments are ignored. */
export function readXorFile(path: string): { inputs: number[][]; targets: number[] } {
  const inputs: number[][] = [];
  const targets: number[] = [];
  readFileSync(path, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      const text = line.replace(/#.*/, '').trim();
      if (text === '') return;
      const fields = text.split(/\s+/).map(Number);
      if (fields.length !== 3 || fields.some((v) => !Number.isFinite(v))) {
        throw new Error(`${path}:${index + 1}: expected three numbers 'x1 x2 y', got '${text}'`);
      }
      inputs.push([fields[0]!, fields[1]!]);
      targets.push(fields[2]!);
    });
  return { inputs, targets };
}

/** PyTorch's default Linear init: weight and bias uniform in +-1/sqrt(fan_in). */
function linearParameters(generator: Generator, inFeatures: number, outFeatures: number): [Tensor, Tensor] {
  const bound = 1 / Math.sqrt(inFeatures);
  const weight = fromHost(generator.uniform(outFeatures * inFeatures, -bound, bound), [outFeatures, inFeatures], {
    dtype: 'float32',
    requiresGrad: true,
  });
  const bias = fromHost(generator.uniform(outFeatures, -bound, bound), [outFeatures], {
    dtype: 'float32',
    requiresGrad: true,
  });
  return [weight, bias];
}

/** Binary cross-entropy on probabilities, with PyTorch's clamp of log at -100. */
function binaryCrossEntropy(probabilities: Tensor, targets: Tensor): Tensor {
  const logP = probabilities.log().clamp(-100, null);
  const logNotP = probabilities.neg().add(1).log().clamp(-100, null);
  return targets.mul(logP).add(targets.neg().add(1).mul(logNotP)).mean().neg();
}

export async function trainXor(
  data: { inputs: number[][]; targets: number[] },
  options: XorOptions,
): Promise<XorResult> {
  const generator = new Generator(options.seed);
  const x = tensor(data.inputs);
  const y = tensor(data.targets.map((t) => [t]));
  const layers =
    options.hidden > 0
      ? [linearParameters(generator, 2, options.hidden), linearParameters(generator, options.hidden, 1)]
      : [linearParameters(generator, 2, 1)];
  const parameters = layers.flat();
  const forward = (): Tensor => layers.reduce((h, [w, b]) => h.matmul(w, { transposeB: true }).add(b).sigmoid(), x);
  const costs: { epoch: number; cost: number }[] = [];
  const logEvery = options.logEvery ?? 100;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    const cost = tidy(() => {
      const loss = binaryCrossEntropy(forward(), y);
      loss.backward();
      noGrad(() => {
        for (const p of parameters) {
          p.assign(p.sub(p.grad!.mul(options.learningRate)));
          p.grad = null;
        }
      });
      return loss.detach();
    });
    if (epoch % logEvery === 0 || epoch === options.epochs - 1) {
      const value = await cost.item();
      costs.push({ epoch, cost: value });
      if (epoch % logEvery === 0) options.onLog?.(epoch, value);
    }
    cost.dispose();
  }
  const probabilities = noGrad(() => tidy(forward));
  const predictions = Array.from(await probabilities.data(), (p) => (p > 0.5 ? 1 : 0));
  const accuracy = predictions.filter((p, i) => p === data.targets[i]).length / predictions.length;
  for (const t of [x, y, probabilities, ...parameters]) t.dispose();
  return { costs, finalCost: costs[costs.length - 1]!.cost, accuracy, predictions };
}
