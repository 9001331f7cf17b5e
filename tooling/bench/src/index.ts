// pnpm bench: Myelin's speed as ratios against TensorFlow.js measured in the same run.
// Medians of repeated runs; single-threaded on both sides (tfjs-backend-cpu is single-threaded).
// The union package: tfjs-core with its gradients registered, tfjs-backend-cpu and tfjs-layers.
import * as tf from '@tensorflow/tfjs';
import '@myelin/backend-cpu-reference';
import { benchMatmul } from './matmul.js';
import { benchMlp } from './mlp.js';
import { benchFitApi } from './fit-api.js';
import { benchLoader } from './loader.js';

const quick = process.argv.includes('--quick');
await tf.setBackend('cpu');
await tf.ready();

console.log('Myelin benchmark (anchor: TensorFlow.js 4.22 tfjs-backend-cpu, same process, medians)');
console.log(`node ${process.version}, ${process.arch}`);
console.log('');
console.log('matmul, float32, square        cpu-reference    tfjs-cpu   ratio');
for (const row of await benchMatmul(tf, quick ? [128, 256] : [128, 256, 512, 1024])) {
  console.log(
    `  ${String(row.size).padStart(4)} x ${String(row.size).padEnd(4)}              ${row.myelinGflops.toFixed(2).padStart(6)} GFLOP/s ${row.tfjsGflops.toFixed(2).padStart(6)} GFLOP/s  ${(row.myelinGflops / row.tfjsGflops).toFixed(2)}x`,
  );
}
console.log('');
const steps = quick ? 10 : 60;
const mlp = await benchMlp(tf, steps, quick ? 2 : 5);
console.log(`MLP 784-128-10 ReLU, softmax cross-entropy, batch 64, SGD (${steps} steps per run)`);
console.log(
  `  Myelin core ops on cpu-reference   ${mlp.myelinStepsPerSecond.toFixed(1).padStart(7)} steps/s  ${(mlp.myelinStepsPerSecond * 64).toFixed(0).padStart(6)} samples/s`,
);
console.log(
  `  tfjs-layers model.fit on tfjs-cpu  ${mlp.tfjsStepsPerSecond.toFixed(1).padStart(7)} steps/s  ${(mlp.tfjsStepsPerSecond * 64).toFixed(0).padStart(6)} samples/s`,
);
console.log(`  ratio                              ${(mlp.myelinStepsPerSecond / mlp.tfjsStepsPerSecond).toFixed(2)}x`);
console.log('');
const api = await benchFitApi(steps, quick ? 2 : 5);
console.log(`Training API cost: 784-128-10 MLP, batch 64, Adam lr 1e-3, cpu-reference (${steps} steps per run)`);
console.log(
  `  plain core ops + hand-written Adam   ${api.plainStepsPerSecond.toFixed(1).padStart(7)} steps/s  ${(api.plainStepsPerSecond * 64).toFixed(0).padStart(6)} samples/s`,
);
console.log(
  `  fit, Adam({ fused: false })          ${api.fitComposedStepsPerSecond.toFixed(1).padStart(7)} steps/s  ${(api.fitComposedStepsPerSecond * 64).toFixed(0).padStart(6)} samples/s  (same arithmetic as plain)`,
);
console.log(
  `  fit, Adam (fused kernel)             ${api.fitStepsPerSecond.toFixed(1).padStart(7)} steps/s  ${(api.fitStepsPerSecond * 64).toFixed(0).padStart(6)} samples/s`,
);
console.log(
  `  API cost: fit (composed) / plain     ${(api.fitComposedStepsPerSecond / api.plainStepsPerSecond).toFixed(2)}x (target >= 0.90)`,
);
console.log(`  fit (fused) / plain                  ${(api.fitStepsPerSecond / api.plainStepsPerSecond).toFixed(2)}x`);
console.log('');
const loader = await benchLoader(quick ? 1 : 3);
const trainingSamplesPerSecond = api.fitStepsPerSecond * 64;
console.log(`DataLoader: ${loader.samples} ${loader.source} 28x28 samples, shuffled, batch 64, toFloat + flatten`);
console.log(
  `  loader      ${Math.round(loader.samplesPerSecond).toString().padStart(9)} samples/s  (epoch ${loader.epochSeconds.toFixed(3)} s; ${Math.round(loader.rawSamplesPerSecond)} samples/s without transforms)`,
);
console.log(
  `  training    ${Math.round(trainingSamplesPerSecond).toString().padStart(9)} samples/s  (fit, Adam, cpu-reference)`,
);
console.log(
  `  loader time / training time per epoch: ${((trainingSamplesPerSecond / loader.samplesPerSecond) * 100).toFixed(1)}% (target < 10%)`,
);
