// Backends: what this browser can run, why not where it cannot, and how fast each trains the
// digits MLP. The same model code runs on all of them; only the worker's backend differs.
import { webBackend } from '../backends.js';
import { BACKEND_LABELS, BACKEND_NAMES, type BackendManager } from '../client/backend-manager.js';
import { button } from '../ui/controls.js';
import { formatNumber, formatRate, h } from '../ui/dom.js';
import { notice } from '../ui/notice.js';
import type { BackendName } from '../worker/protocol.js';
import { pageIntro, type Page } from './page.js';

const BENCHMARK = { batchSize: 32, epochs: 3 };

export function backendsPage(backends: BackendManager): Page {
  const speeds = new Map<BackendName, { samplesPerSecond: number; stepsPerSecond: number } | string>();
  const status = notice();
  const body = h('tbody');
  const measureButton = button('Measure speed', () => void measure(), { kind: 'primary', id: 'backends-measure' });

  const element = h(
    'div',
    { class: 'page backends' },
    pageIntro(
      'Backends',
      'Every demo runs the same Myelin code in a Web Worker; the backend decides where the arithmetic happens, and each loads only when it is used. The page starts on the usable backend of highest priority (WebAssembly, then WebGPU on a real GPU, then the CPU reference; WebGPU on a software adapter only when nothing else works); ?backend= in the address, your last choice, or the fastest one measured here takes precedence.',
    ),
    h(
      'section',
      { class: 'panel' },
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'backend-table', id: 'backend-table' },
          h(
            'caption',
            {},
            `Training speed: the digits MLP 64-32-16-10, Adam, batches of ${BENCHMARK.batchSize}, ${BENCHMARK.epochs} epochs after one warm-up epoch.`,
          ),
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ...['Backend', 'Available', 'Details', 'Start-up', 'Samples/s', ''].map((t) =>
                h('th', { scope: 'col' }, t),
              ),
            ),
          ),
          body,
        ),
      ),
      h('div', { class: 'button-row' }, measureButton),
      status.element,
    ),
  );

  function render(): void {
    body.replaceChildren(
      ...BACKEND_NAMES.map((name) => {
        const state = backends.states.get(name)!;
        const active = backends.active === name;
        const available =
          state.usable === null ? 'checking...' : state.usable ? (active ? 'yes, in use' : 'yes') : 'no';
        const details =
          state.usable === false
            ? (state.reason ?? '')
            : state.usable
              ? Object.entries(state.details ?? {})
                  .filter(([k]) => k !== 'tried')
                  .map(([k, v]) => `${k}: ${v}`)
                  .join(' · ')
              : '';
        const speed = speeds.get(name);
        const use = button(active ? 'In use' : 'Use', () => void switchTo(name), { id: `use-${name}` });
        use.disabled = active || state.usable !== true;
        return h(
          'tr',
          { 'data-backend': name, class: active ? 'active' : '' },
          h(
            'th',
            { scope: 'row' },
            BACKEND_LABELS[name],
            h('small', { class: 'hint block' }, webBackend(name)?.description ?? ''),
          ),
          h('td', { class: `availability ${state.usable === false ? 'no' : state.usable ? 'yes' : ''}` }, available),
          h('td', { class: 'details' }, details),
          h('td', {}, 'startMs' in state && state.startMs !== undefined ? `${formatNumber(state.startMs)} ms` : ''),
          h(
            'td',
            {
              class: 'speed',
              'data-samples-per-second': typeof speed === 'object' ? String(Math.round(speed.samplesPerSecond)) : '',
            },
            typeof speed === 'object' ? formatRate(speed.samplesPerSecond) : (speed ?? ''),
          ),
          h('td', {}, use),
        );
      }),
    );
  }

  async function switchTo(name: BackendName): Promise<void> {
    try {
      status.show('info', `Starting ${BACKEND_LABELS[name]}...`);
      await backends.switchTo(name);
      status.show('success', `Now training on ${BACKEND_LABELS[name]}; models were carried over.`);
    } catch (error) {
      status.show('error', (error as Error).message);
    }
  }

  async function measure(): Promise<void> {
    measureButton.disabled = true;
    try {
      for (const name of BACKEND_NAMES) {
        if (backends.states.get(name)?.usable === false) {
          speeds.set(name, 'not available');
          continue;
        }
        speeds.set(name, 'measuring...');
        render();
        status.show('info', `Measuring ${BACKEND_LABELS[name]}...`);
        try {
          speeds.set(name, await backends.withWorker(name, (client) => client.call('benchmark', BENCHMARK)));
        } catch (error) {
          speeds.set(name, `failed: ${(error as Error).message}`);
        }
        render();
      }
      const measured = BACKEND_NAMES.flatMap((name) => {
        const speed = speeds.get(name);
        return typeof speed === 'object' ? [{ name, speed: speed.samplesPerSecond }] : [];
      }).sort((a, b) => b.speed - a.speed);
      const fastest = measured[0];
      if (fastest) {
        backends.remember(fastest.name);
        status.show(
          'success',
          `Fastest here: ${BACKEND_LABELS[fastest.name]}; the page will start on it next time. Speeds depend on the machine: a software GPU adapter (SwiftShader, llvmpipe) is far slower than a real GPU.`,
        );
      }
    } finally {
      measureButton.disabled = false;
    }
  }

  backends.onChange(render);
  render();
  return { element, shown: render };
}
