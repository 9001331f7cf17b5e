// A message line under a panel: status (polite) for progress and success, alert for errors.
import { h } from './dom.js';

export interface Notice {
  element: HTMLElement;
  show(kind: 'info' | 'success' | 'error', text: string): void;
  clear(): void;
}

export function notice(): Notice {
  const status = h('p', { class: 'notice', role: 'status', 'aria-live': 'polite' });
  const alert = h('p', { class: 'notice error', role: 'alert', hidden: true });
  const element = h('div', { class: 'notices' }, status, alert);
  return {
    element,
    show(kind, text) {
      if (kind === 'error') {
        alert.hidden = false;
        alert.textContent = text;
        status.textContent = '';
      } else {
        alert.hidden = true;
        alert.textContent = '';
        status.className = `notice ${kind}`;
        status.textContent = text;
      }
    },
    clear() {
      alert.hidden = true;
      alert.textContent = '';
      status.textContent = '';
    },
  };
}
