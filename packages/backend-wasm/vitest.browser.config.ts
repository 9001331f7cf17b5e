// Headless Chromium (Debian's /usr/bin/chromium, or CHROMIUM_PATH) through vitest browser mode.
// The whole conformance suite runs on tfjs-backend-wasm in the page; the .wasm files are served
// by Vite (see conformance.browser.test.ts). No browser is ever downloaded.
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
const chromium = () => playwright({ launchOptions: { executablePath, args: offline } });

const { environment: _node, ...base } = myelinTestConfig('@myelin/backend-wasm-chromium').test;
export default defineProject({
  test: {
    ...base,
    include: ['src/**/*.browser.test.ts'],
    browser: {
      enabled: true,
      headless: true,
      instances: [{ browser: 'chromium', name: 'chromium', provider: chromium() }],
    },
  },
});
