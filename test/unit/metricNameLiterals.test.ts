// Metric names are written once, in record/metricCatalog.ts: code says METRIC.<name>, so a grep for
// a name finds its catalogue entry, and the entry's producer names the module that records it.
// This test reads the string and template literals of every source file outside the catalogue and
// the tests (comments are free to name metrics) and fails on one that names a catalogue metric.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { METRIC, METRICS } from '../../record/metricCatalog.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SKIP = new Set(['node_modules', '.git', 'dist', 'bin', 'results', '.cache', 'test']);
const CATALOGUE = 'record/metricCatalog.ts';

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name) && dir === ROOT) continue;
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.(ts|mts|mjs|js)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** The text of each string literal and each literal piece of a template, with its line. */
function literals(source: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  let line = 1;
  let i = 0;
  /** Open template literals and, for each `${`, the brace depth it returns at. */
  const templates: number[] = [];
  let depth = 0;
  const readQuoted = (quote: string) => {
    const startLine = line;
    let text = '';
    i++;
    while (i < source.length && source[i] !== quote) {
      if (source[i] === '\\') {
        text += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (source[i] === '\n') line++;
      text += source[i++];
    }
    i++;
    out.push({ text, line: startLine });
  };
  const readTemplatePiece = () => {
    // i is just after a backtick or a closing `}` of a `${`.
    const startLine = line;
    let text = '';
    while (i < source.length) {
      const c = source[i];
      if (c === '\\') {
        text += source[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (c === '`') {
        i++;
        templates.pop();
        break;
      }
      if (c === '$' && source[i + 1] === '{') {
        i += 2;
        depth++;
        break;
      }
      if (c === '\n') line++;
      text += c;
      i++;
    }
    out.push({ text, line: startLine });
  };
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === '\n') {
      line++;
      i++;
    } else if (c === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i++;
    } else if (c === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      for (let k = i; k < stop; k++) if (source[k] === '\n') line++;
      i = stop;
    } else if (c === "'" || c === '"') {
      readQuoted(c);
    } else if (c === '`') {
      i++;
      templates.push(depth);
      readTemplatePiece();
    } else if (c === '{') {
      depth++;
      i++;
    } else if (c === '}') {
      depth--;
      i++;
      if (templates.length > 0 && depth === templates[templates.length - 1]) readTemplatePiece();
    } else {
      i++;
    }
  }
  return out;
}

const NAMES = Object.keys(METRICS);
const NAMED = new RegExp(
  `(?<![\\w.])(${NAMES.map((n) => n.replaceAll('.', '\\.')).join('|')})(?![\\w.]*\\w)`,
);

describe('metric name literals', () => {
  it('metric name literals - the scanner sees strings and template pieces, not comments', () => {
    const found = literals(
      [
        "// 'outbox.pending' in a comment",
        "/* 'dlq.depth' */ const a = 'e2e.latency';",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the source text of a template, to scan
        'const b = `p99 of ${x ? "gateway.latency" : y} for outbox.lag`;',
        "const c = { 'http.requests': 1 }; const d = 'series.ndjson';",
      ].join('\n'),
    ).flatMap(({ text, line }) => (NAMED.test(text) ? [`${line}:${text.match(NAMED)?.[1]}`] : []));
    expect(found).toEqual(['2:e2e.latency', '3:gateway.latency', '3:outbox.lag', '4:http.requests']);
  });

  it('metric name literals - no source file outside the catalogue and the tests spells a metric name', () => {
    const spelled: string[] = [];
    for (const file of sourceFiles(ROOT)) {
      const rel = relative(ROOT, file).split('\\').join('/');
      if (rel === CATALOGUE) continue;
      for (const { text, line } of literals(readFileSync(file, 'utf8'))) {
        const match = text.match(NAMED);
        if (match) spelled.push(`${rel}:${line}: '${match[1]}' (use METRIC.*)`);
      }
    }
    expect(spelled).toEqual([]);
  });

  it('metric name literals - every catalogue entry names a producer module that records it', () => {
    for (const [key, name] of Object.entries(METRIC)) {
      const producer = METRICS[name].producer;
      const path = join(ROOT, producer);
      expect(statSync(path, { throwIfNoEntry: false })?.isFile(), `${name}: ${producer}`).toBe(true);
      expect(readFileSync(path, 'utf8'), `${name}: ${producer} uses METRIC.${key}`).toMatch(
        new RegExp(`METRIC\\.${key}\\b`),
      );
    }
  });
});
