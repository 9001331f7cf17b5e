// A canvas to draw a digit on with mouse, pen or touch; it reports the drawing in the 8x8
// digits format (see data/digit-raster.ts) and can show an 8x8 image instead (a test digit).
import { rasterToDigit } from '../data/digit-raster.js';
import { h } from './dom.js';

export interface DrawPad {
  element: HTMLElement;
  canvas: HTMLCanvasElement;
  clear(): void;
  /** Shows 64 pixel values 0-16 as blocks (drawing over it starts a new digit). */
  showPixels(pixels: ArrayLike<number>): void;
}

const SIZE = 256;
const PEN = 20;

export function drawPad(onDigit: (pixels: Float32Array, final: boolean) => void): DrawPad {
  const canvas = h('canvas', {
    width: SIZE,
    height: SIZE,
    class: 'draw-pad',
    'aria-label': 'Drawing area: draw a digit from 0 to 9 with the mouse, a pen or a finger',
  });
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let drawing = false;
  let showingImage = false;
  let last: [number, number] | null = null;
  let lastReport = 0;

  const clear = (): void => {
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, SIZE, SIZE);
    showingImage = false;
  };
  clear();

  const position = (event: PointerEvent): [number, number] => {
    const box = canvas.getBoundingClientRect();
    return [((event.clientX - box.left) / box.width) * SIZE, ((event.clientY - box.top) / box.height) * SIZE];
  };

  const report = (final: boolean): void => {
    const image = ctx.getImageData(0, 0, SIZE, SIZE).data;
    const ink = new Uint8Array(SIZE * SIZE);
    for (let i = 0; i < ink.length; i++) ink[i] = 255 - image[i * 4]!; // dark ink on white
    onDigit(rasterToDigit(ink, SIZE, SIZE), final);
  };

  canvas.addEventListener('pointerdown', (event) => {
    if (showingImage) clear();
    drawing = true;
    canvas.setPointerCapture(event.pointerId);
    last = position(event);
    ctx.fillStyle = '#0f172a';
    ctx.beginPath();
    ctx.arc(last[0], last[1], PEN / 2, 0, 2 * Math.PI);
    ctx.fill();
  });
  canvas.addEventListener('pointermove', (event) => {
    if (!drawing || !last) return;
    const next = position(event);
    ctx.strokeStyle = '#0f172a';
    ctx.lineWidth = PEN;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(next[0], next[1]);
    ctx.stroke();
    last = next;
    if (performance.now() - lastReport > 120) {
      lastReport = performance.now();
      report(false);
    }
  });
  const end = (): void => {
    if (!drawing) return;
    drawing = false;
    last = null;
    report(true);
  };
  canvas.addEventListener('pointerup', end);
  canvas.addEventListener('pointercancel', end);

  return {
    element: canvas,
    canvas,
    clear,
    showPixels(pixels) {
      clear();
      const cell = SIZE / 8;
      for (let i = 0; i < 64; i++) {
        const shade = Math.round(255 - (pixels[i]! / 16) * 240);
        ctx.fillStyle = `rgb(${shade}, ${shade}, ${shade})`;
        ctx.fillRect((i % 8) * cell, Math.floor(i / 8) * cell, cell, cell);
      }
      showingImage = true;
    },
  };
}

/** The 8x8 input the model sees, drawn large. */
export function digitPreview(): { element: HTMLCanvasElement; show(pixels: ArrayLike<number> | null): void } {
  const element = h('canvas', {
    width: 8,
    height: 8,
    class: 'digit-preview',
    role: 'img',
    'aria-label': 'The 8 by 8 image the model sees',
  });
  const ctx = element.getContext('2d')!;
  return {
    element,
    show(pixels) {
      const image = ctx.createImageData(8, 8);
      for (let i = 0; i < 64; i++) {
        const shade = pixels ? Math.round(255 - (pixels[i]! / 16) * 255) : 255;
        image.data.set([shade, shade, shade, 255], i * 4);
      }
      ctx.putImageData(image, 0, 0);
    },
  };
}
