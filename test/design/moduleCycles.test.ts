// DESIGN.md: the folders of src/ form no circles (aggregate lies below pipeline, core imports nothing of ours).
// Reads every relative import of src/**/*.ts and looks for a folder that reaches itself.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, normalize, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', '..', 'src');

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** The src/ folder a file lies in ('' for src/index.ts). */
function folderOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0]! : '';
}

/** Folder → the other folders its files import (static and dynamic, type-only included). */
function folderGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of tsFiles(SRC)) {
    const from = folderOf(file);
    if (from === '') continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const to = folderOf(normalize(join(dirname(file), m[1]!)));
      if (to !== '' && to !== from) (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to);
    }
  }
  return graph;
}

/** One circle through `start` as a path of folders, or null. */
function circleThrough(graph: Map<string, Set<string>>, start: string): string[] | null {
  const stack: string[][] = [[start]];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const path = stack.pop()!;
    for (const next of graph.get(path.at(-1)!) ?? []) {
      if (next === start) return [...path, next];
      if (!seen.has(next)) {
        seen.add(next);
        stack.push([...path, next]);
      }
    }
  }
  return null;
}

describe('module boundaries', () => {
  const graph = folderGraph();

  it('reads the imports it checks', () => {
    // A regex that matched nothing would pass the circle check below for any code.
    expect([...(graph.get('pipeline') ?? [])]).toContain('aggregate');
    expect([...(graph.get('cli') ?? [])]).toContain('pipeline');
  });

  it('no folder of src/ reaches itself through imports', () => {
    const circles = [...graph.keys()].map((f) => circleThrough(graph, f)).filter((c) => c !== null).map((c) => c.join(' → '));
    expect(circles).toEqual([]);
  });

  it('aggregate imports nothing from pipeline', () => {
    expect([...(graph.get('aggregate') ?? [])]).not.toContain('pipeline');
  });
});
