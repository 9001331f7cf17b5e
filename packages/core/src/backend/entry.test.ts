// '@myelin/core/backend' is all a backend imports: its import graph must stay clear of tensors,
// autograd, nn, optimizers, training and checkpoints, so registering a backend loads none of them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function importGraph(entry: string): Set<string> {
  const seen = new Set<string>();
  const visit = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    // Type-only imports vanish at run time; only value imports and re-exports count.
    for (const match of text.matchAll(/^(?:import|export)(?!\s+type\b)[^'"]*?from\s+'(\.[^']+)'/gm)) {
      visit(path.resolve(path.dirname(file), match[1]!.replace(/\.js$/, '.ts')));
    }
  };
  visit(path.join(src, entry));
  return new Set([...seen].map((file) => path.relative(src, file)));
}

describe("'@myelin/core/backend'", () => {
  it('loads only the contract, registry, descriptor, native codes and handles, errors and shape helpers', () => {
    expect([...importGraph('backend/index.ts')].sort()).toEqual([
      'backend/contract.ts',
      'backend/descriptor.ts',
      'backend/dtypes.ts',
      'backend/index.ts',
      'backend/native-codes.ts',
      'backend/native-handles.ts',
      'backend/packages.ts',
      'backend/registry.ts',
      'errors.ts',
      'tensor/shape.ts',
    ]);
  });

  it('exports what backends use', async () => {
    const entry = await import('./index.js');
    for (const name of [
      'registerBackend',
      'BackendError',
      'UnsupportedOpError',
      'sizeOf',
      'isFloat',
      'describeValue',
      'chooseBackend',
    ])
      expect(entry).toHaveProperty(name);
  });
});
