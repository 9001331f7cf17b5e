import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

// docs/pytorch.md promises that each of its TypeScript blocks runs: each is written to a module
// beside this package's node_modules (so '@myelin/core' resolves), imported, and what it logs is
// checked against the outputs the guide shows.

const guide = fileURLToPath(new URL('../../docs/pytorch.md', import.meta.url));
let blocks: string[] = [];
let directory = '';

beforeAll(async () => {
  const text = await readFile(guide, 'utf8');
  blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
  directory = await mkdtemp(fileURLToPath(new URL('../.pytorch-guide-', import.meta.url)));
});
afterAll(async () => {
  if (directory !== '') await rm(directory, { recursive: true, force: true });
});

/** Runs block `index` as a module and returns what it passed to console.log. */
async function run(index: number): Promise<unknown[][]> {
  const file = join(directory, `block-${index}.ts`);
  await writeFile(file, blocks[index]!);
  const logged: unknown[][] = [];
  const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logged.push(args));
  try {
    await import(/* @vite-ignore */ file);
  } finally {
    spy.mockRestore();
  }
  return logged;
}

describe('docs/pytorch.md', () => {
  it('has the three TypeScript blocks this test checks', () => {
    expect(blocks).toHaveLength(3);
  });

  it('the training loop learns (better than chance on its 3 classes)', async () => {
    const [[accuracy]] = (await run(0)) as [[number]];
    expect(accuracy).toBeGreaterThan(0.5);
  });

  it('apply, freezing and hooks print what the guide says', async () => {
    expect(await run(1)).toEqual([[[8], 2]]);
  });

  it('weights round-trip through safetensors with no missing or unexpected keys', async () => {
    expect(await run(2)).toEqual([[[], []]]);
  });
});
