// The seeded dataset generators: determinism, poison share, ids, trace context, sizes, file safety.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ChatBody,
  DATASET_SCHEMA,
  type Dataset,
  DatasetFormatError,
  type EventBody,
  PAYLOAD_KINDS,
  type PayloadKind,
  parseDataset,
  TRACEPARENT_PATTERN,
} from '../../generators/datasetFormat.ts';
import { datasetLines } from '../../generators/datasetLines.ts';
import {
  type DatasetOptions,
  datasetOptions,
  datasetOptionsProblem,
} from '../../generators/datasetOptions.ts';
import { generateDataset } from '../../generators/generateDataset.ts';
import { PoisonPicker, poisonCount } from '../../generators/poisonPicker.ts';
import { readDataset } from '../../generators/readDataset.ts';
import { SeededRandom } from '../../generators/seededRandom.ts';
import { sampleTextLength } from '../../generators/textLength.ts';
import { seededTraceparent } from '../../generators/traceparent.ts';
import { RecordFormatError } from '../../record/recordError.ts';
import { OutputError, writeAtomically } from '../../record/writeAtomically.ts';
import { validTraceparent } from '../../reference/http.ts';

const text = (o: DatasetOptions) => [...datasetLines(o)].join('');
const dataset = (o: DatasetOptions) => parseDataset(text(o));
const bodyText = (kind: PayloadKind, body: unknown): string => {
  if (kind !== 'event') return (body as ChatBody).text;
  const data = (body as EventBody).data;
  return String(data.text ?? data.title ?? data.bio ?? data.object);
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pipesoak-generators-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('seeded random', () => {
  it('repeats for the same seed and stream, and differs by seed, stream and the seed high half', () => {
    const draw = (seed: number, stream = 0, sub = 0) => {
      const r = new SeededRandom(seed, stream, sub);
      return Array.from({ length: 8 }, () => r.uint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw(7, 1)).not.toEqual(draw(7, 2));
    expect(draw(7, 1, 1)).not.toEqual(draw(7, 1, 2));
    expect(draw(1)).not.toEqual(draw(2 ** 32 + 1));
  });

  it('draws uniforms in [0, 1) and standard normals', () => {
    const r = new SeededRandom(3);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      expect(u >= 0 && u < 1).toBe(true);
      const z = r.normal();
      sum += z;
      sumSq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.02);
    expect(Math.sqrt(sumSq / n)).toBeCloseTo(1, 1);
  });
});

describe('dataset generator', () => {
  it.each(PAYLOAD_KINDS.map((kind) => [kind]))(
    '%s: same seed, count and options give the same bytes; another seed other bytes',
    (kind) => {
      const o = datasetOptions({ kind, seed: 42, count: 500, poisonShare: kind === 'prompt' ? 0 : 0.1 });
      const first = text(o);
      expect(text({ ...o })).toBe(first);
      expect(text({ ...o, seed: 43 })).not.toBe(first);
    },
  );

  it('every option takes part in the bytes', () => {
    const o = datasetOptions({ seed: 5, count: 200 });
    const base = text(o);
    const variants: DatasetOptions[] = [
      { ...o, count: 201 },
      { ...o, runId: 'other' },
      { ...o, poisonShare: 0.5 },
      { ...o, kind: 'event' },
      { ...o, text: { ...o.text, median: 100 } },
      { ...o, text: { ...o.text, sigma: 0.5 } },
      { ...o, text: { ...o.text, max: 500 } },
    ];
    for (const v of variants) expect(text(v)).not.toBe(base);
  });

  it('writes a document parseDataset reads back, with the metadata on the first line', () => {
    const o = datasetOptions({ seed: 9, count: 300, runId: 'r9', poisonShare: 0.05 });
    const raw = text(o);
    const d = parseDataset(raw);
    expect(d.schema).toBe(DATASET_SCHEMA);
    expect(d.meta).toMatchObject({ kind: 'chat', seed: 9, count: 300, runId: 'r9', poisonCount: 15 });
    expect(d.meta.generator).toMatch(/^pipesoak-generators\/\d+$/);
    expect(d.meta.faker).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.items.map((i) => i.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    const lines = raw.split('\n');
    expect(JSON.parse(`${lines[0]}]}`).meta).toEqual(d.meta);
    // one item a line: header, 300 items, tail, and the final newline
    expect(lines).toHaveLength(303);
  });

  it('correlation ids are <runId>-<seq>, unique, and in the chat and event bodies', () => {
    for (const kind of PAYLOAD_KINDS) {
      const d = dataset(datasetOptions({ kind, seed: 11, count: 2_000, runId: 'soak-2024.1' }));
      const ids = d.items.map((i) => i.correlationId);
      expect(new Set(ids).size).toBe(2_000);
      d.items.forEach((item, seq) => {
        expect(item.correlationId).toBe(`soak-2024.1-${seq}`);
        if (kind !== 'prompt') expect((item.body as ChatBody).correlationId).toBe(item.correlationId);
      });
    }
    expect(dataset(datasetOptions({ seed: 12, count: 3 })).items[2]?.correlationId).toBe('seed12-2');
  });

  it('traceparents are version 00, sampled, unique, and valid to the reference gateway', () => {
    const d = dataset(datasetOptions({ seed: 13, count: 10_000 }));
    const seen = new Set<string>();
    for (const { traceparent } of d.items) {
      expect(traceparent).toMatch(TRACEPARENT_PATTERN);
      expect(validTraceparent(traceparent)).toBe(traceparent);
      seen.add(traceparent.slice(3, 35));
    }
    expect(seen.size).toBe(10_000);
  });

  it('never writes an all-zero trace id or parent id', () => {
    const zeros = { hex: (chars: number) => '0'.repeat(chars) } as SeededRandom;
    const tp = seededTraceparent(zeros);
    expect(tp).toBe(`00-${'0'.repeat(31)}1-${'0'.repeat(15)}1-01`);
    expect(validTraceparent(tp)).toBe(tp);
  });

  it.each([
    [1_000, 0.05],
    [999, 0.05],
    [10, 0.05],
    [7, 1 / 3],
    [1_000, 0],
    [1_000, 1],
    [3, 0.5],
  ])('poison: exactly round(%i * %d) payloads, chosen by the seed', (count, share) => {
    const picks = (seed: number) => {
      const p = new PoisonPicker(seed, count, share);
      return Array.from({ length: count }, () => p.next());
    };
    const a = picks(1);
    expect(a.filter(Boolean)).toHaveLength(poisonCount(count, share));
    expect(poisonCount(count, share)).toBe(Math.round(count * share));
    expect(picks(1)).toEqual(a);
    if (count >= 100 && share > 0 && share < 1) expect(picks(2)).not.toEqual(a);
  });

  it('poison: the dataset marks exactly its meta poisonCount bodies, spread through the file', () => {
    for (const kind of ['chat', 'event'] as const) {
      const d = dataset(datasetOptions({ kind, seed: 21, count: 4_000, poisonShare: 0.05 }));
      const poisoned = d.items.filter((i) => (i.body as ChatBody).poison === true).map((i) => i.seq);
      expect(poisoned).toHaveLength(200);
      expect(d.meta.poisonCount).toBe(200);
      // a uniform pick puts ~100 in each half; far off would mean a biased picker
      const firstHalf = poisoned.filter((seq) => seq < 2_000).length;
      expect(firstHalf).toBeGreaterThan(60);
      expect(firstHalf).toBeLessThan(140);
      // a non-poison body has no poison key at all (the gateway takes only a boolean)
      const clean = d.items.find((i) => !poisoned.includes(i.seq));
      expect(clean && 'poison' in clean.body).toBe(false);
    }
  });

  it('text length: lognormal around the median, within [1, max], a share of payloads large', () => {
    const dist = { median: 160, sigma: 1.2, max: 16_384 };
    const r = new SeededRandom(17);
    const n = 200_000;
    const lengths = Array.from({ length: n }, () => sampleTextLength(dist, r)).sort((a, b) => a - b);
    expect(lengths[0]).toBeGreaterThanOrEqual(1);
    expect(lengths[n - 1]).toBeLessThanOrEqual(dist.max);
    expect(lengths[n / 2]).toBeGreaterThan(150);
    expect(lengths[n / 2]).toBeLessThan(170);
    // ln(1600 / 160) / 1.2 = 1.92 standard deviations: 2.7% of texts are over 1,600 characters
    const large = lengths.filter((l) => l > 1_600).length / n;
    expect(large).toBeGreaterThan(0.022);
    expect(large).toBeLessThan(0.032);
  });

  it('text length: the cap holds in written payloads, and sigma 0 gives every text the median length', () => {
    for (const kind of PAYLOAD_KINDS) {
      const capped = dataset(
        datasetOptions({ kind, seed: 19, count: 2_000, text: { median: 160, sigma: 1.2, max: 300 } }),
      );
      const lengths = capped.items.map((i) => bodyText(kind, i.body).length);
      expect(Math.min(...lengths)).toBeGreaterThanOrEqual(1);
      expect(Math.max(...lengths)).toBe(300);
      expect(lengths.filter((l) => l === 300).length).toBeGreaterThan(2_000 * 0.2);
      const fixed = dataset(
        datasetOptions({ kind, seed: 19, count: 200, text: { median: 77, sigma: 0, max: 300 } }),
      );
      for (const item of fixed.items) expect(bodyText(kind, item.body)).toHaveLength(77);
    }
  });

  it('chat and prompt bodies carry only the fields their gateway endpoint accepts', () => {
    const chat = dataset(datasetOptions({ kind: 'chat', seed: 23, count: 1_000, poisonShare: 0.1 }));
    const allowed = new Set(['conversationId', 'userId', 'text', 'correlationId', 'poison']);
    for (const { body } of chat.items) {
      for (const key of Object.keys(body)) expect(allowed.has(key)).toBe(true);
      const b = body as ChatBody;
      expect(b.text.trim()).not.toBe('');
      expect(b.text.length).toBeLessThanOrEqual(32 * 1024);
      expect(b.conversationId).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
    const prompt = dataset(datasetOptions({ kind: 'prompt', seed: 23, count: 200 }));
    for (const { body } of prompt.items)
      expect(Object.keys(body).sort()).toEqual(['conversationId', 'text', 'userId']);
  });

  it('events name a type, an aggregate and their data', () => {
    const d = dataset(datasetOptions({ kind: 'event', seed: 29, count: 1_000 })) as Dataset<EventBody>;
    const types = new Set(d.items.map((i) => i.body.eventType));
    expect(types.size).toBe(5);
    for (const { body } of d.items) {
      expect(body.eventType).toMatch(/^[a-z_]+\.[a-z_]+$/);
      expect(['conversation', 'user']).toContain(body.aggregateType);
      expect(body.aggregateId).toBe(
        body.aggregateType === 'user' ? body.data.userId : body.data.conversationId,
      );
    }
  });

  it('conversations repeat, and each belongs to one user', () => {
    const d = dataset(datasetOptions({ seed: 31, count: 4_000 })) as Dataset<ChatBody>;
    const owner = new Map<string, string>();
    for (const { body } of d.items) {
      expect(owner.get(body.conversationId) ?? body.userId).toBe(body.userId);
      owner.set(body.conversationId, body.userId);
    }
    expect(owner.size).toBeGreaterThan(300);
    expect(owner.size).toBeLessThan(600);
    expect(new Set(owner.values()).size).toBeLessThan(owner.size);
  });

  it.each([
    [{ count: 0 }, '--count'],
    [{ count: -3 }, '--count'],
    [{ count: 1.5 }, '--count'],
    [{ seed: -1 }, '--seed'],
    [{ seed: Number.NaN }, '--seed'],
    [{ poisonShare: 1.01 }, '--poison-share'],
    [{ poisonShare: -0.1 }, '--poison-share'],
    [{ poisonShare: Number.NaN }, '--poison-share'],
    [{ kind: 'prompt' as const, poisonShare: 0.1 }, '--poison-share'],
    [{ runId: '' }, '--run-id'],
    [{ runId: 'has space' }, '--run-id'],
    [{ text: { median: 0, sigma: 1, max: 10 } }, '--text-median'],
    [{ text: { median: 10, sigma: -1, max: 10 } }, '--text-sigma'],
    [{ text: { median: 10, sigma: 1, max: 9 } }, '--text-max'],
  ])('rejects %j, naming %s', (change, flag) => {
    const problem = datasetOptionsProblem({ ...datasetOptions({ seed: 1, count: 10 }), ...change });
    expect(problem?.startsWith(flag)).toBe(true);
    expect(() => [...datasetLines({ ...datasetOptions({ seed: 1, count: 10 }), ...change })]).toThrow(flag);
  });
});

describe('dataset format', () => {
  it('parseDataset names what is wrong with a file', () => {
    const good = text(datasetOptions({ seed: 1, count: 3 }));
    expect(() => parseDataset(good.slice(0, -20))).toThrow(/not valid JSON/);
    expect(() => parseDataset(good.replace(DATASET_SCHEMA, 'other/v9'))).toThrow(/schema/);
    expect(() => parseDataset(good.replace('"count":3', '"count":4'))).toThrow(/3 items, its meta says 4/);
    expect(() => parseDataset('[]')).toThrow(/schema/);
    // Every item is checked, each error names its line.
    const lines = good.split('\n');
    lines[2] = lines[2]?.replace('"seq":1', '"seq":5') ?? '';
    expect(() => parseDataset(lines.join('\n'), 'a.json')).toThrow(
      'a.json: line 3: item has seq 5, expected 1',
    );
    expect(() => parseDataset(good.replace(']}', ''))).toThrow(
      'dataset: line 5: the file ends before the closing ]} (truncated?)',
    );
  });

  it('readDataset streams a file through the line reader and names the file and line of a fault', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pipesoak-dataset-'));
    try {
      const path = join(dir, 'a.json');
      const good = text(datasetOptions({ seed: 4, count: 2500 }));
      await writeFile(path, good);
      const read = await readDataset(path);
      expect(read).toEqual(parseDataset(good));
      expect(read.items).toHaveLength(2500);
      expect(read.items[2499]?.seq).toBe(2499);
      // A line cut off mid-write, as a crash of the writer leaves it.
      const cutAt = good.indexOf('\n', 1000) + 40;
      await writeFile(path, good.slice(0, cutAt));
      const err = await readDataset(path).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatasetFormatError);
      expect(err).toBeInstanceOf(RecordFormatError);
      const lineNo = good.slice(0, cutAt).split('\n').length;
      expect((err as Error).message).toBe(`${path}: line ${lineNo}: item is not valid JSON (truncated?)`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('datasetFormat.ts, which scenarios bundle, imports neither faker nor Node built-ins', async () => {
    const seen = new Set<string>();
    const visit = async (file: string) => {
      if (seen.has(file)) return;
      seen.add(file);
      const source = await readFile(file, 'utf8');
      for (const [, spec] of source.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)) {
        if (!spec) continue;
        if (!spec.startsWith('.')) throw new Error(`${file} imports ${spec}`);
        await visit(resolve(dirname(file), spec));
      }
    };
    await expect(
      visit(resolve(import.meta.dirname, '../../generators/datasetFormat.ts')),
    ).resolves.toBeUndefined();
  });
});

describe('writing a dataset file', () => {
  it('two in-process runs write byte-identical files, and nothing else is left in the folder', async () => {
    const o = datasetOptions({ seed: 77, count: 3_000, poisonShare: 0.02 });
    const sub = await mkdtemp(join(dir, 'same-'));
    const a = await generateDataset(o, { path: join(sub, 'a.json') });
    const b = await generateDataset(o, { path: join(sub, 'b.json') });
    expect(a.bytes).toBe(b.bytes);
    const [fileA, fileB] = await Promise.all([readFile(join(sub, 'a.json')), readFile(join(sub, 'b.json'))]);
    expect(fileA.equals(fileB)).toBe(true); // toEqual on megabyte buffers takes seconds
    expect(fileA.length).toBe(a.bytes);
    expect(fileA.toString('utf8')).toBe(text(o));
    expect((await readdir(sub)).sort()).toEqual(['a.json', 'b.json']);
  });

  it('keeps an existing file unless forced, and then replaces it whole', async () => {
    const path = join(dir, 'existing.json');
    await writeFile(path, 'precious');
    await expect(writeAtomically(['new'], { path })).rejects.toThrow(OutputError);
    expect(await readFile(path, 'utf8')).toBe('precious');
    await writeAtomically(['new ', 'content'], { path, force: true });
    expect(await readFile(path, 'utf8')).toBe('new content');
  });

  it('a write that fails half way leaves the old file and no partial one', async () => {
    const path = join(dir, 'failing.json');
    await writeFile(path, 'old');
    function* parts() {
      yield 'x'.repeat(3 << 20); // past one chunk, so some of it reached the disk
      throw new Error('generator broke');
    }
    await expect(writeAtomically(parts(), { path, force: true })).rejects.toThrow('generator broke');
    expect(await readFile(path, 'utf8')).toBe('old');
    expect((await readdir(dir)).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('an abort stops the write and removes the partial file', async () => {
    const path = join(dir, 'aborted.json');
    const abort = new AbortController();
    function* parts() {
      yield 'x'.repeat(2 << 20);
      abort.abort(new Error('interrupted'));
      yield 'y'.repeat(2 << 20);
    }
    await expect(writeAtomically(parts(), { path, signal: abort.signal })).rejects.toThrow('interrupted');
    expect((await readdir(dir)).filter((f) => f.includes('aborted'))).toEqual([]);
  });

  it('names a missing directory and a directory given as the file', async () => {
    await expect(writeAtomically(['x'], { path: join(dir, 'nope', 'x.json') })).rejects.toThrow(
      /directory .*nope does not exist/,
    );
    await expect(writeAtomically(['x'], { path: dir, force: true })).rejects.toThrow(/is a directory/);
  });
});
