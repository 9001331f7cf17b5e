import { DataError } from '../errors.js';
import { TensorDataset } from '../tensor-dataset.js';

export interface CsvOptions {
  /** Field separator; 'auto' (default) picks ',', ';' or tab when the first data line has one, else whitespace. */
  delimiter?: ',' | ';' | '\t' | 'whitespace' | 'auto';
  /** Whether the first row names the columns; 'auto' (default): yes when any of its fields is not a number. */
  header?: boolean | 'auto';
  /** The target column: an index (negative counts from the end) or a header name. Default -1, the last. */
  labelColumn?: number | string;
  /** int32 class indices or float32 values; default int32 when every label is an integer. */
  targetDtype?: 'int32' | 'float32';
  /** Text from this marker to the end of a line is ignored (default '#'); blank lines are skipped. */
  comment?: string;
  /** The name errors use for the text (readCsv passes the path). */
  source?: string;
}

/** Rows of numeric features with a label column; `columns` holds the header names when there is a header. */
export class CsvDataset extends TensorDataset {
  constructor(
    inputs: ConstructorParameters<typeof TensorDataset>[0],
    targets: ConstructorParameters<typeof TensorDataset>[1],
    options: ConstructorParameters<typeof TensorDataset>[2],
    readonly columns: readonly string[] | undefined,
    readonly labelName: string | undefined,
  ) {
    super(inputs, targets, options);
  }
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function unquote(field: string): string {
  const trimmed = field.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1).trim()
    : trimmed;
}

function splitter(delimiter: NonNullable<CsvOptions['delimiter']>, firstLine: string): (line: string) => string[] {
  let chosen = delimiter;
  if (chosen === 'auto')
    chosen = firstLine.includes(',')
      ? ','
      : firstLine.includes(';')
        ? ';'
        : firstLine.includes('\t')
          ? '\t'
          : 'whitespace';
  if (chosen === 'whitespace') return (line) => line.trim().split(/\s+/);
  const separator = chosen;
  return (line) => line.split(separator).map(unquote);
}

/**
 * Parses delimited text of numbers, one sample per row, with one label column. Every row must
 * have as many fields as the first; every field must be a decimal number. Errors name the line.
 */
const RANGES = { int32: '-2147483648 to 2147483647', float32: '±3.4028234663852886e38' } as const;

/** A value that the column's dtype cannot hold (it would wrap or become Infinity). */
function outOfRange(
  source: string,
  line: number,
  column: number,
  field: string,
  dtype: 'int32' | 'float32',
): DataError {
  return new DataError({
    source: `${source}:${line}`,
    expected: `${dtype === 'int32' ? 'an' : 'a'} ${dtype} value in column ${column + 1} (${RANGES[dtype]})`,
    found: `'${clip(field)}', out of range`,
  });
}

export function parseCsv(text: string, options: CsvOptions = {}): CsvDataset {
  const source = options.source ?? 'CSV text';
  const comment = options.comment ?? '#';
  const lines: { text: string; number: number }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const cut = comment === '' ? -1 : raw.indexOf(comment);
    const line = (cut >= 0 ? raw.slice(0, cut) : raw).trim();
    if (line !== '') lines.push({ text: line, number: i + 1 });
  });
  if (lines.length === 0)
    throw new DataError({ source, expected: 'at least one row of numbers', found: 'no data (empty or only comments)' });
  const split = splitter(options.delimiter ?? 'auto', lines[0]!.text);
  const firstFields = split(lines[0]!.text);
  const hasHeader =
    options.header === 'auto' || options.header === undefined
      ? firstFields.some((f) => !NUMBER.test(f))
      : options.header;
  const columns = hasHeader ? firstFields : undefined;
  const dataLines = hasHeader ? lines.slice(1) : lines;
  const width = firstFields.length;
  if (dataLines.length === 0)
    throw new DataError({ source, expected: 'at least one data row after the header', found: 'none' });
  if (width < 2)
    throw new DataError({
      source: `${source}:${lines[0]!.number}`,
      expected: 'at least two columns (features and a label)',
      found: `${width}`,
    });

  const labelIndex = resolveLabelColumn(options.labelColumn ?? -1, width, columns, source);
  const features = width - 1;
  const inputs = new Float32Array(dataLines.length * features);
  const labels = new Float64Array(dataLines.length);
  dataLines.forEach((line, row) => {
    const fields = split(line.text);
    if (fields.length !== width) {
      throw new DataError({
        source: `${source}:${line.number}`,
        expected: `${width} columns (as in line ${lines[0]!.number})`,
        found: `${fields.length}: '${clip(line.text)}'`,
      });
    }
    for (let column = 0, feature = 0; column < width; column++) {
      const field = fields[column]!;
      if (!NUMBER.test(field)) {
        throw new DataError({
          source: `${source}:${line.number}`,
          expected: `a number in column ${column + 1}`,
          found: `'${clip(field)}'`,
        });
      }
      const value = Number(field);
      if (!Number.isFinite(value))
        throw new DataError({
          source: `${source}:${line.number}`,
          expected: `a finite number in column ${column + 1}`,
          found: `'${clip(field)}'`,
        });
      if (column === labelIndex) labels[row] = value;
      else if (!Number.isFinite(Math.fround(value))) throw outOfRange(source, line.number, column, field, 'float32');
      else inputs[row * features + feature++] = value;
    }
  });

  const integers = labels.every(Number.isInteger);
  const targetDtype = options.targetDtype ?? (integers ? 'int32' : 'float32');
  if (targetDtype === 'int32' && !integers) {
    const row = labels.findIndex((v) => !Number.isInteger(v));
    throw new DataError({
      source: `${source}:${dataLines[row]!.number}`,
      expected: 'an integer class label (or targetDtype "float32")',
      found: `${labels[row]}`,
    });
  }
  const fits =
    targetDtype === 'int32'
      ? (v: number) => v >= -2147483648 && v <= 2147483647
      : (v: number) => Number.isFinite(Math.fround(v));
  const bad = labels.findIndex((v) => !fits(v));
  if (bad >= 0) {
    const line = dataLines[bad]!;
    throw outOfRange(source, line.number, labelIndex, split(line.text)[labelIndex]!, targetDtype);
  }
  const targets = targetDtype === 'int32' ? Int32Array.from(labels) : Float32Array.from(labels);
  return new CsvDataset(
    { data: inputs, shape: [dataLines.length, features] },
    { data: targets, shape: [dataLines.length] },
    {},
    columns,
    columns?.[labelIndex],
  );
}

function resolveLabelColumn(
  label: number | string,
  width: number,
  columns: readonly string[] | undefined,
  source: string,
): number {
  if (typeof label === 'string') {
    const index = columns?.indexOf(label) ?? -1;
    if (index < 0)
      throw new DataError({
        source,
        expected: `a column named '${label}'`,
        found: columns ? `columns ${columns.map((c) => `'${c}'`).join(', ')}` : 'no header row',
      });
    return index;
  }
  const index = label < 0 ? width + label : label;
  if (!Number.isInteger(label) || index < 0 || index >= width)
    throw new DataError({ source, expected: `labelColumn in [${-width}, ${width})`, found: `${label}` });
  return index;
}

function clip(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
