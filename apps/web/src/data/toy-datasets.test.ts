import { describe, expect, it } from 'vitest';
import { TOY_DATASETS, makeToyData, EXTENT } from './toy-datasets.js';

describe('makeToyData', () => {
  it.each(TOY_DATASETS)(
    '%s: balanced 0/1 labels inside the plot, split as asked, the same for the same seed',
    (dataset) => {
      const options = { dataset, samples: 400, noise: 0.1, trainFraction: 0.7, seed: 3 };
      const data = makeToyData(options);
      expect(data.trainY.length).toBe(280);
      expect(data.testY.length).toBe(120);
      expect(data.trainX.length).toBe(560);
      const labels = [...data.trainY, ...data.testY];
      expect(labels.filter((l) => l === 1).length).toBe(200);
      for (const v of [...data.trainX, ...data.testX]) expect(Math.abs(v)).toBeLessThan(EXTENT);
      expect(makeToyData(options)).toEqual(data);
      expect(makeToyData({ ...options, seed: 4 })).not.toEqual(data);
    },
  );

  it('XOR without noise: the label is the sign of x1 * x2, and no point lies near an axis', () => {
    const data = makeToyData({ dataset: 'xor', samples: 200, noise: 0, trainFraction: 0.5, seed: 1 });
    for (let i = 0; i < data.trainY.length; i++) {
      const [x, y] = [data.trainX[2 * i]!, data.trainX[2 * i + 1]!];
      expect(data.trainY[i]).toBe(x * y > 0 ? 1 : 0);
      expect(Math.min(Math.abs(x), Math.abs(y))).toBeGreaterThanOrEqual(0.3 - 1e-6);
    }
  });
});
