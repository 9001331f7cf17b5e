import { Generator } from '@myelin/core';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DataError } from './errors.js';
import { readCsv } from './node/tables.js';
import { readIdx } from './node/idx.js';
import { parseCsv } from './sources/csv.js';
import { decodeIdx, encodeIdx, parseIdx } from './sources/idx.js';

// Random and truncated bytes must only ever produce a DataError (or a valid result), never a
// RangeError, TypeError or a crash deep inside a reader.
const generator = new Generator(20240601);
const randomBytes = (length: number): Uint8Array =>
  Uint8Array.from(generator.integers(Math.max(1, length), 0, 256)).subarray(0, length);
const pick = (n: number): number => generator.integers(1, 0, n)[0]!;

function collectUnexpected(run: () => unknown, found: unknown[]): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof DataError)) found.push(error);
  }
}

async function collectUnexpectedAsync(run: () => Promise<unknown>, found: unknown[]): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (!(error instanceof DataError)) found.push(error);
  }
}

const validIdx = encodeIdx({ data: new Uint8Array(4 * 5 * 3).map((_, i) => i), shape: [4, 5, 3], dtype: 'uint8' });
const validCsv = 'a,b,label\n1.5,2,0\n3,-4e2,1\n# comment\n5,6,2\n';

describe('fuzz: the IDX readers raise only DataError', () => {
  it('on random bytes, random headers, every truncation and corrupted files', () => {
    const unexpected: unknown[] = [];
    for (let i = 0; i < 2000; i++) collectUnexpected(() => parseIdx(randomBytes(pick(64))), unexpected);
    for (let i = 0; i < 2000; i++) {
      // A plausible header (magic, any type byte, small rank) over random dimensions and data.
      const bytes = randomBytes(4 + pick(40));
      bytes[0] = 0;
      bytes[1] = 0;
      bytes[2] = [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, pick(256)][pick(7)]!;
      bytes[3] = pick(5);
      collectUnexpected(() => parseIdx(bytes), unexpected);
    }
    for (let length = 0; length <= validIdx.length; length++)
      collectUnexpected(() => parseIdx(validIdx.subarray(0, length)), unexpected);
    for (let i = 0; i < 1000; i++) {
      const corrupted = validIdx.slice();
      corrupted[pick(16)] = pick(256);
      collectUnexpected(() => parseIdx(corrupted), unexpected);
    }
    expect(unexpected).toEqual([]);
  });

  it('on truncated and corrupted gzip, in the browser-safe and the Node reader', async () => {
    const zipped = gzipSync(validIdx);
    const unexpected: unknown[] = [];
    for (let length = 2; length < zipped.length; length += 3)
      await collectUnexpectedAsync(() => decodeIdx(zipped.subarray(0, length)), unexpected);
    for (let i = 0; i < 100; i++) {
      const corrupted = zipped.slice();
      corrupted[2 + pick(zipped.length - 2)] = pick(256);
      await collectUnexpectedAsync(() => decodeIdx(corrupted), unexpected);
    }
    const directory = await mkdtemp(join(tmpdir(), 'myelin-fuzz-'));
    try {
      for (let i = 0; i < 30; i++) {
        const path = join(directory, `f${i}.gz`);
        const bytes =
          i % 2 === 0
            ? zipped.subarray(0, 2 + pick(zipped.length - 2))
            : Uint8Array.from([0x1f, 0x8b, ...randomBytes(pick(50))]);
        await writeFile(path, bytes);
        await collectUnexpectedAsync(() => readIdx(path), unexpected);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    expect(unexpected).toEqual([]);
  });
});

describe('fuzz: the CSV readers raise only DataError', () => {
  it('on random bytes, random numeric-looking text and every truncation', async () => {
    const unexpected: unknown[] = [];
    const decoder = new TextDecoder();
    for (let i = 0; i < 1000; i++) collectUnexpected(() => parseCsv(decoder.decode(randomBytes(pick(80)))), unexpected);
    const alphabet = '0123456789.-+eE,;\t \n\r#"abxNaI';
    for (let i = 0; i < 3000; i++) {
      const text = Array.from({ length: pick(60) }, () => alphabet[pick(alphabet.length)]).join('');
      const options = [
        {},
        { header: false },
        { labelColumn: 0 },
        { targetDtype: 'int32' as const },
        { delimiter: 'whitespace' as const },
      ][pick(5)]!;
      collectUnexpected(() => parseCsv(text, options), unexpected);
    }
    for (let length = 0; length <= validCsv.length; length++)
      collectUnexpected(() => parseCsv(validCsv.slice(0, length), { labelColumn: 'label' }), unexpected);
    const directory = await mkdtemp(join(tmpdir(), 'myelin-fuzz-csv-'));
    try {
      for (let i = 0; i < 20; i++) {
        const path = join(directory, `t${i}.csv${i % 2 ? '.gz' : ''}`);
        const bytes = randomBytes(pick(100));
        await writeFile(path, i % 2 ? Uint8Array.from([0x1f, 0x8b, ...bytes]) : bytes);
        await collectUnexpectedAsync(() => readCsv(path), unexpected);
      }
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
    expect(unexpected).toEqual([]);
  });
});
