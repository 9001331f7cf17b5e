// WebGPU in Node through the `webgpu` npm package (Dawn). Without a GPU, Dawn runs on Mesa:
// its OpenGL ES backend over Mesa's software GL, or Vulkan over lavapipe (Mesa >= 25; Debian
// 12's Mesa 22.3 lavapipe is rejected by Dawn). A real GPU shows up as a Vulkan adapter.
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { AcquiredAdapter, AdapterAttempt } from './adapter.js';
import { WebGpuUnavailableError } from './errors.js';

/** Which Dawn backend to use in Node; 'auto' tries each in AUTO_ORDER. */
export type NodeAdapterChoice = 'auto' | 'vulkan' | 'opengles' | 'swiftshader';
export const NODE_ADAPTER_CHOICES: readonly NodeAdapterChoice[] = ['auto', 'vulkan', 'opengles', 'swiftshader'];

/**
 * A hardware Vulkan adapter first; then Mesa's software GL (llvmpipe), measured faster here than
 * lavapipe for tfjs's kernels; then lavapipe. SwiftShader only when asked: its sin/cos are imprecise.
 */
const AUTO_ORDER: readonly Exclude<NodeAdapterChoice, 'auto'>[] = ['vulkan', 'opengles'];

/** Chromium's SwiftShader Vulkan driver, as Debian's chromium package installs it. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let dawnModule: Promise<DawnModule> | null = null;

function loadDawn(): Promise<DawnModule> {
  dawnModule ??= import('webgpu') as Promise<DawnModule>;
  return dawnModule;
}

/** Reads MYELIN_WEBGPU_ADAPTER, so a CLI run or a test can force a choice without code. */
export function adapterChoiceFromEnv(): NodeAdapterChoice {
  const value = (process.env.MYELIN_WEBGPU_ADAPTER ?? 'auto').trim().toLowerCase();
  if ((NODE_ADAPTER_CHOICES as readonly string[]).includes(value)) return value as NodeAdapterChoice;
  throw new WebGpuUnavailableError(
    [
      {
        source: 'vulkan',
        ok: false,
        detail: `MYELIN_WEBGPU_ADAPTER='${value}' is not one of ${NODE_ADAPTER_CHOICES.join(', ')}`,
      },
    ],
    [`set MYELIN_WEBGPU_ADAPTER to one of ${NODE_ADAPTER_CHOICES.join(', ')}, or unset it`],
  );
}

/**
 * Creates a Dawn instance and adapter for `choice` ('auto': the first that works in AUTO_ORDER,
 * but a hardware adapter beats a software one). Throws WebGpuUnavailableError listing each try.
 */
export async function acquireNodeAdapter(choice: NodeAdapterChoice): Promise<AcquiredAdapter> {
  const attempts: AdapterAttempt[] = [];
  let dawn: DawnModule;
  try {
    dawn = await loadDawn();
  } catch (error) {
    attempts.push({
      source: 'vulkan',
      ok: false,
      detail: `the 'webgpu' package (Dawn for Node) did not load: ${(error as Error).message}`,
    });
    throw new WebGpuUnavailableError(attempts, [
      "install the 'webgpu' npm package (it ships dawn.node for linux-x64, linux-arm64, macOS and Windows)",
    ]);
  }
  const order = choice === 'auto' ? AUTO_ORDER : [choice];
  let softwareVulkan: AcquiredAdapter | null = null;
  for (const source of order) {
    const acquired = await tryDawnBackend(dawn, source, attempts);
    if (acquired === null) continue;
    // In auto mode a CPU Vulkan driver (lavapipe) is kept as a last resort behind software GL.
    if (choice === 'auto' && source === 'vulkan' && isFallback(acquired.adapter)) {
      softwareVulkan = acquired;
      continue;
    }
    return finish(dawn, acquired, attempts);
  }
  if (softwareVulkan !== null) return finish(dawn, softwareVulkan, attempts);
  throw new WebGpuUnavailableError(attempts, installHints(order));
}

function finish(dawn: DawnModule, acquired: AcquiredAdapter, attempts: AdapterAttempt[]): AcquiredAdapter {
  installGlobals(dawn, acquired.gpu);
  return { ...acquired, attempts };
}

