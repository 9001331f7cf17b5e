import { DataError } from '../errors.js';
import { imageGeometry, type HostArray, type NumericArray } from '../host-array.js';
import type { SampleTransform } from './basic.js';

/** For each output coordinate: the two source coordinates and the weight of the second. */
export interface AxisTable {
  low: Int32Array;
  high: Int32Array;
  weight: Float32Array;
}

// Half-pixel centres, as torch.nn.functional.interpolate(mode='bilinear', align_corners=False).
function axisTable(inSize: number, outSize: number): AxisTable {
  const low = new Int32Array(outSize);
  const high = new Int32Array(outSize);
  const weight = new Float32Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const source = Math.max(0, (o + 0.5) * scale - 0.5);
    const l = Math.min(Math.floor(source), inSize - 1);
    low[o] = l;
    high[o] = Math.min(l + 1, inSize - 1);
    weight[o] = source - l;
  }
  return { low, high, weight };
}

function checkSize(height: number, width: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new DataError({
      source: 'resize',
      expected: 'a positive integer height and width',
      found: `${height} x ${width}`,
    });
  }
}

/**
 * Bilinear resize of a CHW or HW image to `height` x `width` (float32 out, same layout), with
 * PyTorch's align_corners=False sampling and no antialiasing.
 */
export function resizeBilinear(
  image: HostArray,
  height: number,
  width: number,
  tables?: { rows: AxisTable; columns: AxisTable },
): HostArray {
  checkSize(height, width);
  const { channels, height: inHeight, width: inWidth } = imageGeometry(image.shape, 'resize');
  if (inHeight < 1 || inWidth < 1)
    throw new DataError({ source: 'resize', expected: 'a non-empty image', found: `${inHeight} x ${inWidth}` });
  const rows = tables?.rows ?? axisTable(inHeight, height);
  const columns = tables?.columns ?? axisTable(inWidth, width);
  const source: NumericArray = image.data;
  const out = new Float32Array(channels * height * width);
  for (let c = 0; c < channels; c++) {
    const plane = c * inHeight * inWidth;
    for (let y = 0; y < height; y++) {
      const top = plane + rows.low[y]! * inWidth;
      const bottom = plane + rows.high[y]! * inWidth;
      const wy = rows.weight[y]!;
      const outRow = (c * height + y) * width;
      for (let x = 0; x < width; x++) {
        const l = columns.low[x]!;
        const h = columns.high[x]!;
        const wx = columns.weight[x]!;
        const upper = source[top + l]! + (source[top + h]! - source[top + l]!) * wx;
        const lower = source[bottom + l]! + (source[bottom + h]! - source[bottom + l]!) * wx;
        out[outRow + x] = upper + (lower - upper) * wy;
      }
    }
  }
  return { data: out, shape: image.shape.length === 2 ? [height, width] : [channels, height, width] };
}

/** Resizes x (CHW or HW) to height x width, bilinear; see resizeBilinear. */
export function resize(height: number, width: number = height): SampleTransform {
  checkSize(height, width);
  let cache: { inHeight: number; inWidth: number; rows: AxisTable; columns: AxisTable } | undefined;
  return (sample) => {
    const { height: inHeight, width: inWidth } = imageGeometry(sample.x.shape, 'resize');
    if (cache?.inHeight !== inHeight || cache.inWidth !== inWidth) {
      cache = { inHeight, inWidth, rows: axisTable(inHeight, height), columns: axisTable(inWidth, width) };
    }
    return { x: resizeBilinear(sample.x, height, width, cache), y: sample.y };
  };
}
