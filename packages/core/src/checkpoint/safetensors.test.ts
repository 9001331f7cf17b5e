import { describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import {
  CheckpointError,
  decodeSafetensors,
  encodeSafetensors,
  fromHost,
  getBackend,
  scalar,
  tensor,
  tensorsFromSafetensors,
  zeros,
  type Tensor,
} from '@myelin/core';

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

describe('encodeSafetensors: exact bytes', () => {
  it('writes a one-tensor file byte for byte as the spec lays it out', async () => {
    const a = tensor([1, -2], { dtype: 'int32' });
    const bytes = await encodeSafetensors({ a });
    const header = '{"a":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}'; // 54 bytes, padded to 56
    const expected = [
      56,
      0,
      0,
      0,
      0,
      0,
      0,
      0, // header length, u64 little-endian
      ...ascii(header),
      0x20,
      0x20, // JSON header padded with spaces to a multiple of 8
      1,
      0,
      0,
      0,
      0xfe,
      0xff,
      0xff,
      0xff, // int32 1 and -2, little-endian
    ];
    expect([...bytes]).toEqual(expected);
    a.dispose();
  });

  it('writes metadata first, then tensors largest element first, each offset aligned', async () => {
    const flag = tensor([true, false, true]);
    const w = scalar(1.5);
    const d = fromHost(new Float64Array([0.25]), [1]);
    const bytes = await encodeSafetensors({ flag, w, d }, { format: 'pt' });
    const length = bytes[0]!;
    expect(length % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + length)).trimEnd();
    expect(text).toBe(
      '{"__metadata__":{"format":"pt"},' +
        '"d":{"dtype":"F64","shape":[1],"data_offsets":[0,8]},' +
        '"w":{"dtype":"F32","shape":[],"data_offsets":[8,12]},' +
        '"flag":{"dtype":"BOOL","shape":[3],"data_offsets":[12,15]}}',
    );
    const data = bytes.subarray(8 + length);
    expect([...data]).toEqual([0, 0, 0, 0, 0, 0, 0xd0, 0x3f, 0, 0, 0xc0, 0x3f, 1, 0, 1]);
    for (const t of [flag, w, d]) t.dispose();
  });

  it('writes an empty file as the header {} padded to 8 bytes', async () => {
    expect([...(await encodeSafetensors({}))]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, ...ascii('{}      ')]);
  });

  it('refuses a disposed tensor, a reserved name and non-string metadata', async () => {
    const t = zeros([2]);
    t.dispose();
    await expect(encodeSafetensors({ w: t })).rejects.toThrow(/tensor 'w' of shape \[2\] was disposed/);
    const u = zeros([1]);
    await expect(encodeSafetensors({ __metadata__: u })).rejects.toThrow(CheckpointError);
    await expect(encodeSafetensors({ u }, { step: 3 as unknown as string })).rejects.toThrow(
      /metadata 'step' is number 3; .*must be strings/,
    );
    await expect(encodeSafetensors({ u: [1, 2] as unknown as Tensor })).rejects.toThrow(
      /'u' is an array, expected a Tensor/,
    );
    u.dispose();
  });
});

