import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { CheckpointError, decodeSafetensors, encodeSafetensors, fromHost, tensor } from '@myelin/core';

/** A file from a header string (space-padded to a multiple of 8) and data bytes; `declaredLength` overrides the length field. */
function rawFile(header: string, data: ArrayLike<number> = [], declaredLength?: number): Uint8Array {
  const json = new TextEncoder().encode(header);
  const padded = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + padded + data.length).fill(0x20, 8, 8 + padded);
  new DataView(out.buffer).setUint32(0, declaredLength ?? padded, true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + padded);
  return out;
}

const entry = (dtype: string, shape: number[], begin: number, end: number): string =>
  `{"dtype":"${dtype}","shape":${JSON.stringify(shape)},"data_offsets":[${begin},${end}]}`;

function expectCheckpointError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    decodeSafetensors(bytes, { source: 'model.safetensors' });
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(CheckpointError);
  expect((caught as Error).message).toMatch(/^model\.safetensors: /);
  expect((caught as Error).message).toMatch(pattern);
  expect((caught as CheckpointError).file).toBe('model.safetensors');
}

/** mulberry32: a tiny seeded PRNG so the fuzz cases are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function validFile(): Promise<Uint8Array> {
  const tensors = {
    'layer.weight': fromHost(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]),
    'layer.bias': fromHost(new Float64Array([0.5, -0.5]), [2]),
    steps: tensor([3, 4], { dtype: 'int32' }),
    mask: tensor([true, false, true]),
  };
  const bytes = await encodeSafetensors(tensors, { format: 'pt' });
  for (const t of Object.values(tensors)) t.dispose();
  return bytes;
}

describe('decodeSafetensors refuses malformed files with a CheckpointError naming the problem', () => {
  it('too short to hold the header length', () => {
    for (let length = 0; length < 8; length++)
      expectCheckpointError(new Uint8Array(length), new RegExp(`too short: ${length} bytes`));
  });

  it('a header length beyond the file, or over the 100 MB limit', () => {
    expectCheckpointError(rawFile('{}', [], 64), /header length 64 reaches beyond the file \(8 bytes follow/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setUint32(4, 1, true); // 2^32
    expectCheckpointError(huge, /header length 4294967296 reaches beyond the file/);
  });

  it('a header that is empty, not an object, not UTF-8 or not JSON', () => {
    expectCheckpointError(rawFile('', [], 0), /must be a JSON object starting with '\{', got an empty header/);
    expectCheckpointError(rawFile('[1, 2]'), /starting with '\{', got byte 0x5b/);
    expectCheckpointError(rawFile('{"a": '), /header is not valid UTF-8 JSON/);
    const badUtf8 = rawFile('{"\u00ff": 1}');
    badUtf8[11] = 0xff; // a lone continuation-less lead byte
    expectCheckpointError(badUtf8, /not valid UTF-8 JSON/);
    expectCheckpointError(rawFile('{} {}'), /not valid UTF-8 JSON/);
  });

  it('bad entries: not an object, unknown or unsupported dtype, bad shape or offsets', () => {
    expectCheckpointError(rawFile('{"a":1}'), /tensor 'a': expected \{dtype, shape, data_offsets\}, got number 1/);
    expectCheckpointError(
      rawFile(`{"a":${entry('Q7', [1], 0, 4)}}`, [0, 0, 0, 0]),
      /tensor 'a': unknown dtype 'Q7'; expected one of F32, F64, I32, I64, BOOL/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F16', [2], 0, 4)}}`, [0, 0, 0, 0]),
      /tensor 'a': dtype 'F16' is not one Myelin loads/,
    );
    expectCheckpointError(
      rawFile('{"a":{"dtype":5,"shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /dtype must be a string, got number 5/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [-1], 0, 4)}}`, [0, 0, 0, 0]),
      /shape must be an array of non-negative integers, got \[-1\]/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [1.5], 0, 4)}}`, [0, 0, 0, 0]),
      /shape must be an array of non-negative integers/,
    );
    expectCheckpointError(
      rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', [0, 0, 0, 0]),
      /data_offsets must be \[begin, end\]/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [1], 4, 0)}}`, [0, 0, 0, 0]),
      /data_offsets \[4,0\] end before they begin/,
    );
  });

  it('a shape that does not match its offsets', () => {
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [2, 3], 0, 20)}}`, new Array(20).fill(0)),
      /tensor 'a': shape \[2,3\] of F32 needs 24 bytes, data_offsets \[0,20\] hold 20/,
    );
  });

  it('out-of-bounds, overlapping and gapped offsets, and trailing bytes', () => {
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [2], 0, 8)}}`, [0, 0, 0, 0]),
      /data_offsets \[0,8\] reach beyond the 4 data bytes/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [2], 0, 8)},"b":${entry('F32', [1], 4, 8)}}`, new Array(8).fill(0)),
      /tensor 'b': data_offsets \[4,8\] overlap the previous tensor, which ends at 8/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [1], 4, 8)}}`, new Array(8).fill(0)),
      /begin at 4, leaving a gap after byte 0/,
    );
    expectCheckpointError(
      rawFile(`{"a":${entry('F32', [1], 0, 4)}}`, new Array(7).fill(0)),
      /3 trailing bytes after the last tensor \(data ends at 4 of 7\)/,
    );
    expectCheckpointError(rawFile('{}', [1]), /1 trailing bytes/);
  });

  it('metadata that is not an object of strings', () => {
    expectCheckpointError(
      rawFile('{"__metadata__":{"step":3}}'),
      /'__metadata__\.step' must be a string, got number 3/,
    );
    expectCheckpointError(rawFile('{"__metadata__":[]}'), /'__metadata__' must be an object of strings, got an array/);
  });

  it('accepts size-0 tensors sharing an offset, and whitespace padding other than spaces', () => {
    const decoded = decodeSafetensors(
      rawFile(`{"a":${entry('F32', [0], 0, 0)},"b":${entry('I32', [2, 0], 0, 0)}}\n\t`),
    );
    expect(decoded.tensors.a!.shape).toEqual([0]);
    expect(decoded.tensors.b!.data).toBeInstanceOf(Int32Array);
  });
});

describe('decodeSafetensors fuzz: nothing but CheckpointError ever comes out', () => {
  const decodeOrCheckpointError = (bytes: Uint8Array): 'ok' | 'refused' => {
    try {
      decodeSafetensors(bytes);
      return 'ok';
    } catch (error) {
      if (!(error instanceof CheckpointError))
        throw new Error(`expected a CheckpointError, got ${String(error)}`, { cause: error });
      return 'refused';
    }
  };

  it('refuses the file truncated at every length', async () => {
    const file = await validFile();
    for (let length = 0; length < file.length; length++)
      expect(decodeOrCheckpointError(file.subarray(0, length))).toBe('refused');
    expect(decodeOrCheckpointError(file)).toBe('ok');
  });

  it('decodes or refuses every single-byte corruption of the header and length', async () => {
    const file = await validFile();
    const headerEnd = 8 + new DataView(file.buffer).getUint32(0, true);
    const random = seeded(1234);
    for (let position = 0; position < headerEnd; position++) {
      for (const value of [
        0,
        0x20,
        0x7b,
        0x7d,
        0x22,
        0x30 + (position % 10),
        Math.floor(random() * 256),
        file[position]! ^ 0x80,
      ]) {
        const corrupt = file.slice();
        corrupt[position] = value;
        decodeOrCheckpointError(corrupt);
      }
    }
  });

  it('refuses or decodes random bytes, random headers and extra bytes', async () => {
    const random = seeded(99);
    for (let i = 0; i < 2000; i++) {
      const bytes = new Uint8Array(Math.floor(random() * 96));
      for (let j = 0; j < bytes.length; j++) bytes[j] = Math.floor(random() * 256);
      if (bytes.length >= 8 && random() < 0.5)
        new DataView(bytes.buffer).setUint32(0, Math.floor(random() * (bytes.length - 7)), true);
      if (bytes.length >= 9 && random() < 0.5) bytes[8] = 0x7b;
      decodeOrCheckpointError(bytes);
    }
    const file = await validFile();
    const longer = new Uint8Array(file.length + 1);
    longer.set(file);
    expect(decodeOrCheckpointError(longer)).toBe('refused');
  });
});
