// Dependencies point down the flow of DESIGN section 2 and never back; docs/architecture.md lists
// the same edges. The test reads the imports of every source file (static, dynamic and type-only),
// maps each to its top-level folder, and fails on an edge that is not allowed below or on any
// cycle between folders.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Which top-level folders each folder may import. `.` is the repository root (pipesoak.config.ts). */
const ALLOWED: Record<string, readonly string[]> = {
  '.': ['runner', 'reference'],
  runner: ['scenarios', 'generators', 'engine', 'collectors', 'faults', 'record', 'reports', 'reference'],
  scenarios: ['engine'],
  generators: ['record'],
  engine: ['generators', 'record'],
  collectors: ['record'],
  // Faults share the collectors' read-only Postgres pool and identifier quoting; the components a
  // process fault may act on are named by the contract (record/contract.ts).
  faults: ['collectors', 'record'],
  record: [],
  reports: ['record'],
  // The reference pipeline takes its contract numbers (DESIGN section 1) from record/contract.ts.
  reference: ['record'],
  bench: [
    'runner',
    'scenarios',
    'generators',
    'engine',
    'collectors',
    'faults',
    'record',
    'reports',
    'reference',
    'test',
  ],
  scripts: ['faults', 'bench'],
  // Benches reuse the tests' load and run-folder helpers (test/support), so tests never import bench.
  test: [
    '.',
    'runner',
    'scenarios',
    'generators',
    'engine',
    'collectors',
    'faults',
    'record',
    'reports',
    'reference',
  ],
};

const SKIP = new Set(['node_modules', '.git', 'dist', 'bin', 'results', '.cache']);
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

function folderOf(path: string): string {
  const rel = relative(ROOT, path).split('\\').join('/');
  return rel.includes('/') ? (rel.split('/')[0] ?? '.') : '.';
}

function folderEdges(): Map<string, Map<string, string[]>> {
  const edges = new Map<string, Map<string, string[]>>();
  for (const file of sourceFiles(ROOT)) {
    const from = folderOf(file);
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = folderOf(resolve(dirname(file), match[1] ?? ''));
      if (to === from) continue;
      const targets = edges.get(from) ?? new Map<string, string[]>();
      targets.set(to, [...(targets.get(to) ?? []), relative(ROOT, file)]);
      edges.set(from, targets);
    }
  }
  return edges;
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...stack.slice(stack.indexOf(node)), node];
    state.set(node, 'open');
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const cycle = visit(next);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

describe('import direction', () => {
  it('import direction - every import between top-level folders is an allowed edge of the flow', () => {
    const edges = folderEdges();
    const wrong: string[] = [];
    for (const [from, targets] of edges) {
      for (const [to, files] of targets) {
        if (!(ALLOWED[from] ?? []).includes(to)) wrong.push(`${from} -> ${to} (${files.join(', ')})`);
      }
    }
    expect(wrong).toEqual([]);
    // The walk saw the project: the busiest edges exist.
    expect(edges.get('collectors')?.has('record')).toBe(true);
    expect(edges.get('reports')?.has('record')).toBe(true);
    expect(edges.get('runner')?.has('reports')).toBe(true);
  });

  it('import direction - no cycle between top-level folders, in the code or in the allowed edges', () => {
    const edges = folderEdges();
    const graph = new Map([...edges].map(([from, targets]) => [from, [...targets.keys()]]));
    expect(findCycle(graph)).toBeUndefined();
    const allowed = new Map(Object.entries(ALLOWED).map(([from, to]) => [from, [...to]]));
    expect(findCycle(allowed)).toBeUndefined();
  });

  it('import direction - the cycle finder names a cycle (negative control)', () => {
    expect(
      findCycle(
        new Map([
          ['collectors', ['reports']],
          ['reports', ['runner']],
          ['runner', ['collectors']],
        ]),
      ),
    ).toEqual(['collectors', 'reports', 'runner', 'collectors']);
  });

  it('record imports nothing else of the project, and only node built-ins, zod and hdr-histogram-js', () => {
    const packages = new Set<string>();
    for (const file of sourceFiles(join(ROOT, 'record'))) {
      for (const match of readFileSync(file, 'utf8').matchAll(/\bfrom\s*['"]([^'".][^'"]*)['"]/g)) {
        packages.add(match[1] ?? '');
      }
    }
    const foreign = [...packages].filter(
      (p) => !p.startsWith('node:') && p !== 'zod' && p !== 'hdr-histogram-js',
    );
    expect(foreign).toEqual([]);
  });
});
