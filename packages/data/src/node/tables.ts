import { fileURLToPath } from 'node:url';
import { parseCsv, type CsvDataset, type CsvOptions } from '../sources/csv.js';
import { parseDigits, type DigitsOptions } from '../sources/digits.js';
import type { LabeledDataset } from '../sources/labeled.js';
import { readMaybeGzip } from './files.js';

/** Reads a CSV or whitespace-separated file (gzip or not) with a label column; see parseCsv. */
export async function readCsv(path: string, options: Omit<CsvOptions, 'source'> = {}): Promise<CsvDataset> {
  return parseCsv(new TextDecoder().decode(await readMaybeGzip(path)), { ...options, source: path });
}

/** The bundled digits file (UCI, CC BY 4.0; see data/README.md in this package). */
export const DIGITS_PATH = fileURLToPath(new URL('../../data/digits.csv.gz', import.meta.url));

/** The 1,797 8x8 handwritten digits bundled with this package (reference experiment 2 in docs/reference-experiments.md). */
export async function loadDigits(options: DigitsOptions = {}): Promise<LabeledDataset> {
  return parseDigits(new TextDecoder().decode(await readMaybeGzip(DIGITS_PATH)), options, DIGITS_PATH);
}
