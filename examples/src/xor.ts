// pnpm example:xor [--seed N] [--hidden H] [--epochs E] [--lr LR] [--seeds K]
// Trains the XOR network of REFERENCE-EXPERIMENTS section 1 on cpu-reference with plain
// tensors and a hand-written SGD step, printing the cost every 100 epochs.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readXorFile, trainXor } from './xor-experiment.js';

// pnpm forwards a literal '--' before the script's own arguments; drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
const { values } = parseArgs({
  args,
  options: {
    seed: { type: 'string', default: '0' },
    hidden: { type: 'string', default: '2' },
    epochs: { type: 'string', default: '1001' },
    lr: { type: 'string', default: '1' },
    seeds: { type: 'string', default: '10' },
    data: { type: 'string', default: fileURLToPath(new URL('../data/xor.txt', import.meta.url)) },
  },
});

function integerOption(name: string, text: string, minimum: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) {
    console.error(`--${name}: expected an integer >= ${minimum}, got '${text}'`);
    process.exit(2);
  }
  return value;
}

const seed = integerOption('seed', values.seed, 0);
const hidden = integerOption('hidden', values.hidden, 0);
const epochs = integerOption('epochs', values.epochs, 1);
const seeds = integerOption('seeds', values.seeds, 0);
const learningRate = Number(values.lr);
if (!(learningRate > 0)) {
  console.error(`--lr: expected a positive number, got '${values.lr}'`);
  process.exit(2);
}

const data = readXorFile(values.data);
const architecture =
  hidden > 0 ? `Linear(2,${hidden}) -> Sigmoid -> Linear(${hidden},1) -> Sigmoid` : 'Linear(2,1) -> Sigmoid';
console.log(
  `XOR: ${architecture}, BCE, SGD lr ${learningRate}, full batch, ${epochs} epochs, seed ${seed}, backend cpu-reference`,
);
const result = await trainXor(data, {
  seed,
  hidden,
  epochs,
  learningRate,
  onLog: (epoch, cost) => console.log(`epoch ${String(epoch).padStart(5)}  cost ${cost.toFixed(4)}`),
});
console.log(`predictions ${JSON.stringify(result.predictions)} for targets ${JSON.stringify(data.targets)}`);
console.log(`accuracy ${result.accuracy.toFixed(2)}  final cost ${result.finalCost.toFixed(4)}`);

if (seeds > 0) {
  // The lesson includes the seed dependence: report how many seeds solve XOR in this budget.
  let solved = 0;
  for (let s = 0; s < seeds; s++) {
    const run = await trainXor(data, { seed: s, hidden, epochs, learningRate });
    if (run.accuracy === 1) solved++;
  }
  console.log(`over seeds 0..${seeds - 1}: ${solved} of ${seeds} reach accuracy 1.00 in ${epochs} epochs`);
}
