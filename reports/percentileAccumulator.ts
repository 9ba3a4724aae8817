// Percentiles of many merged interval histograms, read straight from the compressed V2 payload:
// counts add index by index in pipesoak's own layout (1 µs, 3 digits) and the percentiles walk the
// counts once, giving exactly what HistogramSnapshot.summary() gives for the same merge. The
// report's timeline takes ~2,000 of these per metric; hdr-histogram-js costs ~5 ms each there
// (decode, add, mean), this costs a scan of the used counts. Reusable after reset().
import { inflateSync } from 'node:zlib';
import { HistogramSnapshot, LOWEST_DISCERNIBLE_US, SIGNIFICANT_DIGITS } from './histogramSnapshot.ts';

const V2_COOKIE_BASE = 0x1c849303;
const V2_COMPRESSED_COOKIE_BASE = 0x1c849304;
const HEADER_BYTES = 40;
// Our layout: 2048 sub-buckets (3 digits), half of them per bucket after the first.
const SUB_BUCKET_HALF_MAGNITUDE = 10;
const SUB_BUCKET_HALF = 1 << SUB_BUCKET_HALF_MAGNITUDE;

export class PercentileAccumulator {
  private counts = new Float64Array(SUB_BUCKET_HALF * 24);
  private used = 0;
  /** Total count folded in since the last reset. */
  count = 0;

  /** Adds one compressed V2 histogram (bytes of its base64); throws Error with a one-line reason. */
  add(bytes: Buffer): void {
    if ((bytes.readInt32BE(0) & ~0xf0) !== V2_COMPRESSED_COOKIE_BASE) {
      throw new Error('histogram is not in the compressed V2 encoding');
    }
    let raw: Buffer;
    try {
      raw = inflateSync(bytes.subarray(8, 8 + bytes.readInt32BE(4)));
    } catch (err) {
      throw new Error(`histogram does not inflate: ${(err as Error).message}`);
    }
    if (raw.length < HEADER_BYTES || (raw.readInt32BE(0) & ~0xf0) !== V2_COOKIE_BASE) {
      throw new Error('histogram has no V2 header');
    }
    const payload = raw.readInt32BE(4);
    if (HEADER_BYTES + payload > raw.length) throw new Error('histogram payload is truncated');
    if (
      raw.readInt32BE(12) !== SIGNIFICANT_DIGITS ||
      Number(raw.readBigInt64BE(16)) !== LOWEST_DISCERNIBLE_US
    ) {
      // Another encoder's layout: decoding re-buckets it into ours (slow, and rare).
      this.add(Buffer.from(HistogramSnapshot.decode(bytes.toString('base64')).encode(), 'base64'));
      return;
    }
    this.addPayload(raw, HEADER_BYTES, HEADER_BYTES + payload);
  }

  /** Values at the given percentiles (ascending), in ms, as HdrHistogram's getValueAtPercentile. */
  percentiles(ps: readonly number[]): number[] {
    const out: number[] = [];
    if (this.count === 0) return ps.map(() => 0);
    let index = 0;
    let cumulative = 0;
    for (const p of ps) {
      // As HdrHistogram: round up, less one ulp so floating-point noise never skips a count.
      const fp = (Math.min(p, 100) / 100) * this.count;
      const target = Math.max(1, Math.ceil(fp - (fp > 0 ? 2 ** (Math.floor(Math.log2(fp)) - 52) : 0)));
      while (cumulative < target && index < this.used) cumulative += this.counts[index++] ?? 0;
      out.push(highestEquivalent(Math.max(0, index - 1)) / 1000);
    }
    return out;
  }

  reset(): void {
    this.counts.fill(0, 0, this.used);
    this.used = 0;
    this.count = 0;
  }

  private addPayload(raw: Buffer, from: number, to: number): void {
    let index = 0;
    let pos = from;
    while (pos < to) {
      // ZigZag LEB128-64b9B: 7 bits a byte for 8 bytes, the ninth carries 8.
      let value = 0;
      let scale = 1;
      for (let i = 0; i < 9; i++) {
        const byte = raw[pos++] ?? 0;
        if (i === 8) {
          value += byte * scale;
          break;
        }
        value += (byte & 0x7f) * scale;
        if ((byte & 0x80) === 0) break;
        scale *= 128;
      }
      const n = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
      if (n < 0) {
        index += -n;
        continue;
      }
      if (index >= this.counts.length) this.grow(index + 1);
      this.counts[index] = (this.counts[index] ?? 0) + n;
      this.count += n;
      index++;
      if (index > this.used) this.used = index;
    }
  }

  private grow(needed: number): void {
    let size = this.counts.length * 2;
    while (size < needed) size *= 2;
    const bigger = new Float64Array(size);
    bigger.set(this.counts);
    this.counts = bigger;
  }
}

/** The highest value (µs) counted at `index` in our layout (1 µs unit, 3 digits). */
function highestEquivalent(index: number): number {
  let bucket = (index >> SUB_BUCKET_HALF_MAGNITUDE) - 1;
  let sub = (index & (SUB_BUCKET_HALF - 1)) + SUB_BUCKET_HALF;
  if (bucket < 0) {
    sub -= SUB_BUCKET_HALF;
    bucket = 0;
  }
  return (sub + 1) * 2 ** bucket - 1;
}
