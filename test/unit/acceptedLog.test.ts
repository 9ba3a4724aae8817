import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type AcceptedEntry,
  AcceptedLogError,
  AcceptedLogWriter,
  readAcceptedLog,
  readCorrelationIds,
} from '../../record/acceptedLog.ts';
import type { CutTail } from '../../record/lineReader.ts';

async function readAll(path: string, onCutLine?: (line: number) => void): Promise<AcceptedEntry[]> {
  const out: AcceptedEntry[] = [];
  const options = onCutLine ? { onCutTail: (cut: CutTail) => onCutLine(cut.line) } : {};
  for await (const entry of readAcceptedLog(path, options)) out.push(entry);
  return out;
}

describe('accepted log', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'pipesoak-accepted-'));
    path = join(dir, 'accepted.ndjson');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('accepted log - writes one {c, t, id?} line per accepted event and reads them back in order', async () => {
    const writer = AcceptedLogWriter.open(path);
    writer.record('run1-0', 'srv-a', 1_700_000_000_001);
    writer.record('run1-1', undefined, 1_700_000_000_002);
    writer.close();
    expect(readFileSync(path, 'utf8')).toBe(
      '{"c":"run1-0","t":1700000000001,"id":"srv-a"}\n{"c":"run1-1","t":1700000000002}\n',
    );
    expect(await readAll(path)).toEqual([
      { correlationId: 'run1-0', atMs: 1_700_000_000_001, serverId: 'srv-a' },
      { correlationId: 'run1-1', atMs: 1_700_000_000_002 },
    ]);
  });

  it('accepted log - streams 200,000 lines across read chunks and keeps distinct ids', async () => {
    const writer = AcceptedLogWriter.open(path);
    for (let i = 0; i < 200_000; i++) writer.record(`run1-${i % 150_000}`, undefined, i);
    writer.close();
    let n = 0;
    let last = -1;
    for await (const entry of readAcceptedLog(path)) {
      n++;
      last = entry.atMs;
    }
    expect(n).toBe(200_000);
    expect(last).toBe(199_999);
    expect((await readCorrelationIds(path)).size).toBe(150_000);
  });

  it('accepted log - appends to an existing file and flushes buffered lines on close', async () => {
    writeFileSync(path, '{"c":"run1-0","t":1}\n');
    const writer = AcceptedLogWriter.open(path);
    writer.record('run1-1', undefined, 2);
    expect(readFileSync(path, 'utf8')).toBe('{"c":"run1-0","t":1}\n'); // still buffered
    writer.flush();
    writer.close();
    expect((await readAll(path)).map((e) => e.correlationId)).toEqual(['run1-0', 'run1-1']);
    expect(() => writer.record('run1-2')).toThrow(/closed/);
  });

  it('accepted log - skips and reports a last line cut short by a crash, but fails on a garbled line inside', async () => {
    writeFileSync(path, '{"c":"run1-0","t":1}\n{"c":"run1-1","t":2}\n{"c":"run1-2","t');
    const cut: number[] = [];
    expect((await readAll(path, (line) => cut.push(line))).map((e) => e.correlationId)).toEqual([
      'run1-0',
      'run1-1',
    ]);
    expect(cut).toEqual([3]);
    await expect(readAll(path)).rejects.toThrow('accepted.ndjson: line 3: not a complete JSON object');

    appendFileSync(path, '\n{"c":"run1-3","t":4}\n');
    const err = await readAll(path, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AcceptedLogError);
    expect((err as AcceptedLogError).line).toBe(3);
  });

  it('accepted log - names the field at fault', async () => {
    writeFileSync(path, '{"c":"run1-0","t":"soon"}\n');
    await expect(readAll(path)).rejects.toThrow('line 1: field "t" is not an epoch ms number');
    writeFileSync(path, '\n{"t":5}\n');
    await expect(readAll(path)).rejects.toThrow('line 2: field "c" is not a non-empty correlation id string');
  });
});
