// Ten bars: the model's probability for each digit, the most likely one highlighted.
import { h } from './dom.js';

export function probabilityBars(): { element: HTMLElement; show(probabilities: ArrayLike<number> | null): void } {
  const rows = Array.from({ length: 10 }, (_, digit) => {
    const fill = h('span', { class: 'bar-fill' });
    const value = h('span', { class: 'bar-value' }, '-');
    const row = h(
      'li',
      { class: 'bar-row' },
      h('span', { class: 'bar-label' }, String(digit)),
      h('span', { class: 'bar-track' }, fill),
      value,
    );
    return { row, fill, value };
  });
  const element = h(
    'ol',
    { class: 'bars', 'aria-label': 'Probability of each digit', start: 0 },
    ...rows.map((r) => r.row),
  );
  return {
    element,
    show(probabilities) {
      const best = probabilities ? Array.from(probabilities).indexOf(Math.max(...Array.from(probabilities))) : -1;
      rows.forEach(({ row, fill, value }, digit) => {
        const p = probabilities ? probabilities[digit]! : 0;
        fill.style.width = `${(p * 100).toFixed(1)}%`;
        value.textContent = probabilities ? `${(p * 100).toFixed(1)}%` : '-';
        row.classList.toggle('best', digit === best);
        row.setAttribute(
          'aria-label',
          `${digit}: ${probabilities ? `${(p * 100).toFixed(1)} percent` : 'no prediction'}`,
        );
      });
    },
  };
}
