// Frozen one-key tag objects, made once per value: the recorder finds its entry for a frozen object
// by identity, so a request records its latencies and counts without building a key string each time.
import type { Tags } from './engineRecorder.ts';

/** Distinct values kept; past this (ids in names, say) each call makes a fresh, unfrozen object. */
const MAX_VALUES = 1024;

export class TagCache {
  private readonly byValue = new Map<string | number, Tags>();

  constructor(private readonly key: string) {}

  of(value: string | number): Tags {
    let tags = this.byValue.get(value);
    if (tags === undefined) {
      tags = { [this.key]: String(value) };
      if (this.byValue.size >= MAX_VALUES) return tags;
      Object.freeze(tags);
      this.byValue.set(value, tags);
    }
    return tags;
  }
}
