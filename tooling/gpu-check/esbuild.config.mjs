// `pnpm --filter @myelin/gpu-check build`: the bundles the GPU machine runs with the carried Node
// binary (ESM, platform node, target node20), written to dist/:
//   conformance.mjs  the standalone conformance runner, `vitest` aliased to src/vitest-shim.ts
//   bench.mjs        the GPU benchmark (Myelin fit vs PyTorch on cuda, vs tfjs-layers on webgpu)
//   torch-gpu.py     copied beside bench.mjs, which runs it with python3
//   prepare.mjs      assembles .gpu-check/ (run by `pnpm gpu-check:prepare`, here only)
// Native addons cannot be bundled: `*.node` files and the `webgpu` package (Dawn) stay external
// and are carried beside the bundles (see src/prepare.ts for the layout they resolve against).
import { copyFileSync } from 'node:fs';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const here = (relative) => fileURLToPath(new URL(relative, import.meta.url));

await build({
  absWorkingDir: here('.'),
  entryPoints: {
    conformance: 'src/conformance-runner.ts',
    bench: 'src/bench.ts',
    prepare: 'src/prepare.ts',
  },
  outdir: 'dist',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  alias: { vitest: here('src/vitest-shim.ts') },
  external: ['*.node', 'webgpu'],
  // Bundled CommonJS (tfjs) calls require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __gpuCheckRequire } from 'node:module'; const require = __gpuCheckRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
copyFileSync(here('src/torch-gpu.py'), here('dist/torch-gpu.py'));
