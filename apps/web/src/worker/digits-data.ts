// The bundled 8x8 digits (packages/data/data/digits.csv.gz), fetched once per worker, split
// once with a fixed seed so every model in the page is tested on the same images.
import { gunzip, isGzip, parseDigits, randomSplit, type LabeledDataset, type Subset, type Sample } from '@myelin/data';

export interface DigitsSplits {
  all: LabeledDataset;
  train: Subset<Sample>;
  validation: Subset<Sample>;
  test: Subset<Sample>;
}

/** 70% train, 15% validation (the curves), 15% test (the confusion matrix). */
export const DIGITS_SPLIT = [0.7, 0.15, 0.15] as const;
const SPLIT_SEED = 0;

let loading: Promise<DigitsSplits> | null = null;

export function loadDigits(url: string): Promise<DigitsSplits> {
  loading ??= (async () => {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`could not load the digits data from ${url}: HTTP ${response.status}`);
    let bytes: Uint8Array = new Uint8Array(await response.arrayBuffer());
    // A server may already have undone the gzip (Content-Encoding); only gunzip real gzip bytes.
    if (isGzip(bytes)) bytes = await gunzip(bytes, 'digits.csv.gz');
    const all = parseDigits(new TextDecoder().decode(bytes));
    const [train, validation, test] = randomSplit(all, [...DIGITS_SPLIT], { seed: SPLIT_SEED }) as [
      Subset<Sample>,
      Subset<Sample>,
      Subset<Sample>,
    ];
    return { all, train, validation, test };
  })().catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}
