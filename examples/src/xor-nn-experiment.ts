import { BCELoss, Generator, Linear, SGD, Sequential, Sigmoid, fit, noGrad, tensor, type Module } from '@myelin/core';
import '@myelin/backend-cpu-reference';

/** Linear(2,H) -> Sigmoid -> Linear(H,1) -> Sigmoid, or Linear(2,1) -> Sigmoid for H = 0. */
export function xorModel(hidden: number, seed: number): Module {
  const generator = new Generator(seed);
  return hidden > 0
    ? new Sequential(
        new Linear(2, hidden, { generator }),
        new Sigmoid(),
        new Linear(hidden, 1, { generator }),
        new Sigmoid(),
      )
    : new Sequential(new Linear(2, 1, { generator }), new Sigmoid());
}

export interface XorRow {
  seed: number;
  firstCost: number;
  finalCost: number;
  accuracy: number;
}

/** Trains one XOR network per seed with fit (full batch, BCE, SGD lr 1) and reports each. */
export async function xorSeedTable(
  data: { inputs: number[][]; targets: number[] },
  options: { hidden: number; epochs: number; seeds: readonly number[] },
): Promise<XorRow[]> {
  const x = tensor(data.inputs);
  const y = tensor(data.targets.map((t) => [t]));
  const rows: XorRow[] = [];
  for (const seed of options.seeds) {
    const model = xorModel(options.hidden, seed);
    const optimizer = new SGD(model.parameters(), { lr: 1 });
    const history = await fit(model, {
      train: [{ x, y }],
      loss: new BCELoss(),
      optimizer,
      epochs: options.epochs,
      metrics: ['accuracy'],
    });
    const predictions = noGrad(() => model.eval().forward(x));
    const values = await predictions.data();
    const accuracy = data.targets.filter((t, i) => (values[i]! > 0.5 ? 1 : 0) === t).length / data.targets.length;
    rows.push({ seed, firstCost: history.series('loss')[0]!, finalCost: history.series('loss').at(-1)!, accuracy });
    predictions.dispose();
    optimizer.dispose();
    model.dispose();
  }
  x.dispose();
  y.dispose();
  return rows;
}
