import type { Backend, DType, TypedArray } from '../backend/contract.js';
import { fromHost } from '../tensor/creation.js';
import type { Tensor } from '../tensor/tensor.js';
import { CheckpointError } from './errors.js';

/**
 * safetensors (https://github.com/huggingface/safetensors), byte for byte:
 *   [8 bytes: N, little-endian u64] [N bytes: UTF-8 JSON header, space-padded to N % 8 == 0] [data]
 * header = { "__metadata__"?: {string: string}, name: { dtype, shape, data_offsets: [begin, end] } },
 * offsets relative to the first data byte, tensors contiguous and row-major little-endian.
 */

/** The safetensors dtype names Myelin reads and writes, by Myelin dtype. */
export const SAFETENSORS_DTYPES: Readonly<Record<DType, string>> = {
  float32: 'F32',
  float64: 'F64',
  int32: 'I32',
  bool: 'BOOL',
};
const FROM_SAFETENSORS: Readonly<Record<string, DType>> = {
  F32: 'float32',
  F64: 'float64',
  I32: 'int32',
  I64: 'int32', // PyTorch's class targets: loaded as int32 when every value fits (readI64)
  BOOL: 'bool',
};
/** Other dtypes of the spec: named in errors so a user knows the file is valid but not loadable here. */
const OTHER_SPEC_DTYPES = ['F16', 'BF16', 'F8_E4M3', 'F8_E5M2', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8'];
const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = { float32: 4, float64: 8, int32: 4, bool: 1 };
/** The reference implementation refuses larger headers; so do we (it bounds the allocation). */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = '__metadata__';
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface DecodedTensor {
  dtype: DType;
  shape: number[];
  /** A fresh, aligned copy the caller owns. */
  data: TypedArray;
}

export interface DecodedSafetensors {
  /** In data order (the order of `data_offsets`). */
  tensors: Record<string, DecodedTensor>;
  metadata: Record<string, string>;
}

/** Host data ready to encode: what `encodeSafetensors` reads from each tensor. */
export interface HostTensor {
  dtype: DType;
  shape: readonly number[];
  data: TypedArray;
}

/**
 * Encodes tensors as a safetensors file. Tensors are laid out by element size, largest first
 * (stable, so stateDict order within a dtype), as the reference implementation does: every
 * tensor then starts at an offset aligned to its element size, which PyTorch's loader needs.
 */
export async function encodeSafetensors(
  tensors: Record<string, Tensor>,
  metadata?: Record<string, string>,
): Promise<Uint8Array> {
  const host: Record<string, HostTensor> = {};
  for (const [name, t] of Object.entries(tensors)) {
    if (t === null || typeof t !== 'object' || !(t as { isMyelinTensor?: boolean }).isMyelinTensor) {
      throw new CheckpointError(`encodeSafetensors: '${name}' is ${describe(t)}, expected a Tensor`);
    }
    if (t.isDisposed)
      throw new CheckpointError(`encodeSafetensors: tensor '${name}' of shape [${t.shape.join(',')}] was disposed`);
    host[name] = { dtype: t.dtype, shape: t.shape, data: await t.data() };
  }
  return encodeHostSafetensors(host, metadata);
}

/** `encodeSafetensors` for values already on the host. */
export function encodeHostSafetensors(
  tensors: Record<string, HostTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Object.entries(tensors);
  for (const [name, { dtype, shape, data }] of entries) {
    if (name === METADATA_KEY)
      throw new CheckpointError(
        `encodeSafetensors: '${METADATA_KEY}' is reserved for metadata and cannot name a tensor`,
      );
    if (!(dtype in SAFETENSORS_DTYPES))
      throw new CheckpointError(
        `encodeSafetensors: tensor '${name}' has dtype ${dtype}, expected one of ${Object.keys(SAFETENSORS_DTYPES).join(', ')}`,
      );
    const size = shape.reduce((a, b) => a * b, 1);
    if (data.length !== size)
      throw new CheckpointError(
        `encodeSafetensors: tensor '${name}' has ${data.length} values for shape [${shape.join(',')}] (${size} elements)`,
      );
  }
  for (const [key, value] of Object.entries(metadata ?? {})) {
    if (typeof value !== 'string')
      throw new CheckpointError(
        `encodeSafetensors: metadata '${key}' is ${describe(value)}; safetensors metadata values must be strings`,
      );
  }
  const ordered = entries
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => BYTES_PER_ELEMENT[b.entry[1].dtype] - BYTES_PER_ELEMENT[a.entry[1].dtype] || a.index - b.index)
    .map(({ entry }) => entry);
  // Built by hand, not JSON.stringify(object): an integer-like name would jump to the front of an object.
  const parts: string[] = [];
  if (metadata !== undefined) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  let offset = 0;
  for (const [name, { dtype, data }] of ordered) {
    const shape = tensors[name]!.shape;
    const end = offset + data.length * BYTES_PER_ELEMENT[dtype];
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${SAFETENSORS_DTYPES[dtype]}","shape":[${shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let cursor = 8 + headerLength;
  for (const [, { dtype, data }] of ordered) {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    out.set(bytes, cursor);
    if (dtype === 'bool') for (let i = cursor; i < cursor + bytes.length; i++) out[i] = out[i] ? 1 : 0;
    else if (!hostIsLittleEndian) swapBytes(out, cursor, bytes.length, BYTES_PER_ELEMENT[dtype]);
    cursor += bytes.length;
  }
  return out;
}

/**
 * Parses and validates a safetensors file. Anything malformed (too short, a header length
 * beyond the file, bad UTF-8 or JSON, an unknown dtype, a shape that does not match its
 * offsets, overlapping, gapped or out-of-bounds offsets, trailing bytes) throws a
 * CheckpointError naming the problem; `source` (a file name) prefixes every message.
 */
export function decodeSafetensors(bytes: Uint8Array, options: { source?: string } = {}): DecodedSafetensors {
  const source = options.source ?? 'safetensors';
  const fail: (problem: string) => never = (problem) => {
    throw new CheckpointError(`${source}: ${problem}`, { file: source });
  };
  if (!(bytes instanceof Uint8Array)) fail(`expected a Uint8Array of file bytes, got ${describe(bytes)}`);
  if (bytes.length < 8)
    fail(`too short: ${bytes.length} bytes, a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8)
    fail(
      `header length ${headerLength} reaches beyond the file (${bytes.length - 8} bytes follow the length field): truncated or not a safetensors file`,
    );
  if (headerLength > MAX_HEADER_BYTES) fail(`header length ${headerLength} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength < 2 || bytes[8] !== 0x7b)
    fail(
      `the header must be a JSON object starting with '{', got ${headerLength === 0 ? 'an empty header' : `byte 0x${bytes[8]!.toString(16).padStart(2, '0')}`}`,
    );
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail(`the ${headerLength}-byte header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(header)) fail(`the header must be a JSON object, got ${describe(header)}`);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata = readMetadata((header as Record<string, unknown>)[METADATA_KEY], fail);
  const infos: { name: string; dtype: DType; wide: boolean; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA_KEY) continue;
    if (!isPlainObject(info)) fail(`tensor '${name}': expected {dtype, shape, data_offsets}, got ${describe(info)}`);
    const { dtype: rawDtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
    if (typeof rawDtype !== 'string') fail(`tensor '${name}': dtype must be a string, got ${describe(rawDtype)}`);
    const dtype = FROM_SAFETENSORS[rawDtype as string];
    if (dtype === undefined) {
      const known = OTHER_SPEC_DTYPES.includes(rawDtype as string);
      fail(
        `tensor '${name}': ${known ? 'dtype' : 'unknown dtype'} '${rawDtype}'${known ? ' is not one Myelin loads' : ''}; expected one of ${Object.keys(FROM_SAFETENSORS).join(', ')}`,
      );
    }
    if (!Array.isArray(shape) || !shape.every(isCount))
      fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount))
      fail(`tensor '${name}': data_offsets must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`tensor '${name}': data_offsets [${begin},${end}] end before they begin`);
    if (end > dataLength)
      fail(
        `tensor '${name}': data_offsets [${begin},${end}] reach beyond the ${dataLength} data bytes (truncated file?)`,
      );
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = size * (rawDtype === 'I64' ? 8 : BYTES_PER_ELEMENT[dtype!]);
    if (end - begin !== expected)
      fail(
        `tensor '${name}': shape [${(shape as number[]).join(',')}] of ${rawDtype} needs ${expected} bytes, data_offsets [${begin},${end}] hold ${end - begin}`,
      );
    infos.push({ name, dtype: dtype!, wide: rawDtype === 'I64', shape: shape as number[], begin, end });
  }
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const info of infos) {
    if (info.begin < covered)
      fail(
        `tensor '${info.name}': data_offsets [${info.begin},${info.end}] overlap the previous tensor, which ends at ${covered}`,
      );
    if (info.begin > covered)
      fail(
        `tensor '${info.name}': data_offsets begin at ${info.begin}, leaving a gap after byte ${covered}; tensors must be contiguous`,
      );
    covered = info.end;
  }
  if (covered !== dataLength)
    fail(`${dataLength - covered} trailing bytes after the last tensor (data ends at ${covered} of ${dataLength})`);
  const tensors: Record<string, DecodedTensor> = {};
  for (const { name, dtype, wide, shape, begin, end } of infos) {
    const data = bytes.subarray(dataStart + begin, dataStart + end);
    tensors[name] = { dtype, shape, data: wide ? readI64(data, name, fail) : readData(data, dtype) };
  }
  return { tensors, metadata };
}

