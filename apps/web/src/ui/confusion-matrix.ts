// The test split's confusion matrix: rows are the true digits, columns the predicted ones;
// each cell is shaded by its share of the row, so mistakes stand out off the diagonal.
import { h } from './dom.js';

export function confusionTable(matrix: number[][], caption: string): HTMLTableElement {
  const head = h(
    'tr',
    {},
    h('th', { scope: 'col', class: 'corner' }, 'true \\ predicted'),
    ...matrix.map((_, j) => h('th', { scope: 'col' }, String(j))),
  );
  const body = matrix.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return h(
      'tr',
      {},
      h('th', { scope: 'row' }, String(i)),
      ...row.map((count, j) => {
        const share = count / total;
        const colour =
          i === j
            ? `rgba(37, 99, 235, ${(0.12 + share * 0.75).toFixed(3)})`
            : count > 0
              ? `rgba(234, 88, 12, ${(0.2 + share * 2).toFixed(3)})`
              : 'transparent';
        return h(
          'td',
          {
            style: { background: colour, color: i === j && share > 0.6 ? '#fff' : '' },
            title: `true ${i}, predicted ${j}: ${count}`,
          },
          count === 0 ? '' : String(count),
        );
      }),
    );
  });
  return h('table', { class: 'confusion' }, h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, ...body));
}
