// W3C trace context per event, from the seeded RNG, so a dataset names the same traces every time.
import type { SeededRandom } from './seededRandom.ts';

const ZEROS = /^0+$/;

/** A fresh id of `chars` hex digits that is not all zeros (the spec makes that id invalid). */
function nonZeroHex(rng: SeededRandom, chars: number): string {
  const id = rng.hex(chars);
  return ZEROS.test(id) ? `${id.slice(0, -1)}1` : id;
}

/** `00-<trace-id>-<parent-id>-01`: version 00, sampled. */
export function seededTraceparent(rng: SeededRandom): string {
  return `00-${nonZeroHex(rng, 32)}-${nonZeroHex(rng, 16)}-01`;
}
