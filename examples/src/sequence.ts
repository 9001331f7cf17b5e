// pnpm example:sequence [--epochs N] [--train N] [--seed S] [--variable-lengths]
// Tells noisy sine waves from noisy square waves with an LSTM: LSTM(1,16) -> last step ->
// Linear(16,2), trained with fit. With the defaults (30 epochs on 1024 waves, seed 0, on
// cpu-reference) the training loss falls from 0.67 to 0.03 and it classifies 97.6% of 500
// held-out waves right (seeds 1 and 2: 98.4%, 97.8%) in about 13 s; chance is 50%.
// --variable-lengths: waves of 8 to 24 steps, zero-padded and packed (packPaddedSequence), so the
// LSTM runs each over its own steps and SelectTimeStep(-1) reads its own last one; trained in a
// plain loop. Seeds 0 and 1: held-out accuracy 84.0% and 97.0% (loss 0.69 -> 0.11 and 0.05).
import { parseArgs } from 'node:util';
import { SEQUENCE_LENGTH, SHORTEST, classifyWaves } from './sequence-experiment.js';

// pnpm forwards a literal '--' before the script's own arguments; drop it.
const args = process.argv.slice(2).filter((arg, i) => !(i === 0 && arg === '--'));
const { values } = parseArgs({
  args,
  options: {
    epochs: { type: 'string', default: '30' },
    train: { type: 'string', default: '1024' },
    seed: { type: 'string', default: '0' },
    'variable-lengths': { type: 'boolean', default: false },
  },
});
const [epochs, train, seed] = [Number(values.epochs), Number(values.train), Number(values.seed)];
if (![epochs, train].every((n) => Number.isInteger(n) && n >= 1) || !Number.isInteger(seed) || seed < 0) {
  console.error(
    `expected --epochs >= 1, --train >= 1 and --seed >= 0 as integers, got --epochs ${values.epochs} --train ${values.train} --seed ${values.seed}`,
  );
  process.exit(2);
}
const variableLengths = values['variable-lengths'];
const steps = variableLengths ? `${SHORTEST} to ${SEQUENCE_LENGTH} steps (packed)` : `${SEQUENCE_LENGTH} steps`;
console.log(
  `sine vs square, ${steps} with noise: LSTM(1,16) -> last step -> Linear(16,2), Adam lr 0.01, ${epochs} epochs of ${train} waves, seed ${seed}`,
);
const started = performance.now();
const result = await classifyWaves({ epochs, train, seed, variableLengths });
result.losses.forEach((loss, epoch) => console.log(`epoch ${epoch + 1}: loss ${loss.toFixed(4)}`));
console.log(
  `held-out accuracy: ${(result.testAccuracy * 100).toFixed(1)}% of 500 waves (${((performance.now() - started) / 1000).toFixed(1)} s)`,
);
