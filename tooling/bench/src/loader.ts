import '@myelin/backend-cpu-reference';
import { DataLoader, TensorDataset, compose, flatten, toFloat, type DatasetLike, type Sample } from '@myelin/data';
import { FASHION_MNIST_DIRECTORY, findMnistFiles, loadFashionMnist } from '@myelin/data/node';
import { Generator } from '@myelin/core';
import { medianSeconds } from './timing.js';

const BATCH = 64;

export interface LoaderResult {
  /** 'fashion-mnist' when Debian's dataset-fashion-mnist is installed, else 'synthetic' (same shapes). */
  source: 'fashion-mnist' | 'synthetic';
  samples: number;
  /** Samples/s of a shuffled epoch at batch 64 through toFloat() + flatten() (the MLP's input): the headline figure. */
  samplesPerSecond: number;
  /** Median seconds of that epoch. */
  epochSeconds: number;
  /** Samples/s with no transform (uint8 samples become float32 in the collate step). */
  rawSamplesPerSecond: number;
}

async function trainingImages(): Promise<{ dataset: TensorDataset; source: LoaderResult['source'] }> {
  if (findMnistFiles(FASHION_MNIST_DIRECTORY).images !== undefined)
    return { dataset: await loadFashionMnist(), source: 'fashion-mnist' };
  const count = 60000;
  const generator = new Generator(7);
  const pixels = Uint8Array.from(generator.integers(count * 28 * 28, 0, 256));
  return {
    dataset: new TensorDataset(
      { data: pixels, shape: [count, 28, 28] },
      { data: generator.integers(count, 0, 10), shape: [count] },
    ),
    source: 'synthetic',
  };
}

async function epochSeconds(dataset: DatasetLike<Sample>, runs: number): Promise<number> {
  const loader = new DataLoader(dataset, { batchSize: BATCH, shuffle: true, seed: 1 });
  return medianSeconds(async () => {
    for await (const { x, y } of loader) {
      x.dispose();
      y.dispose();
    }
  }, runs);
}

/**
 * DataLoader throughput over 60,000 28x28 images (Fashion-MNIST when installed), batch 64,
 * shuffled, async iteration with the default prefetch: the cost of one epoch of data loading,
 * to set against one epoch of training the 784-128-10 MLP (benchMlp).
 */
export async function benchLoader(runs = 3): Promise<LoaderResult> {
  const { dataset, source } = await trainingImages();
  const transformed = await epochSeconds(dataset.map(compose(toFloat(), flatten())), runs);
  const raw = await epochSeconds(dataset, runs);
  return {
    source,
    samples: dataset.length,
    samplesPerSecond: dataset.length / transformed,
    epochSeconds: transformed,
    rawSamplesPerSecond: dataset.length / raw,
  };
}
