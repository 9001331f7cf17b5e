// pnpm example:xor-nn — the XOR family of REFERENCE-EXPERIMENTS section 1 with the nn / optim
// API and fit: the 2-2-1 network, the single-layer perceptron and the wide (10) network, each
// over seeds 0..9, as a table of final cost and accuracy.
import { fileURLToPath } from 'node:url';
import { readXorFile } from './xor-experiment.js';
import { xorSeedTable } from './xor-nn-experiment.js';

const data = readXorFile(fileURLToPath(new URL('../data/xor.txt', import.meta.url)));
const seeds = Array.from({ length: 10 }, (_, i) => i);
const variants = [
  { label: '2-2-1 sigmoid', hidden: 2, epochs: 1001 },
  { label: 'single layer 2-1', hidden: 0, epochs: 10000 },
  { label: '2-10-1 sigmoid (wide)', hidden: 10, epochs: 1001 },
];
console.log('XOR with Sequential + BCELoss + SGD(lr 1) + fit, full batch, cpu-reference');
for (const variant of variants) {
  const rows = await xorSeedTable(data, { hidden: variant.hidden, epochs: variant.epochs, seeds });
  const solved = rows.filter((r) => r.accuracy === 1).length;
  console.log(`\n${variant.label}, ${variant.epochs} epochs: ${solved} of ${seeds.length} seeds reach accuracy 1.00`);
  console.log('  seed  cost@0   cost@end  accuracy');
  for (const row of rows) {
    console.log(
      `  ${String(row.seed).padStart(4)}  ${row.firstCost.toFixed(4)}   ${row.finalCost.toFixed(4)}    ${row.accuracy.toFixed(2)}`,
    );
  }
}
