import { DataError } from '../errors.js';
import { parseCsv } from './csv.js';
import { LabeledDataset } from './labeled.js';

export const DIGITS_CLASSES: readonly string[] = Object.freeze(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
export const DIGITS_SAMPLES = 1797;

export interface DigitsOptions {
  /** 'flat' (default): x is 64 values, as scikit-learn's `data`; 'image': x is [8, 8], as its `images`. */
  layout?: 'flat' | 'image';
}

/**
 * The UCI 8x8 handwritten digits as scikit-learn ships them (digits.csv: 64 pixel values 0-16
 * and the label per row). Values stay 0-16 floats, as in reference experiment 2 in docs/reference-experiments.md.
 */
export function parseDigits(text: string, options: DigitsOptions = {}, source = 'digits.csv'): LabeledDataset {
  const table = parseCsv(text, { delimiter: ',', header: false, targetDtype: 'int32', source });
  const [count, width] = table.x.shape as [number, number];
  if (count !== DIGITS_SAMPLES || width !== 64) {
    throw new DataError({
      source,
      expected: `${DIGITS_SAMPLES} rows of 64 pixels and a label`,
      found: `${count} rows of ${width} values and a label`,
    });
  }
  const pixels = table.x.data;
  for (let i = 0; i < pixels.length; i++) {
    const value = pixels[i]!;
    if (!(value >= 0 && value <= 16 && Number.isInteger(value))) {
      throw new DataError({
        source,
        expected: 'integer pixel values 0-16',
        found: `${value} in row ${Math.floor(i / 64) + 1}`,
      });
    }
  }
  const shape = options.layout === 'image' ? [count, 8, 8] : [count, 64];
  return new LabeledDataset({ data: pixels, shape }, table.y.data as Int32Array, DIGITS_CLASSES, source);
}
