// Debian's Chromium through playwright-core: headless, offline, and with or without WebGPU.
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** This machine has no network: keep Chromium from trying. */
const OFFLINE = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/**
 * 'webgpu': WebGPU on, with the OpenGL ES adapter over ANGLE (about 10x SwiftShader here; the
 * page asks for a core adapter, then a compatibility one). 'swiftshader': WebGPU on, Chromium's
 * default adapter without a GPU. 'no-webgpu': WebGPU off, so the page falls back to WebAssembly.
 */
export type BrowserMode = 'webgpu' | 'swiftshader' | 'no-webgpu';

export function launchChromium(mode: BrowserMode): Promise<Browser> {
  const args = [...OFFLINE];
  if (mode === 'webgpu') args.push('--enable-unsafe-webgpu', '--use-angle=vulkan', '--use-webgpu-adapter=opengles');
  if (mode === 'swiftshader') args.push('--enable-unsafe-webgpu');
  if (mode === 'no-webgpu') args.push('--disable-features=WebGPU,Vulkan', '--disable-webgpu');
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args });
}
