import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../config/load.js';
import { modelConfigFor } from './components.js';

const config = (flags: Record<string, string>) =>
  resolveConfig({ flags: new Map(Object.entries(flags)), cwd: process.cwd() }).config;
const layers = (flags: Record<string, string>, data = { sampleShape: [2], outputs: 1 }) =>
  (modelConfigFor(config(flags), data).modules as { type: string }[]).map((m) => m.type);

describe('the MLP of a run config (core mlpConfig)', () => {
  it("lays out core's activations, 'linear' included, and flattens image samples", () => {
    expect(layers({ hidden: '4', activation: 'elu', loss: 'MSELoss' })).toEqual(['Linear', 'ELU', 'Linear']);
    expect(layers({ hidden: '4', activation: 'linear', loss: 'MSELoss' })).toEqual(['Linear', 'Linear']);
    expect(layers({ hidden: '4' }, { sampleShape: [1, 8, 8], outputs: 10 })).toEqual([
      'Flatten',
      'Linear',
      'ReLU',
      'Linear',
    ]);
  });

  it('ends in a sigmoid for a binary loss on probabilities only, whatever the case of its name', () => {
    expect(layers({ hidden: 'none', loss: 'BCELoss' })).toEqual(['Linear', 'Sigmoid']);
    expect(layers({ hidden: 'none', loss: 'bceloss' })).toEqual(['Linear', 'Sigmoid']);
    expect(layers({ hidden: 'none', loss: 'BCEWithLogitsLoss' })).toEqual(['Linear']);
  });
});
