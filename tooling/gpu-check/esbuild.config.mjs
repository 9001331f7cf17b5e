// `pnpm --filter @myelin/gpu-check build`: the bundles the GPU machine runs with the carried Node
// binary (ESM, platform node, target node20), written to dist/:
//   conformance.mjs  the standalone conformance runner, `vitest` aliased to src/vitest-shim.ts
//   bench.mjs        the GPU benchmark (Myelin fit vs PyTorch on cuda, vs tfjs-layers on webgpu)
//   torch-gpu.py     copied beside bench.mjs, which runs it with python3
//   prepare.mjs      assembles .gpu-check/ (run by `pnpm gpu-check:prepare`, here only)
//   cli/, configs/   the `myelin` CLI (below)
// Native addons cannot be bundled: `*.node` files and the `webgpu` package (Dawn) stay external
// and are carried beside the bundles (see src/assemble.ts for the layout they resolve against).
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// dist/cli/: the `myelin` CLI for `myelin train --backend cuda` there. The CLI finds backends as
// installed packages (node_modules/@myelin/backend-*, imported by name), so the backends it may
// use are entry points of the same build, written as packages under dist/cli/node_modules, and
// code splitting puts what they share with the CLI (core above all) in chunks that all of them
// import: one core, as in an installed CLI. Layout, as the CLI's sources read files beside them:
// dist/cli/package.json (its version), dist/configs/ (its presets, apps/cli/configs).
const CLI_BACKENDS = ['backend-cuda', 'backend-cpu-reference'];
rmSync(here('dist/cli'), { recursive: true, force: true });
await build({
  absWorkingDir: here('.'),
  entryPoints: {
    'dist/bin': '../../apps/cli/src/bin.ts',
    'node_modules/@myelin/backend-cuda/index': '../../packages/backend-cuda/dist/index.js',
    'node_modules/@myelin/backend-cpu-reference/index': '../../packages/backend-cpu-reference/dist/index.js',
  },
  outdir: 'dist/cli',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['*.node', 'webgpu', 'sharp'],
  banner: {
    js: "import { createRequire as __gpuCheckRequire } from 'node:module'; const require = __gpuCheckRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
const cli = JSON.parse(readFileSync(here('../../apps/cli/package.json'), 'utf8'));
writeFileSync(
  here('dist/cli/package.json'),
  `${JSON.stringify({ name: cli.name, version: cli.version, type: 'module' })}\n`,
);
for (const backend of CLI_BACKENDS) {
  const own = JSON.parse(readFileSync(here(`../../packages/${backend}/package.json`), 'utf8'));
  writeFileSync(
    here(`dist/cli/node_modules/@myelin/${backend}/package.json`),
    `${JSON.stringify({ name: own.name, version: own.version, type: 'module', exports: './index.mjs' })}\n`,
  );
}
// `myelin info` prints the versions of @myelin/core and @myelin/data, found by resolving them as
// installed packages; they are bundled into the chunks, so each gets a manifest and an empty
// entry that only resolution reads (without them the check printed "Myelin ?").
for (const name of ['core', 'data']) {
  const own = JSON.parse(readFileSync(here(`../../packages/${name}/package.json`), 'utf8'));
  mkdirSync(here(`dist/cli/node_modules/@myelin/${name}`), { recursive: true });
  writeFileSync(
    here(`dist/cli/node_modules/@myelin/${name}/package.json`),
    `${JSON.stringify({ name: own.name, version: own.version, type: 'module', exports: './index.mjs' })}\n`,
  );
  writeFileSync(
    here(`dist/cli/node_modules/@myelin/${name}/index.mjs`),
    '// Bundled into the CLI: this package is here for its version only.\nexport {};\n',
  );
}
cpSync(here('../../apps/cli/configs'), here('dist/configs'), { recursive: true });
