// pnpm example:transformer [--steps N] [--batch N] [--seed S]
// Teaches torch.nn.Transformer's encoder-decoder (dModel 32, 4 heads, 2 + 2 layers) to reverse
// sequences of 6 random digits, with teacher forcing and a causal target mask, then decodes 200
// held-out sequences greedily, one digit at a time. With the defaults (200 steps of 64 sequences,
// seed 0, on cpu-reference) the loss falls from 1.42 (steps 1-50) to 0.007 (steps 151-200) and
// all 200 held-out sequences come out reversed exactly, in about 30 s; chance is 1 in 10^6.
import { parseArgs } from 'node:util';
import { LENGTH, learnReversal } from './transformer-experiment.js';

// pnpm forwards a literal '--' before the script's own arguments; drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
const { values } = parseArgs({
  args,
  options: {
    steps: { type: 'string', default: '200' },
    batch: { type: 'string', default: '64' },
    seed: { type: 'string', default: '0' },
  },
});
const [steps, batch, seed] = [Number(values.steps), Number(values.batch), Number(values.seed)];
if (![steps, batch].every((n) => Number.isInteger(n) && n >= 1) || !Number.isInteger(seed) || seed < 0) {
  console.error(
    `expected --steps >= 1, --batch >= 1 and --seed >= 0 as integers, got --steps ${values.steps} --batch ${values.batch} --seed ${values.seed}`,
  );
  process.exit(2);
}
console.log(
  `reverse ${LENGTH} random digits: Transformer(dModel 32, 4 heads, 2 + 2 layers), Adam lr 0.002, ${steps} steps of ${batch} sequences, seed ${seed}`,
);
const started = performance.now();
const result = await learnReversal({ steps, batch, seed });
result.losses.forEach((loss, i) =>
  console.log(`steps ${i * 50 + 1}-${Math.min((i + 1) * 50, steps)}: loss ${loss.toFixed(4)}`),
);
console.log(
  `held-out, greedy decoding: ${(result.sequenceAccuracy * 100).toFixed(1)}% of 200 sequences reversed exactly, ${(result.tokenAccuracy * 100).toFixed(1)}% of digits right (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
