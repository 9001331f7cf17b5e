import type { DType, TypedArray } from '../backend/contract.js';

const SUMMARIZE_THRESHOLD = 1000;
const EDGE_ITEMS = 3;
const PRECISION = 4;

/**
 * Formats values the way PyTorch prints tensors: fixed 4 decimals, `1.` for integral floats,
 * scientific notation for wide ranges, aligned columns, `...` beyond 1000 elements.
 */
export function formatTensor(
  values: TypedArray,
  shape: readonly number[],
  dtype: DType,
  requiresGrad: boolean,
): string {
  const size = values.length;
  const summarize = size > SUMMARIZE_THRESHOLD;
  const formatValue = makeFormatter(visibleValues(values, shape, summarize), dtype);
  const width = Math.max(1, ...visibleValues(values, shape, summarize).map((v) => formatValue(v).length));
  const pad = (v: number): string => formatValue(v).padStart(width);
  const indent = 'tensor('.length;
  let body: string;
  if (shape.length === 0) {
    body = formatValue(values[0]!);
  } else if (size === 0) {
    body = '[]';
  } else {
    body = formatBlock(values, shape, 0, 0, indent, pad, summarize);
  }
  const suffixes: string[] = [];
  if (size === 0 && shape.length > 1) suffixes.push(`size=(${shape.join(', ')})`);
  if (dtype === 'float64' || dtype === 'int32') suffixes.push(`dtype=${dtype}`);
  if (requiresGrad) suffixes.push('requires_grad=True');
  return `tensor(${[body, ...suffixes].join(', ')})`;
}

function formatBlock(
  values: TypedArray,
  shape: readonly number[],
  axis: number,
  offset: number,
  indent: number,
  pad: (v: number) => string,
  summarize: boolean,
): string {
  const dim = shape[axis]!;
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const indices = visibleIndices(dim, summarize);
  if (axis === shape.length - 1) {
    return `[${indices.map((i) => (i === -1 ? '...' : pad(values[offset + i]!))).join(', ')}]`;
  }
  const separator = `,${'\n'.repeat(shape.length - axis - 1)}${' '.repeat(indent + axis + 1)}`;
  const parts = indices.map((i) =>
    i === -1 ? '...' : formatBlock(values, shape, axis + 1, offset + i * stride, indent, pad, summarize),
  );
  return `[${parts.join(separator)}]`;
}

/** Indices to show along one axis; -1 marks the ellipsis. */
function visibleIndices(dim: number, summarize: boolean): number[] {
  if (!summarize || dim <= 2 * EDGE_ITEMS) return Array.from({ length: dim }, (_, i) => i);
  return [
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => i),
    -1,
    ...Array.from({ length: EDGE_ITEMS }, (_, i) => dim - EDGE_ITEMS + i),
  ];
}

function visibleValues(values: TypedArray, shape: readonly number[], summarize: boolean): number[] {
  if (!summarize) return Array.from(values);
  const out: number[] = [];
  const walk = (axis: number, offset: number): void => {
    if (axis === shape.length) {
      out.push(values[offset]!);
      return;
    }
    const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    for (const i of visibleIndices(shape[axis]!, true)) if (i !== -1) walk(axis + 1, offset + i * stride);
  };
  walk(0, 0);
  return out;
}

function makeFormatter(values: readonly number[], dtype: DType): (v: number) => string {
  if (dtype === 'bool') return (v) => (v ? 'True' : 'False');
  if (dtype === 'int32') return (v) => String(v);
  const finite = values.filter((v) => Number.isFinite(v));
  const special = (v: number): string | null =>
    Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : null;
  if (finite.every((v) => Number.isInteger(v))) {
    const maxAbs = Math.max(0, ...finite.map(Math.abs));
    if (maxAbs < 1e8) return (v) => special(v) ?? `${v.toFixed(0)}.`;
    return (v) => special(v) ?? scientific(v);
  }
  const nonZero = finite.map(Math.abs).filter((v) => v > 0);
  const maxAbs = Math.max(...nonZero);
  const minAbs = Math.min(...nonZero);
  if (maxAbs / minAbs > 1000 || maxAbs > 1e8 || minAbs < 1e-4) return (v) => special(v) ?? scientific(v);
  return (v) => special(v) ?? v.toFixed(PRECISION);
}

/** 1.2346e+05, with a two-digit exponent like PyTorch. */
function scientific(v: number): string {
  const [mantissa, exponent] = v.toExponential(PRECISION).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}
