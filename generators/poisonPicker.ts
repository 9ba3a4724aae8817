// Which events are poison: exactly round(count * share) of them, a uniformly random subset chosen
// by the seeded RNG, decided one event at a time (selection sampling, Knuth's algorithm S) so a
// million-event dataset needs no index list in memory.
import { SeededRandom } from './seededRandom.ts';

const POISON_STREAM = 0x706f6973; // 'pois'

/** The exact number of poison events for a count and share (round half up). */
export function poisonCount(count: number, share: number): number {
  return Math.round(count * share);
}

export class PoisonPicker {
  private readonly rng: SeededRandom;
  private remaining: number;
  private needed: number;

  constructor(seed: number, count: number, share: number) {
    this.rng = new SeededRandom(seed, POISON_STREAM);
    this.remaining = count;
    this.needed = poisonCount(count, share);
  }

  /** Call once per event, in order; true for a poison one. */
  next(): boolean {
    if (this.remaining <= 0) throw new Error('PoisonPicker: more events than the count it was made for');
    const pick = this.needed > 0 && this.rng.next() * this.remaining < this.needed;
    this.remaining--;
    if (pick) this.needed--;
    return pick;
  }
}
