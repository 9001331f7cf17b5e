import { describe, expect, it } from 'vitest';
import { historyChart, renderChartSvg } from './index.js';

describe('renderChartSvg', () => {
  it('renders lines and points to an SVG document with titles and legends', async () => {
    const svg = await renderChartSvg({
      title: 'Loss per epoch',
      xLabel: 'epoch',
      yLabel: 'loss',
      series: [
        { name: 'train', x: [1, 2, 3], y: [0.9, 0.5, 0.3] },
        { name: 'truth', x: [1, 2, 3], y: [1, 0.4, 0.2], points: true },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Loss per epoch');
    expect(svg).toContain('train');
    expect(svg).toContain('truth');
    expect(svg).toMatch(/<path[^>]+d="M/);
  });

  it('builds history charts from Keras-shaped histories and rejects ragged series', async () => {
    const chart = historyChart(
      { epoch: [0, 1], loss: [1, 0.5], val_loss: [1.1, 0.7] },
      ['loss', 'val_loss', 'missing'],
      'Loss',
      'loss',
    );
    expect(chart.series.map((s) => s.name)).toEqual(['loss', 'val_loss']);
    expect(chart.series[0]!.x).toEqual([1, 2]);
    await expect(
      renderChartSvg({ title: 't', xLabel: 'x', yLabel: 'y', series: [{ name: 'a', x: [1], y: [] }] }),
    ).rejects.toThrow(/1 x values but 0 y values/);
  });
});
