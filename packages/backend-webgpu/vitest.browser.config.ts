// Headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) through vitest browser mode.
// Two instances run the whole conformance suite: Chromium's default WebGPU adapter here
// (SwiftShader) and its OpenGL ES adapter over ANGLE, which only a compatibility-level
// adapter request returns. No browser is ever downloaded.
import { defineProject } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { myelinTestConfig } from '@myelin/vitest-preset';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// This machine has no network: keep Chromium from trying.
const offline = [
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const chromium = (args: string[]) =>
  playwright({ launchOptions: { executablePath, args: [...offline, '--enable-unsafe-webgpu', ...args] } });

const { environment: _node, ...base } = myelinTestConfig('@myelin/backend-webgpu-chromium').test;
export default defineProject({
  test: {
    ...base,
    include: ['src/**/*.browser.test.ts'],
    browser: {
      enabled: true,
      headless: true,
      instances: [
        {
          browser: 'chromium',
          name: 'chromium-default-adapter',
          provider: chromium([]),
          provide: { featureLevel: 'core' },
        },
        {
          browser: 'chromium',
          name: 'chromium-opengles-adapter',
          provider: chromium(['--use-angle=vulkan', '--use-webgpu-adapter=opengles']),
          provide: { featureLevel: 'compatibility' },
        },
      ],
    },
  },
});
