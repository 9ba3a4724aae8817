// Progress lines for long generation: every tenth when not a terminal, rewritten in place on one.
import { describe, expect, it } from 'vitest';
import { countProgress } from '../../runner/countProgress.ts';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  const out = { isTTY, write: (s: string) => chunks.push(s) > 0 } as unknown as NodeJS.WritableStream;
  return { out, chunks };
}

describe('count progress', () => {
  it('prints a line every 10% when not a terminal', () => {
    const { out, chunks } = sink(false);
    const p = countProgress('generate', 200_000, out);
    for (let done = 1_000; done <= 200_000; done += 1_000) p.update(done);
    p.end();
    expect(chunks).toHaveLength(10);
    expect(chunks.map((c) => /: (\d+)%/.exec(c)?.[1])).toEqual([
      '10',
      '20',
      '30',
      '40',
      '50',
      '60',
      '70',
      '80',
      '90',
      '100',
    ]);
    expect(chunks.every((c) => c.endsWith('\n') && c.startsWith('generate: '))).toBe(true);
    expect(chunks[9]).toContain('(200000/200000');
  });

  it('rewrites one line on a terminal and ends it once', () => {
    const { out, chunks } = sink(true);
    const p = countProgress('generate', 200_000, out);
    for (let done = 1_000; done <= 200_000; done += 1_000) p.update(done);
    p.end();
    expect(chunks).toHaveLength(101);
    expect(chunks.slice(0, 100).every((c) => c.startsWith('\r'))).toBe(true);
    expect(chunks[100]).toBe('\n');
  });

  it('says nothing for 100k or fewer', () => {
    const { out, chunks } = sink(false);
    const p = countProgress('generate', 100_000, out);
    for (let done = 1_000; done <= 100_000; done += 1_000) p.update(done);
    p.end();
    expect(chunks).toEqual([]);
  });
});
