import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import '@myelin/backend-cpu-reference';
import { decodeSafetensors, encodeSafetensors, fromHost, scalar, tensor, type Tensor } from '@myelin/core';

// Proves the files are real safetensors by reading them with an independent parser: Python's
// standard library plus numpy, following the spec (no safetensors package needed), and by
// decoding a file that Python wrote.

/** Debian's python3 first, then the one on PATH; the first that has numpy runs the test. */
function findPython(): { python: string } | { reason: string } {
  const tried: string[] = [];
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const probe = spawnSync(candidate, ['-c', 'import numpy'], { encoding: 'utf8' });
    if (probe.status === 0) return { python: candidate };
    tried.push(probe.error ? `${candidate}: not found` : `${candidate}: no numpy`);
  }
  return { reason: `python3 with numpy is needed to check interop (${tried.join('; ')})` };
}

const READ_SCRIPT = String.raw`
import json, struct, sys
import numpy as np
DTYPES = {'F32': '<f4', 'F64': '<f8', 'I32': '<i4', 'BOOL': '?'}
with open(sys.argv[1], 'rb') as f:
    raw = f.read()
(n,) = struct.unpack('<Q', raw[:8])
assert n % 8 == 0, 'header length must be a multiple of 8'
header = json.loads(raw[8:8 + n].decode('utf-8'))
data = raw[8 + n:]
metadata = header.pop('__metadata__', {})
out = {}
end = 0
for name, info in sorted(header.items(), key=lambda item: item[1]['data_offsets']):
    begin, stop = info['data_offsets']
    assert begin == end, 'tensors must be contiguous'
    dtype = np.dtype(DTYPES[info['dtype']])
    assert (8 + n + begin) % dtype.itemsize == 0, 'each tensor starts aligned to its element size'
    count = int(np.prod(info['shape'], dtype=np.int64))
    array = np.frombuffer(data, dtype=dtype, count=count, offset=begin).reshape(info['shape'])
    assert array.nbytes == stop - begin
    out[name] = {'dtype': str(array.dtype), 'shape': list(array.shape), 'values': array.reshape(-1).tolist()}
    end = stop
assert end == len(data), 'no trailing bytes'
print(json.dumps({'metadata': metadata, 'tensors': out}))
`;

const WRITE_SCRIPT = String.raw`
import json, struct, sys
import numpy as np
tensors = {
    'fc.weight': np.arange(6, dtype='<f4').reshape(2, 3) / 4,
    'fc.bias': np.array([-1.5, 2.25], dtype='<f8'),
    'steps': np.array(7, dtype='<i4'),
    'mask': np.array([True, False, True]),
}
header, blobs, offset = {'__metadata__': {'source': 'numpy'}}, [], 0
for name, array in tensors.items():
    blob = array.tobytes()
    kind = {'float32': 'F32', 'float64': 'F64', 'int32': 'I32', 'bool': 'BOOL'}[str(array.dtype)]
    header[name] = {'dtype': kind, 'shape': list(array.shape), 'data_offsets': [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
text = json.dumps(header).encode('utf-8')
text += b' ' * (-len(text) % 8)
with open(sys.argv[1], 'wb') as f:
    f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))
`;

// ./setup installs python3-numpy, and `pnpm test` checks for it before it starts: a missing
// numpy fails here with its reason instead of skipping.
const found = findPython();

describe('safetensors interop with Python + numpy', () => {
  const python = 'python' in found ? found.python : '';
  it('finds python3 with numpy', () => {
    expect('reason' in found ? found.reason : 'found').toBe('found');
  });
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'myelin-python-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  const run = (script: string, file: string): string => {
    const result = spawnSync(python, ['-c', script, file], { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${python} failed (${result.status}): ${result.stderr}`);
    return result.stdout;
  };

  it('numpy reads what Myelin writes: same dtypes, shapes and values', async () => {
    const tensors: Record<string, Tensor> = {
      '0.weight': fromHost(new Float32Array([0.1, -0.2, 1e-40, -0, 3.4e38, 0.5]), [2, 3]),
      '0.bias': fromHost(new Float64Array([Math.PI, -1e-300]), [2]),
      count: scalar(-123456789, { dtype: 'int32' }),
      mask: tensor([
        [true, false],
        [false, true],
      ]),
      empty: fromHost(new Float32Array(0), [0, 3]),
      flag: tensor([true]), // a 1-byte tensor before 4-byte ones in stateDict order
      last: fromHost(new Int32Array([2147483647, -2147483648]), [2]),
    };
    const file = join(directory, 'model.safetensors');
    await writeFile(file, await encodeSafetensors(tensors, { format: 'pt', note: 'ünïcödé' }));
    const parsed = JSON.parse(run(READ_SCRIPT, file)) as {
      metadata: Record<string, string>;
      tensors: Record<string, { dtype: string; shape: number[]; values: (number | boolean)[] }>;
    };
    expect(parsed.metadata).toEqual({ format: 'pt', note: 'ünïcödé' });
    const numpyDtype = { float32: 'float32', float64: 'float64', int32: 'int32', bool: 'bool' } as const;
    expect(Object.keys(parsed.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      const got = parsed.tensors[name]!;
      expect(got.dtype, name).toBe(numpyDtype[t.dtype]);
      expect(got.shape, name).toEqual([...t.shape]);
      const expected = [...(await t.data())].map((v) => (t.dtype === 'bool' ? v !== 0 : v));
      expect(got.values, name).toEqual(expected);
      t.dispose();
    }
    expect(Object.is(parsed.tensors['0.weight']!.values[3], -0)).toBe(true);
  });

  it('Myelin reads what numpy writes', async () => {
    const file = join(directory, 'from-numpy.safetensors');
    run(WRITE_SCRIPT, file);
    const decoded = decodeSafetensors(await readFile(file), { source: file });
    expect(decoded.metadata).toEqual({ source: 'numpy' });
    expect(decoded.tensors['fc.weight']).toEqual({
      dtype: 'float32',
      shape: [2, 3],
      data: new Float32Array([0, 0.25, 0.5, 0.75, 1, 1.25]),
    });
    expect(decoded.tensors['fc.bias']).toEqual({ dtype: 'float64', shape: [2], data: new Float64Array([-1.5, 2.25]) });
    expect(decoded.tensors.steps).toEqual({ dtype: 'int32', shape: [], data: new Int32Array([7]) });
    expect(decoded.tensors.mask).toEqual({ dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) });
  });
});
