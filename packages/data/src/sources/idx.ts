import { DataError } from '../errors.js';
import { formatShape, type HostArray, type NumericArray } from '../host-array.js';
import { gunzip, isGzip } from './gzip.js';

/** The element types the IDX format (MNIST's) defines, by their type byte. */
const IDX_TYPES: Readonly<Record<number, { dtype: IdxDType; bytes: number }>> = {
  0x08: { dtype: 'uint8', bytes: 1 },
  0x09: { dtype: 'int8', bytes: 1 },
  0x0b: { dtype: 'int16', bytes: 2 },
  0x0c: { dtype: 'int32', bytes: 4 },
  0x0d: { dtype: 'float32', bytes: 4 },
  0x0e: { dtype: 'float64', bytes: 8 },
};

/** The element type of an IDX file's values. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** A decoded IDX file: values in native byte order, row-major, with the file's shape. */
export interface IdxArray extends HostArray {
  readonly dtype: IdxDType;
}

const hex = (value: number, digits: number): string => `0x${value.toString(16).padStart(digits, '0')}`;

/**
 * Decodes an uncompressed IDX file, checking the magic number, the type byte, the dimensions
 * and that the length is exactly header + product(dims) * element size. uint8 data is a view
 * into `bytes` (no copy); multi-byte types are converted from big-endian.
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  if (isGzip(bytes)) {
    throw new DataError({
      source,
      expected: 'uncompressed IDX data (magic 0x0000 then type and rank)',
      found: 'gzip data',
      detail: 'decode it with decodeIdx, or readIdx from @myelin/data/node',
    });
  }
  if (bytes.length < 4)
    throw new DataError({
      source,
      expected: 'an IDX header of at least 4 bytes',
      found: `${bytes.length} bytes (truncated file?)`,
    });
  const typeCode = bytes[2]!;
  const rank = bytes[3]!;
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new DataError({
      source,
      expected: 'the IDX magic number 0x0000 in the first two bytes',
      found: `${hex((bytes[0]! << 8) | bytes[1]!, 4)} (not an IDX file)`,
    });
  }
  const type = IDX_TYPES[typeCode];
  if (type === undefined) {
    throw new DataError({
      source,
      expected: 'an IDX type byte 0x08, 0x09, 0x0b, 0x0c, 0x0d or 0x0e',
      found: hex(typeCode, 2),
    });
  }
  if (rank === 0) throw new DataError({ source, expected: 'an IDX rank (fourth byte) of at least 1', found: '0' });
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new DataError({
      source,
      expected: `a ${headerLength}-byte header for ${rank} dimensions`,
      found: `${bytes.length} bytes (truncated file?)`,
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    shape.push(size);
    count *= size;
  }
  const expectedLength = headerLength + count * type.bytes;
  if (bytes.length !== expectedLength) {
    const why = bytes.length < expectedLength ? 'truncated file?' : 'trailing bytes after the data';
    throw new DataError({
      source,
      expected: `${expectedLength} bytes (${headerLength}-byte header + ${count} ${type.dtype} values for shape ${formatShape(shape)})`,
      found: `${bytes.length} bytes (${why})`,
    });
  }
  return { data: decodeValues(bytes, view, headerLength, count, type.dtype), shape, dtype: type.dtype };
}

function decodeValues(bytes: Uint8Array, view: DataView, offset: number, count: number, dtype: IdxDType): NumericArray {
  switch (dtype) {
    case 'uint8':
      return bytes.subarray(offset, offset + count);
    case 'int8':
      return new Int8Array(bytes.buffer, bytes.byteOffset + offset, count);
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(offset + 2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(offset + 4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(offset + 4 * i, false);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(offset + 8 * i, false);
      return out;
    }
  }
}

/** Decodes IDX bytes, gunzipping first when they are gzip (browser-safe: DecompressionStream). */
export async function decodeIdx(bytes: Uint8Array, source = 'IDX data'): Promise<IdxArray> {
  return parseIdx(isGzip(bytes) ? await gunzip(bytes, source) : bytes, source);
}

/** Encodes values as an uncompressed IDX file (uint8 or int32 here; enough for labels, images and tests). */
export function encodeIdx(array: HostArray & { dtype: 'uint8' | 'int32' }): Uint8Array {
  const rank = array.shape.length;
  const headerLength = 4 + 4 * rank;
  const elementSize = array.dtype === 'uint8' ? 1 : 4;
  const bytes = new Uint8Array(headerLength + array.data.length * elementSize);
  const view = new DataView(bytes.buffer);
  bytes[2] = array.dtype === 'uint8' ? 0x08 : 0x0c;
  bytes[3] = rank;
  array.shape.forEach((size, d) => view.setUint32(4 + 4 * d, size, false));
  if (array.dtype === 'uint8') bytes.set(array.data, headerLength);
  else for (let i = 0; i < array.data.length; i++) view.setInt32(headerLength + 4 * i, array.data[i]!, false);
  return bytes;
}
