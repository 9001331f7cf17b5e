// backend-tfjs over @tensorflow/tfjs-backend-cpu runs the whole shared suite: this proves the
// contract maps onto TensorFlow.js before the WebGPU, WASM and CUDA packages build on it.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { runConformanceSuite } from '@myelin/conformance';
import { createTfjsBackend } from './index.js';

runConformanceSuite({
  name: 'backend-tfjs (tfjs-backend-cpu)',
  createBackend: async () => {
    await tf.setBackend('cpu');
    return createTfjsBackend(tf, { name: 'tfjs-cpu' });
  },
});
