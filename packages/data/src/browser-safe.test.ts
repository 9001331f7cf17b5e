import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SOURCE = dirname(fileURLToPath(import.meta.url));

/** Every relative module reachable from `entry`, with the bare imports each one makes. */
function importGraph(entry: string): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const visit = (file: string): void => {
    if (graph.has(file)) return;
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:import|export)[^'"]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map(
      (m) => m[1] ?? m[2]!,
    );
    graph.set(
      file,
      specifiers.filter((s) => !s.startsWith('.')),
    );
    for (const s of specifiers.filter((s) => s.startsWith('.'))) visit(join(dirname(file), s.replace(/\.js$/, '.ts')));
  };
  visit(join(SOURCE, entry));
  return graph;
}

describe("the '.' entry stays browser-safe", () => {
  it('reaches no node: module and no sharp; the ./node entry is where those live', () => {
    const browser = importGraph('index.ts');
    const bare = new Set([...browser.values()].flat());
    expect([...bare].sort()).toEqual(['@myelin/core']);
    expect([...browser.keys()].some((f) => f.includes(`${join('src', 'node')}/`))).toBe(false);
    const node = new Set([...importGraph('node.ts').values()].flat());
    expect(node.has('sharp')).toBe(true);
    expect(node.has('node:zlib')).toBe(true);
  });
});
