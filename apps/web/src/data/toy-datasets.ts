// The playground's 2-D datasets, generated in the page (which draws and sends the points) from
// core's seeded Philox generator, the one source of randomness everywhere else too.
import { Generator } from '@myelin/core';
import type { ToyData } from '../worker/protocol.js';

export const TOY_DATASETS = ['xor', 'circles', 'moons', 'spirals', 'blobs'] as const;
export type ToyDatasetName = (typeof TOY_DATASETS)[number];

export const TOY_LABELS: Record<ToyDatasetName, string> = {
  xor: 'XOR',
  circles: 'Circles',
  moons: 'Two moons',
  spirals: 'Spirals',
  blobs: 'Gaussian blobs',
};

export interface ToyOptions {
  dataset: ToyDatasetName;
  /** Points in total, before the split. */
  samples: number;
  /** 0..0.5: standard deviation of the Gaussian noise, relative to the plot's half-width. */
  noise: number;
  /** Fraction of the points used for training; the rest is the test split. */
  trainFraction: number;
  seed: number;
}

/** The plot shows [-EXTENT, EXTENT]^2. */
export const EXTENT = 6;

/** Uniform numbers in [0, 1) from core's Generator, drawn a block at a time. */
function uniformStream(seed: number): () => number {
  const generator = new Generator(seed);
  let block: Float64Array = new Float64Array(0);
  let next = 0;
  return () => {
    if (next === block.length) {
      block = generator.uniform(256);
      next = 0;
    }
    return block[next++]!;
  };
}

function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

type Point = [number, number, number];

/** One noiseless point of class 0 or 1 (balanced); noise is added afterwards. */
function samplePoint(dataset: ToyDatasetName, random: () => number, index: number, count: number): Point {
  const label = index % 2;
  switch (dataset) {
    case 'xor': {
      // Quadrants, kept 0.3 away from the axes like the TensorFlow Playground's XOR.
      const pad = (v: number): number => (v > 0 ? v + 0.3 : v - 0.3);
      let x = (random() * 2 - 1) * (EXTENT - 1);
      let y = (random() * 2 - 1) * (EXTENT - 1);
      if ((x * y > 0 ? 1 : 0) !== label) y = -y;
      x = pad(x);
      y = pad(y);
      return [x, y, label];
    }
    case 'circles': {
      const radius = label === 1 ? random() * 2.2 : 3.2 + random() * 1.8;
      const angle = random() * 2 * Math.PI;
      return [radius * Math.cos(angle), radius * Math.sin(angle), label];
    }
    case 'moons': {
      const t = random() * Math.PI;
      const [x, y] = label === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
      return [(x - 0.5) * 3.2, (y - 0.25) * 3.2, label];
    }
    case 'spirals': {
      // Two arms of 1.75 turns each, the second rotated by half a turn.
      const along = Math.floor(index / 2) / Math.max(1, Math.floor(count / 2));
      const r = along * 5 + 0.2;
      const t = 1.75 * along * 2 * Math.PI + label * Math.PI;
      return [r * Math.sin(t), r * Math.cos(t), label];
    }
    case 'blobs': {
      const centre = label === 1 ? [2, 2] : [-2, -2];
      return [centre[0]! + gaussian(random) * 1.2, centre[1]! + gaussian(random) * 1.2, label];
    }
  }
}

/** Points with labels 0/1, shuffled and split into train and test. */
export function makeToyData(options: ToyOptions): ToyData {
  const random = uniformStream(options.seed * 7919 + TOY_DATASETS.indexOf(options.dataset));
  const points: Point[] = [];
  for (let i = 0; i < options.samples; i++) {
    const [x, y, label] = samplePoint(options.dataset, random, i, options.samples);
    const sigma = options.noise * EXTENT;
    points.push([clamp(x + gaussian(random) * sigma), clamp(y + gaussian(random) * sigma), label]);
  }
  for (let i = points.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [points[i], points[j]] = [points[j]!, points[i]!];
  }
  const trainCount = Math.max(2, Math.min(points.length - 1, Math.round(points.length * options.trainFraction)));
  const pack = (subset: Point[]): { x: Float32Array; y: Float32Array } => ({
    x: Float32Array.from(subset.flatMap(([a, b]) => [a, b])),
    y: Float32Array.from(subset.map(([, , label]) => label)),
  });
  const train = pack(points.slice(0, trainCount));
  const test = pack(points.slice(trainCount));
  return { trainX: train.x, trainY: train.y, testX: test.x, testY: test.y, extent: EXTENT };
}

function clamp(v: number): number {
  return Math.max(-EXTENT + 0.05, Math.min(EXTENT - 0.05, v));
}
