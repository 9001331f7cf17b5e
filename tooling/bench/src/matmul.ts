import { Generator, fromHost, noGrad, type Tensor } from '@myelin/core';
import type * as Tf from '@tensorflow/tfjs';
import { medianSeconds } from './timing.js';

export interface MatmulRow {
  size: number;
  myelinGflops: number;
  tfjsGflops: number;
}

/** Square float32 matmul GFLOP/s: Myelin cpu-reference vs tf.matMul on tfjs-backend-cpu. */
export async function benchMatmul(tf: typeof Tf, sizes: readonly number[]): Promise<MatmulRow[]> {
  const rows: MatmulRow[] = [];
  for (const n of sizes) {
    const generator = new Generator(n);
    const a = generator.uniform(n * n, -1, 1);
    const b = generator.uniform(n * n, -1, 1);
    const runs = n >= 1024 ? 3 : n >= 512 ? 5 : 15;
    const flops = 2 * n * n * n;

    const ma = fromHost(a, [n, n], { dtype: 'float32' });
    const mb = fromHost(b, [n, n], { dtype: 'float32' });
    const myelinSeconds = await medianSeconds(async () => {
      const c: Tensor = noGrad(() => ma.matmul(mb));
      await c.data();
      c.dispose();
    }, runs);
    ma.dispose();
    mb.dispose();

    const ta = tf.tensor2d(Float32Array.from(a), [n, n]);
    const tb = tf.tensor2d(Float32Array.from(b), [n, n]);
    const tfjsSeconds = await medianSeconds(async () => {
      const c = tf.matMul(ta, tb);
      await c.data();
      c.dispose();
    }, runs);
    ta.dispose();
    tb.dispose();

    rows.push({ size: n, myelinGflops: flops / myelinSeconds / 1e9, tfjsGflops: flops / tfjsSeconds / 1e9 });
  }
  return rows;
}
