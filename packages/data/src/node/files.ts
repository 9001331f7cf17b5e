import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { gunzip as zlibGunzip } from 'node:zlib';
import { DataError } from '../errors.js';
import { isGzip } from '../sources/gzip.js';

const gunzipAsync = promisify(zlibGunzip);

/** Reads a file as bytes; a missing or unreadable file is a DataError naming it. */
export async function readBytes(path: string): Promise<Uint8Array> {
  try {
    const buffer = await readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (error) {
    // Node's message already starts with the code ("ENOENT: no such file or directory, ...").
    throw new DataError({ source: path, expected: 'a readable file', found: (error as Error).message });
  }
}

/** Reads a file, gunzipping it (zlib, off the main thread) when it starts with the gzip magic. */
export async function readMaybeGzip(path: string): Promise<Uint8Array> {
  const bytes = await readBytes(path);
  if (!isGzip(bytes)) return bytes;
  try {
    const out = await gunzipAsync(bytes);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    throw new DataError({
      source: path,
      expected: 'a complete, valid gzip stream',
      found: `corrupt or truncated data (${(error as Error).message})`,
    });
  }
}
