// The JetStream client's pending ring: numbers are handed out in order, a straggler keeps its slot
// and its number is skipped rather than reused, and a full ring doubles without losing anyone.
import { describe, expect, it } from 'vitest';
import { PendingRing } from '../../engine/clients/pendingRing.ts';

const entry = (name: string) => ({ seq: -1, name });

describe('PendingRing', () => {
  it('rounds the capacity up to a power of two and numbers entries 0, 1, 2, ...', () => {
    const ring = new PendingRing<ReturnType<typeof entry>>(5);
    expect(ring.capacity).toBe(8);
    const es = ['a', 'b', 'c'].map(entry);
    for (const e of es) ring.add(e);
    expect(es.map((e) => e.seq)).toEqual([0, 1, 2]);
    expect(ring.size).toBe(3);
    expect(ring.get(1)).toBe(es[1]);
    expect(ring.take(1)).toBe(es[1]);
    expect(ring.take(1)).toBeUndefined();
    expect(ring.get(1)).toBeUndefined();
    expect(ring.size).toBe(2);
  });

  it('skips the slot a straggler still holds, so a late reply can never match a newer message', () => {
    const ring = new PendingRing<ReturnType<typeof entry>>(4);
    const straggler = entry('late');
    ring.add(straggler); // seq 0, slot 0
    for (let i = 1; i <= 3; i++) {
      ring.add(entry(`x${i}`)); // seqs 1-3 come and go
      ring.take(i);
    }
    const next = entry('next');
    ring.add(next); // seq 4 would be slot 0: taken, so 5
    expect(next.seq).toBe(5);
    expect(ring.get(4)).toBeUndefined();
    expect(ring.get(0)).toBe(straggler);
    // a reply for a number whose slot now holds another entry is not that entry's
    expect(ring.take(9)).toBeUndefined();
    expect(ring.get(5)).toBe(next);
  });

  it('doubles when full and every entry keeps its number', () => {
    const ring = new PendingRing<ReturnType<typeof entry>>(2);
    const es = Array.from({ length: 7 }, (_, i) => entry(`e${i}`));
    for (const e of es) ring.add(e);
    expect(ring.capacity).toBe(8);
    expect(es.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const e of es) expect(ring.get(e.seq)).toBe(e);
  });

  it('forEach visits every entry once, and the callback may take the one it is given', () => {
    const ring = new PendingRing<ReturnType<typeof entry>>(8);
    for (const n of ['a', 'b', 'c', 'd']) ring.add(entry(n));
    const seen: string[] = [];
    ring.forEach((e) => {
      seen.push(e.name);
      if (e.seq % 2 === 0) ring.take(e.seq);
    });
    expect(seen.sort()).toEqual(['a', 'b', 'c', 'd']);
    expect(ring.size).toBe(2);
    ring.clear();
    expect(ring.size).toBe(0);
    expect(ring.get(1)).toBeUndefined();
  });

  it('numbers beyond 2^32 still land in their own slot', () => {
    // 2^32 publishes is 15 h at 80k msgs/s
    const ring = new PendingRing<ReturnType<typeof entry>>(4, 2 ** 32 + 3);
    const es = ['a', 'b', 'c'].map(entry);
    for (const e of es) ring.add(e);
    expect(es.map((e) => e.seq)).toEqual([2 ** 32 + 3, 2 ** 32 + 4, 2 ** 32 + 5]);
    for (const e of es) expect(ring.take(e.seq)).toBe(e);
    expect(ring.size).toBe(0);
  });
});
