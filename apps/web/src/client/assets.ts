// Files the worker fetches, emitted by Vite with hashed names: the tfjs .wasm builds (only
// fetched when the WebAssembly backend starts) and the bundled digits CSV (57 KB gzipped).
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import digits from '@myelin/data/digits.csv.gz?url';
import type { AssetUrls } from '../worker/protocol.js';

/** Absolute URLs: the worker resolves relative ones against its own script's URL. */
export function assetUrls(): AssetUrls {
  const absolute = (url: string): string => new URL(url, document.baseURI).href;
  return {
    wasm: {
      'tfjs-backend-wasm.wasm': absolute(wasmPlain),
      'tfjs-backend-wasm-simd.wasm': absolute(wasmSimd),
      'tfjs-backend-wasm-threaded-simd.wasm': absolute(wasmThreadedSimd),
    },
    digits: absolute(digits),
  };
}
