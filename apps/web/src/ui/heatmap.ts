// The playground's picture: the model's P(class 1) over the plane as colour (orange = 0,
// blue = 1, white at the decision boundary), with the training points (white rim) and test
// points (dark rim) on top.
import { h } from './dom.js';

const ORANGE = [245, 147, 34];
const BLUE = [8, 119, 189];
const WHITE = [248, 250, 252];

function mix(a: number[], b: number[], t: number): number[] {
  return a.map((v, i) => v + (b[i]! - v) * t);
}

/** Colour of a probability: saturating away from 0.5 so the boundary is easy to see. */
export function probabilityColour(p: number): number[] {
  const d = Math.min(1, Math.abs(p - 0.5) * 2);
  const strength = 0.25 + 0.6 * d;
  return p >= 0.5 ? mix(WHITE, BLUE, strength) : mix(WHITE, ORANGE, strength);
}

export interface Heatmap {
  element: HTMLElement;
  canvas: HTMLCanvasElement;
  draw(
    grid: Float32Array | null,
    gridSize: number,
    points: { trainX: Float32Array; trainY: Float32Array; testX: Float32Array; testY: Float32Array },
    extent: number,
    showTest: boolean,
  ): void;
}

export function heatmap(label: string): Heatmap {
  const size = 480;
  const canvas = h('canvas', { width: size, height: size, class: 'heatmap', role: 'img', 'aria-label': label });
  const cells = document.createElement('canvas');
  const element = h('div', { class: 'heatmap-box' }, canvas);
  return {
    element,
    canvas,
    draw(grid, gridSize, points, extent, showTest) {
      const ctx = canvas.getContext('2d')!;
      ctx.clearRect(0, 0, size, size);
      if (grid) {
        cells.width = gridSize;
        cells.height = gridSize;
        const cellCtx = cells.getContext('2d')!;
        const image = cellCtx.createImageData(gridSize, gridSize);
        for (let i = 0; i < gridSize * gridSize; i++) {
          const [r, g, b] = probabilityColour(grid[i]!);
          image.data.set([r!, g!, b!, 255], i * 4);
        }
        cellCtx.putImageData(image, 0, 0);
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(cells, 0, 0, size, size);
      } else {
        ctx.fillStyle = '#f1f5f9';
        ctx.fillRect(0, 0, size, size);
      }
      // Axes through the origin.
      ctx.strokeStyle = 'rgba(15, 23, 42, 0.18)';
      ctx.lineWidth = 1;
      ctx.beginPath();
      ctx.moveTo(size / 2, 0);
      ctx.lineTo(size / 2, size);
      ctx.moveTo(0, size / 2);
      ctx.lineTo(size, size / 2);
      ctx.stroke();
      const toPixel = (v: number): number => ((v + extent) / (2 * extent)) * size;
      const dot = (x: number, y: number, label: number, rim: string): void => {
        ctx.beginPath();
        ctx.arc(toPixel(x), size - toPixel(y), 4.2, 0, 2 * Math.PI);
        const [r, g, b] = label >= 0.5 ? BLUE : ORANGE;
        ctx.fillStyle = `rgb(${r}, ${g}, ${b})`;
        ctx.fill();
        ctx.lineWidth = 1.4;
        ctx.strokeStyle = rim;
        ctx.stroke();
      };
      for (let i = 0; i < points.trainY.length; i++)
        dot(points.trainX[2 * i]!, points.trainX[2 * i + 1]!, points.trainY[i]!, '#ffffff');
      if (showTest)
        for (let i = 0; i < points.testY.length; i++)
          dot(points.testX[2 * i]!, points.testX[2 * i + 1]!, points.testY[i]!, '#0f172a');
    },
  };
}
