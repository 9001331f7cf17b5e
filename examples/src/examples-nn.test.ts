import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { approximateCubic } from './function-approximation-experiment.js';
import { classifyWaves } from './sequence-experiment.js';
import { learnReversal } from './transformer-experiment.js';
import { readXorFile } from './xor-experiment.js';
import { xorSeedTable } from './xor-nn-experiment.js';

const data = readXorFile(fileURLToPath(new URL('../data/xor.txt', import.meta.url)));

describe('XOR with the nn API and fit', () => {
  it('the wide network solves XOR and the single layer stays at ln 2', async () => {
    const [wide] = await xorSeedTable(data, { hidden: 10, epochs: 1001, seeds: [0] });
    expect(wide!.accuracy).toBe(1);
    const [single] = await xorSeedTable(data, { hidden: 0, epochs: 1500, seeds: [0] });
    expect(single!.finalCost).toBeGreaterThan(0.69);
  });

  it('the 2-2-1 network solves it for some of 10 seeds', async () => {
    const rows = await xorSeedTable(data, { hidden: 2, epochs: 1001, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(rows.some((r) => r.accuracy === 1)).toBe(true);
    for (const row of rows) expect(row.finalCost).toBeLessThanOrEqual(row.firstCost + 1e-6);
  });
});

describe('function approximation (section 3)', () => {
  it('fits the middle of the sampled range better than its edges and outside it', async () => {
    const result = await approximateCubic({ steps: 4000, seed: 0 });
    expect(result.error.middle).toBeLessThan(result.error.edges);
    expect(result.error.edges).toBeLessThan(result.error.outside);
  });
});

describe('sequence classification with an LSTM (pnpm example:sequence)', () => {
  it('learns to tell noisy sine waves from square waves', async () => {
    // A shorter run than the example's (15 epochs on 512 waves instead of 30 on 1024).
    const result = await classifyWaves({ epochs: 15, train: 512, seed: 0 });
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! * 0.6);
    expect(result.testAccuracy).toBeGreaterThan(0.8); // chance: 0.5
  });

  it('learns it from waves of 8 to 24 steps, packed (pnpm example:sequence --variable-lengths)', async () => {
    const result = await classifyWaves({ epochs: 15, train: 512, seed: 0, variableLengths: true });
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! * 0.6);
    expect(result.testAccuracy).toBeGreaterThan(0.8); // chance: 0.5
  });
});

describe('sequence to sequence with a Transformer (pnpm example:transformer)', () => {
  it('learns to reverse digit sequences and decodes held-out ones greedily', async () => {
    // A shorter run than the example's (60 steps of 32 sequences instead of 200 of 64).
    const result = await learnReversal({ steps: 60, batch: 32, seed: 0 });
    expect(result.losses.at(-1)!).toBeLessThan(result.losses[0]! * 0.5);
    expect(result.sequenceAccuracy).toBeGreaterThan(0.9); // chance: 1e-6
  });
});
