// Line charts with uPlot, loaded on first use. A chart keeps its width in step with its box
// and takes whole series at once (`setData`); the page throttles updates to animation frames.
import type uPlotType from 'uplot';
import { h } from './dom.js';

export interface SeriesSpec {
  label: string;
  color: string;
  dash?: number[];
  width?: number;
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: SeriesSpec[];
  logY?: boolean;
  yRange?: [number, number];
  /** An x interval shaded behind the lines (the function demo's sampled range). */
  shade?: [number, number];
  height?: number;
}

export interface LineChart {
  element: HTMLElement;
  /** x values and one array per series (null: no point). */
  setData(x: ArrayLike<number>, ys: ArrayLike<number | null>[]): void;
  /** Renames series `index` in the legend; null hides its legend entry. */
  setLabel(index: number, label: string | null): void;
}

let loading: Promise<typeof uPlotType> | null = null;
function loadUPlot(): Promise<typeof uPlotType> {
  loading ??= import('./uplot-loader.js').then((m) => m.default);
  return loading;
}

export function lineChart(spec: ChartSpec): LineChart {
  const element = h('figure', { class: 'chart' }, h('figcaption', {}, spec.title));
  const plotBox = h('div', {
    class: 'chart-plot',
    role: 'img',
    'aria-label': `${spec.title}: ${spec.series.map((s) => s.label).join(', ')} against ${spec.xLabel}`,
  });
  element.append(plotBox);
  let plot: uPlotType | null = null;
  let pending: uPlotType.AlignedData = [[], ...spec.series.map(() => [])];
  const labels: (string | null)[] = spec.series.map((s) => s.label);
  const applyLabels = (): void => {
    const rows = plotBox.querySelectorAll<HTMLElement>('.u-legend .u-series');
    const first = rows.length > labels.length ? 1 : 0; // a row for x, when the legend has one
    labels.forEach((label, i) => {
      const row = rows[i + first];
      if (!row) return;
      row.style.display = label === null ? 'none' : '';
      const text = row.querySelector('.u-label');
      if (text && label !== null) text.textContent = label;
    });
  };
  const height = spec.height ?? 200;

  void loadUPlot().then((uPlot) => {
    const shade = spec.shade;
    const options: uPlotType.Options = {
      width: Math.max(200, plotBox.clientWidth || 320),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: false }, y: spec.logY ? { distr: 3 } : spec.yRange ? { range: spec.yRange } : {} },
      axes: [
        { label: spec.xLabel, stroke: '#475569', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#cbd5e1' } },
        { label: spec.yLabel, stroke: '#475569', grid: { stroke: '#e2e8f0' }, ticks: { stroke: '#cbd5e1' }, size: 56 },
      ],
      series: [
        { label: spec.xLabel },
        ...spec.series.map((s) => ({
          label: s.label,
          stroke: s.color,
          width: s.width ?? 2,
          ...(s.dash ? { dash: s.dash } : {}),
          points: { show: false },
          spanGaps: true,
        })),
      ],
      ...(shade
        ? {
            hooks: {
              drawClear: [
                (u: uPlotType) => {
                  const left = u.valToPos(shade[0], 'x', true);
                  const right = u.valToPos(shade[1], 'x', true);
                  u.ctx.save();
                  u.ctx.fillStyle = 'rgba(37, 99, 235, 0.07)';
                  u.ctx.fillRect(left, u.bbox.top, right - left, u.bbox.height);
                  u.ctx.restore();
                },
              ],
            },
          }
        : {}),
    };
    plot = new uPlot(options, pending, plotBox);
    applyLabels();
    new ResizeObserver(() => {
      const width = plotBox.clientWidth;
      if (plot && width > 0 && Math.abs(width - plot.width) > 1) plot.setSize({ width, height });
    }).observe(plotBox);
  });

  return {
    element,
    setData(x, ys) {
      const clean = (values: ArrayLike<number | null>): (number | null)[] =>
        Array.from(values, (v) => (v === null || !Number.isFinite(v) || (spec.logY && v <= 0) ? null : v));
      pending = [Array.from(x), ...ys.map(clean)] as uPlotType.AlignedData;
      plot?.setData(pending);
      // What the first series shows, for tests and scripts: its point count and first/last values.
      const first = (pending[1] ?? []).filter((v): v is number => typeof v === 'number');
      element.dataset.points = String(first.length);
      element.dataset.firstValue = first.length > 0 ? String(first[0]) : '';
      element.dataset.lastValue = first.length > 0 ? String(first[first.length - 1]) : '';
    },
    setLabel(index, label) {
      if (labels[index] === label) return;
      labels[index] = label;
      applyLabels();
    },
  };
}