describe('safetensors round trip', () => {
  it('keeps every dtype, value and shape, including scalars, size-0 tensors and special floats', async () => {
    const sources: Record<string, Tensor> = {
      f32: fromHost(
        new Float32Array([0, -0, 1.5, -3.25, NaN, Infinity, -Infinity, 1e-40, 3.4e38, Math.fround(0.1)]),
        [2, 5],
      ),
      f64: fromHost(new Float64Array([Math.PI, -1e-300, 5e-324, Number.MAX_VALUE]), [4]),
      i32: fromHost(new Int32Array([0, 1, -1, 2147483647, -2147483648, 12345]), [3, 1, 2]),
      b: tensor([
        [true, false],
        [false, true],
      ]),
      scalarF32: scalar(7.5),
      scalarI32: scalar(-9, { dtype: 'int32' }),
      scalarBool: scalar(1, { dtype: 'bool' }),
      empty: zeros([0]),
      empty3d: zeros([2, 0, 3], { dtype: 'int32' }),
      '0': scalar(1), // an integer-like name keeps its place in the header
      'ünïcödé/名前.weight': zeros([1]),
    };
    const metadata = { format: 'pt', note: 'ünïcödé "quoted" \n newline' };
    const decoded = decodeSafetensors(await encodeSafetensors(sources, metadata));
    expect(decoded.metadata).toEqual(metadata);
    expect(Object.keys(decoded.tensors).sort()).toEqual(Object.keys(sources).sort());
    for (const [name, t] of Object.entries(sources)) {
      const got = decoded.tensors[name]!;
      expect(got.dtype, name).toBe(t.dtype);
      expect(got.shape, name).toEqual([...t.shape]);
      expect(got.data.constructor, name).toBe((await t.data()).constructor);
      expect([...got.data], name).toEqual([...(await t.data())]);
      if (name === 'f32') expect(Object.is(got.data[1], -0)).toBe(true);
    }
    for (const t of Object.values(sources)) t.dispose();
  });

  it('decodes without metadata to {}, and makes tensors on a backend without leaking', async () => {
    const backend = getBackend();
    const w = fromHost(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const decoded = decodeSafetensors(await encodeSafetensors({ w }));
    expect(decoded.metadata).toEqual({});
    const before = backend.liveHandles();
    const tensors = tensorsFromSafetensors(decoded, { backend });
    expect(backend.liveHandles()).toBe(before + 1);
    expect(await tensors.w!.array()).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    tensors.w!.dispose();
    w.dispose();
    expect(backend.liveHandles()).toBe(before - 1);
  });

  it('decodes from a view into a larger buffer at an odd offset, copying the data out', async () => {
    const w = fromHost(new Float32Array([1.25, -2.5]), [2]);
    const file = await encodeSafetensors({ w });
    const host = new Uint8Array(file.length + 3);
    host.set(file, 3);
    const decoded = decodeSafetensors(host.subarray(3));
    expect([...decoded.tensors.w!.data]).toEqual([1.25, -2.5]);
    host.fill(0);
    expect([...decoded.tensors.w!.data]).toEqual([1.25, -2.5]);
    w.dispose();
  });

  it('reads any nonzero BOOL byte as true, like numpy and torch', () => {
    const header = '{"b":{"dtype":"BOOL","shape":[3],"data_offsets":[0,3]}}';
    const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
    const bytes = new Uint8Array([padded.length, 0, 0, 0, 0, 0, 0, 0, ...ascii(padded), 0, 7, 255]);
    expect([...decodeSafetensors(bytes).tensors.b!.data]).toEqual([0, 1, 1]);
  });

  it("loads I64 (PyTorch's class targets) as int32 when every value fits, and names a value that does not", () => {
    const i64File = (values: bigint[]): Uint8Array => {
      const header = `{"y":{"dtype":"I64","shape":[${values.length}],"data_offsets":[0,${values.length * 8}]}}`;
      const padded = header.padEnd(Math.ceil(header.length / 8) * 8, ' ');
      const data = new Uint8Array(values.length * 8);
      values.forEach((v, i) => new DataView(data.buffer).setBigInt64(i * 8, v, true));
      return new Uint8Array([padded.length, 0, 0, 0, 0, 0, 0, 0, ...ascii(padded), ...data]);
    };
    const decoded = decodeSafetensors(i64File([0n, 9n, -2147483648n, 2147483647n])).tensors.y!;
    expect(decoded.dtype).toBe('int32');
    expect(decoded.data).toEqual(new Int32Array([0, 9, -2147483648, 2147483647]));
    expect(() => decodeSafetensors(i64File([1n, 3000000000n]), { source: 'targets.safetensors' })).toThrow(
      /^targets\.safetensors: tensor 'y': I64 value 3000000000 at index 1 does not fit in int32 \(-2147483648\.\.2147483647\)/,
    );
  });
});
