// pnpm example:function-approximation [--steps N] [--seed S] [--out plot.svg]
// REFERENCE-EXPERIMENTS section 3: fit y = x^3 + x^2 - x - 1 from single random samples,
// then plot prediction vs truth on [-7, 7] to an SVG file.
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { renderChartSvg } from '@myelin/plot';
import { approximateCubic } from './function-approximation-experiment.js';

// pnpm forwards a literal '--' before the script's own arguments; drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
const { values } = parseArgs({
  args,
  options: {
    steps: { type: 'string', default: '10000' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'function-approximation.svg' },
  },
});
const steps = Number(values.steps);
const seed = Number(values.seed);
if (!Number.isInteger(steps) || steps < 1 || !Number.isInteger(seed) || seed < 0) {
  console.error(`expected --steps >= 1 and --seed >= 0 as integers, got --steps ${values.steps} --seed ${values.seed}`);
  process.exit(2);
}
console.log(
  `Linear(1,6) -> ReLU -> Linear(6,1), MSE, Adam lr 0.01, ${steps} steps of one sample x ~ U[-5,5], seed ${seed}`,
);
const result = await approximateCubic({ steps, seed });
console.log(
  `mean squared error: |x| <= 2: ${result.error.middle.toFixed(2)}   2 < |x| <= 5: ${result.error.edges.toFixed(2)}   5 < |x| <= 7: ${result.error.outside.toFixed(2)}`,
);
const svg = await renderChartSvg({
  title: 'y = x³ + x² − x − 1: prediction vs truth (trained on [-5, 5])',
  xLabel: 'x',
  yLabel: 'y',
  series: [
    { name: 'truth', x: result.grid, y: result.truth },
    { name: 'prediction', x: result.grid, y: result.prediction },
  ],
});
await writeFile(values.out, svg);
console.log(`plot written to ${values.out}`);
