import { DataError } from '../errors.js';

/** True when `bytes` start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Gunzips with the platform's DecompressionStream (browsers, Node >= 18); corrupt data gives a DataError. */
export async function gunzip(bytes: Uint8Array, source = 'gzip data'): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value as Uint8Array);
      total += (value as Uint8Array).length;
    }
  } catch (error) {
    throw new DataError({
      source,
      expected: 'a complete, valid gzip stream',
      found: `corrupt or truncated data (${(error as Error).message})`,
    });
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
