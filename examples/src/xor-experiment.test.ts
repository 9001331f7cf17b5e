import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readXorFile, trainXor } from './xor-experiment.js';

const data = readXorFile(fileURLToPath(new URL('../data/xor.txt', import.meta.url)));

describe('XOR (REFERENCE-EXPERIMENTS section 1)', () => {
  it('reads the four rows of the text file', () => {
    expect(data.inputs).toEqual([
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]);
    expect(data.targets).toEqual([0, 1, 1, 0]);
  });

  it('a single-layer perceptron cannot solve it: the cost stays near ln 2', async () => {
    const result = await trainXor(data, { seed: 0, hidden: 0, epochs: 2000, learningRate: 1 });
    expect(result.finalCost).toBeGreaterThan(0.69);
    expect(result.accuracy).toBeLessThan(1);
  });

  it('a wide hidden layer (10) solves it within 1001 epochs', async () => {
    const result = await trainXor(data, { seed: 0, hidden: 10, epochs: 1001, learningRate: 1 });
    expect(result.accuracy).toBe(1);
    expect(result.finalCost).toBeLessThan(0.1);
  });

  it('the 2-2-1 network starts near ln 2 and solves it for some seeds', async () => {
    const runs = [];
    for (let seed = 0; seed < 10; seed++)
      runs.push(await trainXor(data, { seed, hidden: 2, epochs: 1001, learningRate: 1 }));
    for (const run of runs) expect(run.costs[0]!.cost).toBeGreaterThan(0.6);
    expect(runs.some((run) => run.accuracy === 1)).toBe(true);
  });
});