/** Makes tensors (owned by the caller) from decoded safetensors; frees them all if one fails. */
export function tensorsFromSafetensors(
  decoded: DecodedSafetensors,
  options: { backend?: Backend | string } = {},
): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  try {
    for (const [name, { dtype, shape, data }] of Object.entries(decoded.tensors)) {
      out[name] = fromHost(data, shape, {
        dtype,
        ...(options.backend === undefined ? {} : { backend: options.backend }),
      });
    }
  } catch (error) {
    for (const t of Object.values(out)) t.dispose();
    throw error;
  }
  return out;
}

function readMetadata(value: unknown, fail: (problem: string) => never): Record<string, string> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) return fail(`'${METADATA_KEY}' must be an object of strings, got ${describe(value)}`);
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (typeof item !== 'string') fail(`'${METADATA_KEY}.${key}' must be a string, got ${describe(item)}`);
  }
  return { ...(value as Record<string, string>) };
}

function readData(bytes: Uint8Array, dtype: DType): TypedArray {
  const copy = new Uint8Array(bytes.length); // a fresh buffer: aligned, and the caller's to keep
  copy.set(bytes); // not bytes.slice(): on a Node Buffer that is a view, not a copy
  if (dtype === 'bool') {
    for (let i = 0; i < copy.length; i++) copy[i] = copy[i] ? 1 : 0; // numpy/torch read any nonzero byte as true
    return copy;
  }
  if (!hostIsLittleEndian) swapBytes(copy, 0, copy.length, BYTES_PER_ELEMENT[dtype]);
  if (dtype === 'float32') return new Float32Array(copy.buffer, 0, copy.length / 4);
  if (dtype === 'float64') return new Float64Array(copy.buffer, 0, copy.length / 8);
  return new Int32Array(copy.buffer, 0, copy.length / 4);
}

/** I64 data as int32 values, or a CheckpointError naming the first value that does not fit. */
function readI64(bytes: Uint8Array, name: string, fail: (problem: string) => never): Int32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) {
    const value = view.getBigInt64(i * 8, true);
    if (value < -2147483648n || value > 2147483647n)
      fail(
        `tensor '${name}': I64 value ${value} at index ${i} does not fit in int32 (-2147483648..2147483647); Myelin loads I64 tensors as int32 when every value fits`,
      );
    out[i] = Number(value);
  }
  return out;
}

function swapBytes(bytes: Uint8Array, start: number, length: number, width: number): void {
  for (let i = start; i < start + length; i += width) bytes.subarray(i, i + width).reverse();
}

function isCount(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  if (typeof value === 'object')
    return (value as { isMyelinTensor?: boolean }).isMyelinTensor ? 'a Tensor' : 'an object';
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  return `${typeof value} ${String(value)}`;
}
