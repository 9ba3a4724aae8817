// The in-flight publishes of the JetStream client by sequence number, in an array slot seq mod
// capacity. A Map had the same job, but at 80k inserts and deletes a second its table is rehashed
// hundreds of times a second, and V8 links each retired table to its successor (for live
// iterators): once one retired table is promoted, it keeps the next one and every message that
// table holds alive through each scavenge (bench/README.md, "Promotion": ~3 MB promoted per scavenge).

export interface Sequenced {
  seq: number;
}

export class PendingRing<T extends Sequenced> {
  private slots: (T | undefined)[];
  private mask: number;
  private count = 0;
  private next = 0;

  /**
   * `capacity` is rounded up to a power of two. Twice the most entries held at once leaves a free
   * slot within a few steps of the next number even when stragglers hold some. `firstSeq` is
   * where numbering starts.
   */
  constructor(capacity: number, firstSeq = 0) {
    this.next = firstSeq;
    let size = 1;
    while (size < capacity) size *= 2;
    this.slots = new Array<T | undefined>(size).fill(undefined);
    this.mask = size - 1;
  }

  get size(): number {
    return this.count;
  }

  get capacity(): number {
    return this.slots.length;
  }

  /**
   * Sets `entry.seq` to the next number whose slot is free (a straggler keeps its own: its number
   * is skipped, not reused) and holds the entry there. A full ring doubles.
   */
  add(entry: T): void {
    if (this.count === this.slots.length) this.grow();
    while (this.slots[this.next & this.mask] !== undefined) this.next++;
    entry.seq = this.next++;
    this.slots[entry.seq & this.mask] = entry;
    this.count++;
  }

  get(seq: number): T | undefined {
    const e = this.slots[seq & this.mask];
    return e !== undefined && e.seq === seq ? e : undefined;
  }

  /** Removes and returns the entry of `seq`, if it is there. */
  take(seq: number): T | undefined {
    const i = seq & this.mask;
    const e = this.slots[i];
    if (e === undefined || e.seq !== seq) return undefined;
    this.slots[i] = undefined;
    this.count--;
    return e;
  }

  /** Calls `fn` on each entry; `fn` may take the entry it is given. */
  forEach(fn: (entry: T) => void): void {
    const slots = this.slots;
    for (let i = 0; i < slots.length; i++) {
      const e = slots[i];
      if (e !== undefined) fn(e);
    }
  }

  clear(): void {
    this.slots.fill(undefined);
    this.count = 0;
  }

  /** Twice the slots; numbers apart mod n are apart mod 2n, so every entry keeps its number. */
  private grow(): void {
    const old = this.slots;
    this.slots = new Array<T | undefined>(old.length * 2).fill(undefined);
    this.mask = this.slots.length - 1;
    for (const e of old) if (e !== undefined) this.slots[e.seq & this.mask] = e;
  }
}