function isFallback(adapter: GPUAdapter): boolean {
  return (adapter.info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true;
}

async function tryDawnBackend(
  dawn: DawnModule,
  source: Exclude<NodeAdapterChoice, 'auto'>,
  attempts: AdapterAttempt[],
): Promise<AcquiredAdapter | null> {
  const missing = missingLibraries(source);
  if (missing.length > 0) {
    attempts.push({
      source,
      ok: false,
      detail: `missing system ${missing.length > 1 ? 'libraries' : 'library'} ${missing.join(', ')}`,
    });
    return null;
  }
  try {
    let gpu: GPU;
    let adapter: GPUAdapter | null;
    let featureLevel: 'core' | 'compatibility' = 'core';
    if (source === 'opengles') {
      // Mesa's EGL needs no display server on the surfaceless platform.
      process.env.EGL_PLATFORM ??= 'surfaceless';
      gpu = dawn.create(['backend=opengles']);
      featureLevel = 'compatibility';
      adapter = await gpu.requestAdapter({ featureLevel });
    } else if (source === 'swiftshader') {
      ({ gpu, adapter } = await withEnv('VK_ICD_FILENAMES', SWIFTSHADER_ICD, async () => {
        const instance = dawn.create(['backend=vulkan']);
        return { gpu: instance, adapter: await instance.requestAdapter({ forceFallbackAdapter: true }) };
      }));
    } else {
      gpu = dawn.create(['backend=vulkan']);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
    if (adapter === null) {
      attempts.push({ source, ok: false, detail: noAdapterReason(source) });
      return null;
    }
    const info = adapter.info as GPUAdapterInfo | undefined;
    attempts.push({ source, ok: true, detail: `found ${info?.description || info?.device || 'an adapter'}` });
    return { gpu, adapter, source, featureLevel, attempts };
  } catch (error) {
    attempts.push({ source, ok: false, detail: `Dawn failed: ${(error as Error).message}` });
    return null;
  }
}

async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  const before = process.env[name];
  process.env[name] = value;
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env[name];
    else process.env[name] = before;
  }
}

function noAdapterReason(source: Exclude<NodeAdapterChoice, 'auto'>): string {
  switch (source) {
    case 'vulkan':
      return 'no Vulkan adapter (no GPU driver, or only a lavapipe older than Mesa 25, which Dawn rejects)';
    case 'opengles':
      return (
        "no OpenGL ES adapter (Mesa's EGL found no usable display on EGL_PLATFORM=" +
        (process.env.EGL_PLATFORM ?? '') +
        ')'
      );
    case 'swiftshader':
      return `no SwiftShader adapter from ${SWIFTSHADER_ICD}`;
  }
}

/** What Dawn dlopens for each backend, with the Debian package that provides it. */
const REQUIRED_LIBRARIES: Record<
  Exclude<NodeAdapterChoice, 'auto'>,
  readonly [file: string, debianPackage: string][]
> = {
  vulkan: [['libvulkan.so.1', 'libvulkan1']],
  opengles: [
    ['libEGL.so', 'libegl-dev'],
    ['libEGL_mesa.so.0', 'libegl-mesa0'],
    ['dri/swrast_dri.so', 'libgl1-mesa-dri'],
  ],
  swiftshader: [
    ['libvulkan.so.1', 'libvulkan1'],
    [SWIFTSHADER_ICD, 'chromium'],
  ],
};

/** Libraries (with their Debian package) not found in the usual Linux directories; [] elsewhere. */
export function missingLibraries(source: Exclude<NodeAdapterChoice, 'auto'>): string[] {
  if (process.platform !== 'linux') return [];
  const multiarch = process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    `/usr/lib/${multiarch}`,
    `/lib/${multiarch}`,
    '/usr/lib64',
    '/usr/lib',
  ];
  return REQUIRED_LIBRARIES[source]
    .filter(([file]) =>
      path.isAbsolute(file) ? !existsSync(file) : !dirs.some((dir) => existsSync(path.join(dir, file))),
    )
    .map(([file, debianPackage]) => `${file} (Debian/Ubuntu: ${debianPackage})`);
}

function installHints(order: readonly Exclude<NodeAdapterChoice, 'auto'>[]): string[] {
  const hints: string[] = [];
  if (order.includes('opengles')) {
    hints.push(
      "software GL (no GPU needed): apt-get install libegl-dev libegl-mesa0 libgl1-mesa-dri; Dawn's OpenGL ES backend runs on Mesa's llvmpipe",
    );
  }
  if (order.includes('vulkan')) {
    hints.push(
      'a GPU: install its Vulkan driver and libvulkan1; or lavapipe from Mesa >= 25 (Debian 12: mesa-vulkan-drivers from bookworm-backports), selected with VK_ICD_FILENAMES',
    );
  }
  if (order.includes('swiftshader'))
    hints.push(`SwiftShader: apt-get install chromium libvulkan1 (it provides ${SWIFTSHADER_ICD})`);
  hints.push(
    'force one path with createWebGpuBackend({ adapter: "opengles" | "vulkan" | "swiftshader" }) or MYELIN_WEBGPU_ADAPTER',
  );
  return hints;
}

/**
 * tfjs-backend-webgpu wants browser globals: navigator.gpu (checked when its backend is made)
 * and the GPUBufferUsage/GPUMapMode/... constants Dawn exports.
 */
function installGlobals(dawn: DawnModule, gpu: GPU): void {
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const host = globalThis as { navigator?: object };
  // Node 20 has no navigator; Node 21+ has one without gpu, behind a getter.
  if (host.navigator === undefined)
    Object.defineProperty(globalThis, 'navigator', { value: {}, configurable: true, writable: true });
  Object.defineProperty(host.navigator, 'gpu', { value: gpu, configurable: true, writable: true });
}
