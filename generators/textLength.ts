// The payload-size distribution: text length in characters, lognormal around a median and capped,
// so most payloads are chat-sized and a seeded share are large (the ones that stress body limits,
// JetStream max_payload and jsonb storage).
import type { SeededRandom } from './seededRandom.ts';

export interface TextLengthDistribution {
  /** The median length in characters (e^mu of the lognormal). */
  median: number;
  /** The spread: the standard deviation of ln(length). 0 makes every text `median` long. */
  sigma: number;
  /** The cap: longer draws are cut to this length. */
  max: number;
}

// sigma 1.2 around 160: ~2.7% of texts are over 1,600 characters, ~0.35% over 4,096.
// The cap stays under the reference gateway's 32 KiB text limit.
export const DEFAULT_TEXT_LENGTH: TextLengthDistribution = { median: 160, sigma: 1.2, max: 16_384 };

/** One length draw in [1, max]. */
export function sampleTextLength(dist: TextLengthDistribution, rng: SeededRandom): number {
  const length = Math.round(dist.median * Math.exp(dist.sigma * rng.normal()));
  return Math.min(dist.max, Math.max(1, length));
}
