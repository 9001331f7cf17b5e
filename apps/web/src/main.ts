// The page shell: header with navigation and the backend selector, and the four pages, each
// loaded when first visited. The training worker starts after the first paint.
import './styles.css';
import { BACKEND_LABELS, BACKEND_NAMES, BackendManager } from './client/backend-manager.js';
import { h } from './ui/dom.js';
import type { BackendName } from './worker/protocol.js';
import type { DemoPage, Page } from './pages/page.js';

type Route = 'playground' | 'digits' | 'function' | 'backends';
const ROUTES: { route: Route; label: string; load: () => Promise<(backends: BackendManager) => Page | DemoPage> }[] = [
  {
    route: 'playground',
    label: 'Playground',
    load: async () => (await import('./pages/playground.js')).playgroundPage,
  },
  { route: 'digits', label: 'Digits', load: async () => (await import('./pages/digits.js')).digitsPage },
  { route: 'function', label: 'Function', load: async () => (await import('./pages/function.js')).functionPage },
  { route: 'backends', label: 'Backends', load: async () => (await import('./pages/backends.js')).backendsPage },
];

const backends = new BackendManager();
const pages = new Map<Route, Promise<Page>>();

const backendSelect = h('select', { id: 'backend-select', 'aria-describedby': 'backend-status' });
const backendStatus = h('span', { id: 'backend-status', class: 'backend-status', role: 'status' }, 'Starting...');
const nav = h(
  'nav',
  { 'aria-label': 'Demos' },
  h(
    'ul',
    {},
    ...ROUTES.map(({ route, label }) => h('li', {}, h('a', { href: `#/${route}`, id: `nav-${route}` }, label))),
  ),
);
const main = h('main', { id: 'main' });

document
  .getElementById('app')!
  .replaceChildren(
    h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
    h(
      'header',
      { class: 'site-header' },
      h(
        'div',
        { class: 'brand' },
        h('span', { class: 'logo', 'aria-hidden': 'true' }, 'M'),
        h('div', {}, h('h1', {}, 'Myelin'), h('p', {}, 'Neural networks trained in your browser')),
      ),
      nav,
      h(
        'div',
        { class: 'backend-picker' },
        h('label', { for: 'backend-select' }, 'Backend'),
        backendSelect,
        backendStatus,
      ),
    ),
    main,
    h(
      'footer',
      { class: 'site-footer' },
      h(
        'p',
        {},
        'Myelin: one TypeScript API over WebGPU, WebAssembly and a CPU reference. Training runs in a Web Worker; nothing leaves this page.',
      ),
    ),
  );

function renderBackends(): void {
  backendSelect.replaceChildren(
    ...BACKEND_NAMES.map((name) => {
      const state = backends.states.get(name)!;
      const suffix = state.usable === false ? ' (not available)' : state.usable === null ? ' (checking...)' : '';
      return h('option', { value: name, disabled: state.usable === false }, `${BACKEND_LABELS[name]}${suffix}`);
    }),
  );
  const active = backends.active;
  if (active) {
    backendSelect.value = active;
    const details = backends.client?.status?.details ?? {};
    const adapter = backends.client?.status?.summary ?? '';
    backendStatus.textContent = `${BACKEND_LABELS[active]}${adapter ? `: ${adapter}` : ''}`;
    backendStatus.title = Object.entries(details)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    document.body.dataset.backend = active;
  }
}
backends.onChange(renderBackends);
renderBackends();

backendSelect.addEventListener('change', () => {
  const name = backendSelect.value as BackendName;
  backendStatus.textContent = `Starting ${BACKEND_LABELS[name]}...`;
  backends.switchTo(name).then(
    () => backends.remember(name),
    (error: Error) => {
      backendStatus.textContent = error.message;
      renderBackends();
    },
  );
});

function currentRoute(): Route {
  const route = location.hash.replace(/^#\/?/, '') as Route;
  return ROUTES.some((r) => r.route === route) ? route : 'playground';
}

async function show(route: Route): Promise<void> {
  for (const { route: r } of ROUTES) {
    const link = document.getElementById(`nav-${r}`)!;
    if (r === route) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  let pending = pages.get(route);
  if (!pending) {
    const entry = ROUTES.find((r) => r.route === route)!;
    pending = entry.load().then((factory) => {
      const page = factory(backends);
      main.append(page.element);
      if ('attach' in page) void backends.use(page);
      return page;
    });
    // A chunk that failed to load is retried on the next visit instead of staying cached.
    pending.catch(() => pages.delete(route));
    pages.set(route, pending);
  }
  const page = await pending;
  for (const child of main.children) (child as HTMLElement).hidden = child !== page.element;
  document.title = `${ROUTES.find((r) => r.route === route)!.label} · Myelin`;
  page.shown?.();
}

/** A page that cannot load says so in the page instead of failing silently. */
function showPageError(error: unknown): void {
  const message = document.createElement('p');
  message.setAttribute('role', 'alert');
  message.textContent = `This page could not be loaded: ${(error as Error).message}. Reload to try again.`;
  main.append(message);
}

window.addEventListener('hashchange', () => void show(currentRoute()).catch(showPageError));
const firstPage = show(currentRoute()).catch(showPageError);
const preferred = new URLSearchParams(location.search).get('backend') as BackendName | null;
// After the first paint: the backends load in the worker, not before the page is drawn.
requestAnimationFrame(() =>
  setTimeout(
    () => void firstPage.then(() => backends.start(preferred && BACKEND_NAMES.includes(preferred) ? preferred : null)),
    0,
  ),
);
