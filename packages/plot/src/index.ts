import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

export interface Series {
  name: string;
  x: readonly number[];
  y: readonly number[];
  /** Draw points instead of a line. */
  points?: boolean;
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  width?: number;
  height?: number;
  /** Log scale on the y axis (losses spanning decades). */
  logY?: boolean;
}

/** Renders series as an SVG chart (Vega-Lite, headless: no canvas or browser needed). */
export async function renderChartSvg(options: ChartOptions): Promise<string> {
  const rows = options.series.flatMap((series) => {
    if (series.x.length !== series.y.length) {
      throw new Error(
        `renderChartSvg: series '${series.name}' has ${series.x.length} x values but ${series.y.length} y values`,
      );
    }
    return series.x
      .map((x, i) => ({ series: series.name, x, y: series.y[i]!, kind: series.points ? 'point' : 'line' }))
      .filter((row) => Number.isFinite(row.y) && (!options.logY || row.y > 0));
  });
  const encoding = {
    x: { field: 'x', type: 'quantitative', title: options.xLabel },
    y: {
      field: 'y',
      type: 'quantitative',
      title: options.yLabel,
      scale: options.logY ? { type: 'log' as const } : { zero: false },
    },
    color: { field: 'series', type: 'nominal', title: null },
  } as const;
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    width: options.width ?? 560,
    height: options.height ?? 320,
    data: { values: rows },
    layer: [
      { transform: [{ filter: "datum.kind === 'line'" }], mark: { type: 'line', point: rows.length < 60 }, encoding },
      {
        transform: [{ filter: "datum.kind === 'point'" }],
        mark: { type: 'point', filled: true, size: 12, opacity: 0.6 },
        encoding,
      },
    ],
    config: { background: 'white' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Per-epoch curves of a training history: `names` like ['loss', 'val_loss']. */
export function historyChart(
  history: Record<string, readonly number[]>,
  names: readonly string[],
  title: string,
  yLabel: string,
): ChartOptions {
  const epochs = history.epoch ?? [];
  return {
    title,
    xLabel: 'epoch',
    yLabel,
    series: names
      .filter((name) => history[name])
      .map((name) => ({ name, x: epochs.map((e) => e + 1), y: history[name]! })),
  };
}
